"""Tables of the built-in demo platform: its key, course items, gradebook, tokens and nonces."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, UTCDateTime, utcnow

BUILT_IN = "built-in"
DEEP_LINKING = "deep-linking"


class DemoPlatform(Base):
    """The demo LMS for one base URL: its registration in the tool and its own RSA key.

    The private key lives here, never in tool_keys: it belongs to the platform, not the tool.
    """

    __tablename__ = "demo_platforms"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), unique=True)
    client_id: Mapped[str] = mapped_column(String(255))
    kid: Mapped[str] = mapped_column(String(64))
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DemoCourseItem(Base):
    """An activity on the demo course page: the built-in portfolio link or a deep-linked item."""

    __tablename__ = "demo_course_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    demo_platform_id: Mapped[int] = mapped_column(ForeignKey("demo_platforms.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(512))
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(1024), default="")
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(20), default=BUILT_IN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    line_item: Mapped[DemoLineItem | None] = relationship(back_populates="course_item", uselist=False)


class DemoLineItem(Base):
    """A gradebook column (AGS line item)."""

    __tablename__ = "demo_line_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    demo_platform_id: Mapped[int] = mapped_column(ForeignKey("demo_platforms.id", ondelete="CASCADE"), index=True)
    course_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("demo_course_items.id", ondelete="SET NULL"), index=True
    )
    label: Mapped[str] = mapped_column(String(512))
    score_maximum: Mapped[float] = mapped_column(Float, default=100.0)
    resource_id: Mapped[str] = mapped_column(String(255), default="")
    tag: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course_item: Mapped[DemoCourseItem | None] = relationship(back_populates="line_item")


class DemoScore(Base):
    """The latest score a tool sent for one learner in one column."""

    __tablename__ = "demo_scores"
    __table_args__ = (UniqueConstraint("line_item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("demo_line_items.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    score_given: Mapped[float | None] = mapped_column(Float)
    score_maximum: Mapped[float | None] = mapped_column(Float)
    activity_progress: Mapped[str] = mapped_column(String(20))
    grading_progress: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DemoAccessToken(Base):
    """A bearer token the demo issued to the tool; only its hash is stored."""

    __tablename__ = "demo_access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    demo_platform_id: Mapped[int] = mapped_column(ForeignKey("demo_platforms.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DemoUsedNonce(Base):
    """A nonce or jti the tool sent us once; the primary key makes replays fail."""

    __tablename__ = "demo_used_nonces"

    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class DemoDeepLinkRequest(Base):
    """A deep-linking request the demo sent; its token comes back in the return URL and data."""

    __tablename__ = "demo_deep_link_requests"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    demo_platform_id: Mapped[int] = mapped_column(ForeignKey("demo_platforms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
