"""A learner's portfolio: evidence (formal and informal), its files and tags, and reflections."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from lti_tool.db import Base, UTCDateTime, utcnow
from lti_tool.richtext import searchable_text

# Evidence kinds: formal learning leads to a certificate or diploma; informal learning does not.
FORMAL = "formal"
INFORMAL = "informal"

# Evidence types a learner can add; "module" is formal evidence projected from xAPI statements.
INFORMAL_TYPES = ("photo", "video", "audio", "document", "link", "note")
FORMAL_TYPES = ("diploma", "certificate", "licence", "module")

# Where an evidence item came from.
SOURCE_LEARNER = "learner"
SOURCE_XAPI = "xapi"
SOURCE_IMPORT = "import"


class Portfolio(Base):
    """One person's portfolio. It belongs to the person and may outlive one platform."""

    __tablename__ = "portfolios"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Evidence(Base):
    __tablename__ = "evidence"
    __table_args__ = (
        # The timeline reads a portfolio's live items newest first straight from this index.
        Index("ix_evidence_timeline", "portfolio_id", "deleted_at", "occurred_on", "created_at", "id"),
        # The L&D view's status filter: a tenant's evidence in one status.
        Index("ix_evidence_platform_id_outcome_status", "platform_id", "outcome_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), default=SOURCE_LEARNER)
    title: Mapped[str] = mapped_column(String(300))
    # Sanitised HTML (nh3) — never rendered unsanitised.
    description: Mapped[str] = mapped_column(Text, default="")
    # The description's words, kept in step with it: what the timeline search looks in.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    occurred_on: Mapped[date] = mapped_column(Date)
    context_id: Mapped[int | None] = mapped_column(ForeignKey("contexts.id", ondelete="SET NULL"), index=True)
    url: Mapped[str | None] = mapped_column(String(2048))
    # Credentials held outside the LMS (diploma, certificate, licence).
    issuer: Mapped[str | None] = mapped_column(String(300))
    expires_on: Mapped[date | None] = mapped_column(Date)
    # Formal evidence projected from statements: the activity it is about, and a stable key
    # so the projection can be rebuilt idempotently.
    activity_id: Mapped[str | None] = mapped_column(String(2048))
    projection_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # outcome["status"] (completed, passed, failed, ...) as a column of its own: the L&D view
    # filters a course's evidence by it, and reading it out of JSON costs a parse per row.
    outcome_status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Trash: deleted items stay 30 days before they are purged.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="evidence", cascade="all, delete-orphan", order_by="EvidenceFile.id"
    )
    tags: Mapped[list[EvidenceTag]] = relationship(cascade="all, delete-orphan", order_by="EvidenceTag.tag")

    @validates("description")
    def _keep_search_text(self, _key: str, description: str | None) -> str | None:
        self.search_text = searchable_text(description)
        return description


class EvidenceFile(Base):
    """A file of an evidence item. Keys name the content (its SHA-256 within one portfolio), so the
    same photo attached to two items is stored once; a file leaves the store with its last row."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(String(255), index=True)
    thumbnail_key: Mapped[str | None] = mapped_column(String(255), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    # Sniffed from the content, never taken from the name or the browser.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    evidence: Mapped[Evidence] = relationship(back_populates="files")


class EvidenceTag(Base):
    __tablename__ = "evidence_tags"
    __table_args__ = (UniqueConstraint("evidence_id", "tag"), Index("ix_evidence_tags_tag", "tag"))

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(80))


# Reflection methods: STARR (situation, task, action, result, reflection) or free text.
STARR = "starr"
FREE = "free"
STARR_FIELDS = ("situation", "task", "action", "result", "reflection")
# A reflection is a draft until its first saved version; an activity's reflection is submitted.
DRAFT = "draft"
SAVED = "saved"
SUBMITTED = "submitted"


class Reflection(Base):
    """A reflection: `title`/`content` hold the saved (or submitted) version, `draft_*` the autosaved work."""

    __tablename__ = "reflections"
    __table_args__ = (
        Index("ix_reflections_timeline", "portfolio_id", "deleted_at", "updated_at"),
        # One reflection per learner and reflection activity (NULLs differ: free reflections are unaffected).
        UniqueConstraint("portfolio_id", "resource_link_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id", ondelete="SET NULL"), index=True)
    context_id: Mapped[int | None] = mapped_column(ForeignKey("contexts.id", ondelete="SET NULL"), index=True)
    # Set when written for a reflection activity placed in a course through deep linking.
    resource_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_links.id", ondelete="SET NULL"), index=True
    )
    method: Mapped[str] = mapped_column(String(20), default=FREE)
    title: Mapped[str] = mapped_column(String(300), default="")
    # Sanitised HTML per field: {"body": ...} for free text, the five STARR fields otherwise.
    content: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The saved content's words (every part), kept in step with it: what the timeline search
    # looks in. The JSON itself holds markup and the STARR parts' names ("task", "result").
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    # The autosaved working copy (sanitised like the content); None when nothing is unsaved.
    draft_title: Mapped[str | None] = mapped_column(String(300))
    draft_content: Mapped[dict[str, str] | None] = mapped_column(JSON)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised by every change; the editor sends the number it started from, and the UPDATE only
    # succeeds while it still holds (SQLAlchemy version counter), so two tabs never overwrite silently.
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": revision}

    @validates("content")
    def _keep_search_text(self, _key: str, content: dict[str, str] | None) -> dict[str, str] | None:
        self.search_text = " ".join(filter(None, (searchable_text(part) for part in (content or {}).values())))
        return content


class ReflectionRevision(Base):
    """Edit history: every saved or submitted version, numbered from 1, never changed afterwards."""

    __tablename__ = "reflection_revisions"
    __table_args__ = (UniqueConstraint("reflection_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reflection_id: Mapped[int] = mapped_column(ForeignKey("reflections.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1, server_default="1")
    title: Mapped[str] = mapped_column(String(300), default="")
    content: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # A submitted version is what the instructors of a reflection activity read.
    submitted: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
