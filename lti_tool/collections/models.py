"""Collections of evidence and reflections: assessment submissions and showcase pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, UTCDateTime, utcnow

# Showcase visibility: only the owner, coaches the owner granted access, or anyone with the link.
PRIVATE = "private"
COACHES = "coaches"
SECRET_LINK = "link"

# Submission states: submitted -> graded (may be graded again), or submitted -> returned
# (for revision; the learner then submits a new copy, the returned one stays as history).
SUBMITTED = "submitted"
RETURNED = "returned"
GRADED = "graded"
# At most one submission per learner and assessment is waiting or graded; the database
# enforces it (a partial unique index), so two quick clicks cannot submit twice.
_ACTIVE_SUBMISSION = text("status IN ('submitted', 'graded')")


class Collection(Base):
    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"), index=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(20), default=PRIVATE)
    # The secret link is stored as a hash; revoking it clears the hash.
    share_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    share_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection", cascade="all, delete-orphan", order_by="CollectionItem.position"
    )


class CollectionItem(Base):
    __tablename__ = "collection_items"
    __table_args__ = (
        CheckConstraint(
            "(evidence_id IS NULL) <> (reflection_id IS NULL)", name="one_target"
        ),
        # An item appears at most once in a collection (NULLs do not collide).
        UniqueConstraint("collection_id", "evidence_id"),
        UniqueConstraint("collection_id", "reflection_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"))
    reflection_id: Mapped[int | None] = mapped_column(ForeignKey("reflections.id", ondelete="CASCADE"))

    collection: Mapped[Collection] = relationship(back_populates="items")


class Submission(Base):
    """A collection submitted for assessment in a course: a frozen copy, graded back via AGS."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index(
            "uq_submissions_active_per_learner",
            "resource_link_id",
            "learner_id",
            unique=True,
            sqlite_where=_ACTIVE_SUBMISSION,
            postgresql_where=_ACTIVE_SUBMISSION,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), index=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[int] = mapped_column(ForeignKey("resource_links.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Everything the assessor sees, copied at submission so later edits do not change it.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=SUBMITTED)
    score: Mapped[float | None] = mapped_column()
    score_maximum: Mapped[float | None] = mapped_column()
    feedback: Mapped[str] = mapped_column(Text, default="")
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubmissionComment(Base):
    __tablename__ = "submission_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    # Which item of the snapshot the comment is about (its position), or None for the whole.
    item_position: Mapped[int | None] = mapped_column()
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShowcaseComment(Base):
    """A coach's comment on a showcase page (coaches granted comment access only)."""

    __tablename__ = "showcase_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
