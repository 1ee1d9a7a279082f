"""Coach grants (who may look at a learner's shared work, until the learner revokes it) and
the messages a learner and a coach write each other within a grant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, UTCDateTime, utcnow

# A coach either reads, or reads and comments.
VIEW = "view"
COMMENT = "comment"
PERMISSIONS = (VIEW, COMMENT)

_ACTIVE = text("revoked_at IS NULL")


class CoachGrant(Base):
    """A learner's permission for one person of the same platform; revoking keeps the row."""

    __tablename__ = "coach_grants"
    __table_args__ = (
        # One active grant per learner and coach; revoked grants stay as history.
        Index(
            "uq_coach_grants_active",
            "portfolio_id",
            "coach_id",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"), index=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    may_comment: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    coach = relationship("User", foreign_keys=[coach_id])


# Long enough for a paragraph or two of feedback; a message is not a document.
MESSAGE_MAX = 4000


class CoachMessage(Base):
    """Plain text from the learner to a coach or back, within the grant that connects them."""

    __tablename__ = "coach_messages"
    __table_args__ = (Index("ix_coach_messages_grant_id_created_at", "grant_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("coach_grants.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User")
