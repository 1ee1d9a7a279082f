"""Tables of the LTI side: platforms (tenants), deployments, our keys, and launch bookkeeping."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, UTCDateTime, utcnow

ACTIVE = "active"
PENDING = "pending"


class Platform(Base):
    """A platform registration (issuer + client id): one tenant of the tool."""

    __tablename__ = "platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    auth_login_url: Mapped[str] = mapped_column(String(1024))
    auth_token_url: Mapped[str] = mapped_column(String(1024))
    auth_audience: Mapped[str | None] = mapped_column(String(1024))
    key_set_url: Mapped[str | None] = mapped_column(String(1024))
    # A platform may give its public keys inline instead of a URL (the demo platform does).
    key_set: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    product_family: Mapped[str] = mapped_column(String(100), default="")
    # Scopes the platform granted at registration, space separated (empty when unknown).
    granted_scopes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    # Statements from other systems name learners by e-mail; only match on it when the
    # platform's e-mail addresses are known to be verified and unique.
    match_learners_by_email: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id"
    )


class Deployment(Base):
    __tablename__ = "deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class ToolKey(Base):
    """One of our RSA key pairs. The newest active key signs; published keys stay in the JWKS."""

    __tablename__ = "tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    # active: signs and is published; published: rotated out but still in the JWKS; retired: gone.
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginState(Base):
    """An OIDC login in flight: the server-side half of state and nonce (no cookie needed)."""

    __tablename__ = "login_states"

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    target_link_uri: Mapped[str] = mapped_column(String(1024), default="")
    storage_target: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlatformKeySetCache(Base):
    """A platform's JWKS as last fetched, kept as long as its Cache-Control allows."""

    __tablename__ = "platform_key_set_cache"

    url: Mapped[str] = mapped_column(String(1024), primary_key=True)
    key_set: Mapped[dict[str, Any]] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LaunchRecord(Base):
    """The validated claims of one launch, for later steps (deep-linking response, services)."""

    __tablename__ = "launch_records"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message_type: Mapped[str] = mapped_column(String(64))
    claims: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SessionTicket(Base):
    """A short-lived, single-use ticket that turns a launch into a session of our own."""

    __tablename__ = "session_tickets"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    launch_id: Mapped[str] = mapped_column(ForeignKey("launch_records.id", ondelete="CASCADE"))
    next_path: Mapped[str] = mapped_column(String(512))
    # With LTI client-side storage, the state the page must read back from the platform.
    proof: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ServiceToken(Base):
    """An OAuth2 access token for a platform's services, cached until shortly before expiry."""

    __tablename__ = "service_tokens"

    platform_id: Mapped[int] = mapped_column(
        ForeignKey("platforms.id", ondelete="CASCADE"), primary_key=True
    )
    scope_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
