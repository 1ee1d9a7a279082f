"""Which xAPI actor is which learner: matched automatically, or linked by an administrator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, UTCDateTime, utcnow

# How an actor was matched to a learner.
BY_ACCOUNT = "account"
BY_EMAIL = "email"
BY_ADMINISTRATOR = "administrator"


class LearnerActor(Base):
    """An actor seen in a tenant's statements, and the learner it is (None while unmatched).

    Unmatched actors are kept with their statement count so an administrator can link them;
    the statements themselves always stay in the LRS.
    """

    __tablename__ = "learner_actors"
    __table_args__ = (
        UniqueConstraint("platform_id", "actor_key"),
        Index("ix_learner_actors_platform_id_user_id", "platform_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    # The LRS's hashed actor key (xapi.statement_keys.agent_key).
    actor_key: Mapped[str] = mapped_column(String(32))
    actor: Mapped[dict[str, Any]] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    matched_by: Mapped[str | None] = mapped_column(String(20))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when an administrator made the link (matched_by == BY_ADMINISTRATOR), for the record.
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
