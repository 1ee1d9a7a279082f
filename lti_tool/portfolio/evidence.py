"""Evidence a learner adds, edits, puts in the trash, restores and purges, with its files.

Services take a session and plain values, never commit, and keep the store in step with the
transaction: new files disappear again on rollback, and a file leaves the store only after the
commit that removed the last row naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from lti_tool.competencies.models import Competency, CompetencyFramework, EvidenceCompetency
from lti_tool.db import utcnow
from lti_tool.errors import DomainError, NotFoundError
from lti_tool.people.models import Context, Membership, User
from lti_tool.policy import may_edit_portfolio_item, may_view_portfolio_item
from lti_tool.portfolio.models import (
    FORMAL,
    INFORMAL,
    SOURCE_LEARNER,
    Evidence,
    EvidenceFile,
    EvidenceTag,
    Portfolio,
    Reflection,
)
from lti_tool.portfolio.rich_input import rich_text_from_form
from lti_tool.portfolio.uploads import ALLOWED_TYPES, PreparedFile, QuotaExceededError
from lti_tool.storage import Storage, content_key, delete_after_commit, put_content_in_transaction

# What a learner can add; "module" evidence only comes from xAPI statements.
LEARNER_INFORMAL_TYPES = ("photo", "video", "audio", "document", "link", "note")
CREDENTIAL_TYPES = ("diploma", "certificate", "licence")
LEARNER_TYPES = LEARNER_INFORMAL_TYPES + CREDENTIAL_TYPES
# These are about a file; without one there is nothing to show.
FILE_TYPES = frozenset({"photo", "video", "audio", "document"})
TRASH_DAYS = 30
MAX_TAGS = 20
MAX_TAG_LENGTH = 80


class EvidenceError(DomainError):
    """Input we cannot accept; the message says what to change."""

    status = 400

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class EvidenceInput:
    """What the learner filled in; validated by `validate_input`."""

    type: str
    title: str
    description: str = ""
    occurred_on: date | None = None
    context_id: int | None = None
    url: str | None = None
    issuer: str | None = None
    expires_on: date | None = None
    tags: list[str] = field(default_factory=list)
    competency_ids: list[int] = field(default_factory=list)


def kind_of(evidence_type: str) -> str:
    return FORMAL if evidence_type in CREDENTIAL_TYPES or evidence_type == "module" else INFORMAL


def parse_tags(text: str | None) -> list[str]:
    """Split comma-separated tags, trim them and drop case-insensitive duplicates."""
    tags: list[str] = []
    seen: set[str] = set()
    for raw in (text or "").split(","):
        tag = " ".join(raw.split())
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


def validate_input(data: EvidenceInput, today: date) -> None:
    """Refuse input that does not make sense, with a message a person can act on."""
    if data.type not in LEARNER_TYPES:
        raise EvidenceError(_l("Choose what kind of evidence this is."))
    if not data.title.strip():
        raise EvidenceError(_l("Give the evidence a title."))
    if data.occurred_on is None:
        raise EvidenceError(_l("Fill in the date."))
    if data.occurred_on > today + timedelta(days=1):
        raise EvidenceError(_l("The date cannot be in the future."))
    if data.type == "link":
        parts = urlsplit(data.url or "")
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise EvidenceError(_l("Fill in a web address that starts with https:// or http://."))
    if data.type in CREDENTIAL_TYPES:
        if not (data.issuer or "").strip():
            raise EvidenceError(_l("Fill in who issued the %(type)s.", type=data.type))
        if data.expires_on is not None and data.expires_on < data.occurred_on:
            raise EvidenceError(_l("The expiry date must come after the date of issue."))
    if len(data.tags) > MAX_TAGS:
        raise EvidenceError(_l("Use at most %(count)s tags.", count=MAX_TAGS))
    if any(len(tag) > MAX_TAG_LENGTH for tag in data.tags):
        raise EvidenceError(_l("A tag can be at most %(count)s characters.", count=MAX_TAG_LENGTH))


# -- what a learner may choose ---------------------------------------------------------------


def learner_courses(session: Session, user: User) -> list[Context]:
    """The courses the learner is enrolled in, on their own platform."""
    return list(
        session.scalars(
            select(Context)
            .join(Membership, Membership.context_id == Context.id)
            .where(Membership.user_id == user.id, Context.platform_id == user.platform_id)
            .order_by(Context.title)
        )
    )


def learner_competencies(session: Session, user: User) -> list[tuple[CompetencyFramework, list[Competency]]]:
    """The competency frameworks of the learner's platform, each with its competencies."""
    frameworks = session.scalars(
        select(CompetencyFramework)
        .where(CompetencyFramework.platform_id == user.platform_id)
        .options(selectinload(CompetencyFramework.competencies))
        .order_by(CompetencyFramework.name)
    ).all()
    return [(framework, list(framework.competencies)) for framework in frameworks if framework.competencies]


def _check_choices(session: Session, user: User, data: EvidenceInput) -> None:
    if data.context_id is not None and data.context_id not in {c.id for c in learner_courses(session, user)}:
        raise EvidenceError(_l("Choose one of your own courses."))
    if data.competency_ids:
        allowed = set(
            session.scalars(
                select(Competency.id)
                .join(CompetencyFramework, Competency.framework_id == CompetencyFramework.id)
                .where(CompetencyFramework.platform_id == user.platform_id, Competency.id.in_(data.competency_ids))
            )
        )
        if allowed != set(data.competency_ids):
            raise EvidenceError(_l("Choose competencies from your own frameworks."))


# -- reading ---------------------------------------------------------------------------------


def owned_evidence(session: Session, user: User, evidence_id: int, *, in_trash: bool = False) -> Evidence:
    """The user's evidence item (in the trash or not); anyone else's is simply not found."""
    evidence = session.scalars(
        select(Evidence)
        .where(Evidence.id == evidence_id, Evidence.platform_id == user.platform_id)
        .options(selectinload(Evidence.files), selectinload(Evidence.tags))
    ).first()
    if evidence is None or not may_view_portfolio_item(session, user, evidence):
        raise NotFoundError("evidence not found")
    if (evidence.deleted_at is not None) != in_trash:
        raise NotFoundError("evidence not found")
    return evidence


def visible_file(session: Session, user: User, file_id: int) -> EvidenceFile:
    """A file of an evidence item the user may see (not in the trash)."""
    stored = session.get(EvidenceFile, file_id)
    if stored is None:
        raise NotFoundError("file not found")
    evidence = session.get(Evidence, stored.evidence_id)
    if evidence is None or evidence.deleted_at is not None or not may_view_portfolio_item(session, user, evidence):
        raise NotFoundError("file not found")
    return stored


def competencies_of(session: Session, evidence_id: int) -> list[Competency]:
    return list(
        session.scalars(
            select(Competency)
            .join(EvidenceCompetency, EvidenceCompetency.competency_id == Competency.id)
            .where(EvidenceCompetency.evidence_id == evidence_id)
            .order_by(Competency.code)
        )
    )


def reflections_on(session: Session, evidence: Evidence) -> list[Reflection]:
    """The owner's reflections about an evidence item, newest first."""
    return list(
        session.scalars(
            select(Reflection)
            .where(
                Reflection.evidence_id == evidence.id,
                Reflection.portfolio_id == evidence.portfolio_id,
                Reflection.deleted_at.is_(None),
            )
            .order_by(Reflection.created_at.desc())
        )
    )


def used_bytes(session: Session, portfolio_id: int) -> int:
    """Bytes the learner's files take (trash included, until it is purged)."""
    total = session.scalar(
        select(func.coalesce(func.sum(EvidenceFile.size), 0))
        .join(Evidence, EvidenceFile.evidence_id == Evidence.id)
        .where(Evidence.portfolio_id == portfolio_id)
    )
    return int(total or 0)


# -- writing ---------------------------------------------------------------------------------


def _lock_portfolio(session: Session, portfolio_id: int) -> None:
    """Serialise a learner's file changes: quota checks and shared file keys stay exact.

    An UPDATE takes the row lock on PostgreSQL and the write lock on SQLite alike."""
    session.execute(update(Portfolio).where(Portfolio.id == portfolio_id).values(id=Portfolio.id))


def _store_files(
    session: Session, storage: Storage, evidence: Evidence, files: list[PreparedFile], quota: int
) -> None:
    if not files:
        return
    _lock_portfolio(session, evidence.portfolio_id)
    incoming = sum(f.size for f in files)
    if used_bytes(session, evidence.portfolio_id) + incoming > quota:
        raise QuotaExceededError(
            _l("These files do not fit in your portfolio's space (%(size)s MB). Remove files you no longer need.",
               size=f"{quota / (1024 * 1024):.0f}")
        )
    prefix = f"evidence/{evidence.portfolio_id}"
    for prepared in files:
        key = content_key(prefix, prepared.sha256, extension=prepared.extension)
        put_content_in_transaction(session, storage, key, prepared.data)
        thumbnail_key = None
        if prepared.thumbnail is not None:
            thumbnail_key = content_key(prefix, prepared.sha256, suffix="-thumb", extension="jpg")
            put_content_in_transaction(session, storage, thumbnail_key, prepared.thumbnail)
        evidence.files.append(
            EvidenceFile(
                storage_key=key,
                thumbnail_key=thumbnail_key,
                original_name=prepared.original_name,
                content_type=prepared.content_type,
                size=prepared.size,
                sha256=prepared.sha256,
                width=prepared.width,
                height=prepared.height,
            )
        )


def _forget_files(session: Session, storage: Storage, removed: list[EvidenceFile]) -> None:
    """Delete rows now, and their files after the commit unless another row still names them."""
    keys = {key for f in removed for key in (f.storage_key, f.thumbnail_key) if key}
    for stored in removed:
        session.delete(stored)
    session.flush()
    if not keys:
        return
    still_named = set(session.scalars(select(EvidenceFile.storage_key).where(EvidenceFile.storage_key.in_(keys))))
    still_named |= set(session.scalars(select(EvidenceFile.thumbnail_key).where(EvidenceFile.thumbnail_key.in_(keys))))
    delete_after_commit(session, storage, sorted(keys - still_named))


def _apply(session: Session, evidence: Evidence, data: EvidenceInput) -> None:
    evidence.type = data.type
    evidence.kind = kind_of(data.type)
    evidence.title = data.title.strip()[:300]
    evidence.description = rich_text_from_form(data.description)
    evidence.occurred_on = data.occurred_on
    evidence.context_id = data.context_id
    evidence.url = (data.url or "").strip() or None if data.type == "link" else None
    credential = data.type in CREDENTIAL_TYPES
    evidence.issuer = (data.issuer or "").strip()[:300] or None if credential else None
    evidence.expires_on = data.expires_on if credential else None
    wanted = {tag.casefold(): tag for tag in data.tags}
    for existing in list(evidence.tags):
        if existing.tag.casefold() not in wanted:
            evidence.tags.remove(existing)
        else:
            wanted.pop(existing.tag.casefold())
    evidence.tags.extend(EvidenceTag(tag=tag) for tag in wanted.values())


def _link_competencies(session: Session, evidence: Evidence, competency_ids: list[int]) -> None:
    current = {
        link.competency_id: link
        for link in session.scalars(select(EvidenceCompetency).where(EvidenceCompetency.evidence_id == evidence.id))
    }
    for competency_id, link in current.items():
        if competency_id not in competency_ids:
            session.delete(link)
    for competency_id in dict.fromkeys(competency_ids):
        if competency_id not in current:
            session.add(EvidenceCompetency(evidence_id=evidence.id, competency_id=competency_id))


def add_evidence(
    session: Session,
    storage: Storage,
    user: User,
    portfolio: Portfolio,
    data: EvidenceInput,
    files: list[PreparedFile],
    *,
    quota: int,
    today: date,
) -> Evidence:
    """Add an evidence item with its files to the learner's portfolio."""
    validate_input(data, today)
    _check_choices(session, user, data)
    if data.type in FILE_TYPES and not files:
        raise EvidenceError(_l("Add at least one file."))
    evidence = Evidence(portfolio_id=portfolio.id, platform_id=portfolio.platform_id, source=SOURCE_LEARNER)
    _apply(session, evidence, data)
    session.add(evidence)
    session.flush()
    _store_files(session, storage, evidence, files, quota)
    _link_competencies(session, evidence, data.competency_ids)
    session.flush()
    return evidence


def update_evidence(
    session: Session,
    storage: Storage,
    user: User,
    evidence: Evidence,
    data: EvidenceInput,
    files: list[PreparedFile],
    remove_file_ids: set[int],
    *,
    quota: int,
    today: date,
) -> Evidence:
    """Change an item the learner added: its fields, tags, competencies and files."""
    if not may_edit_portfolio_item(session, user, evidence) or evidence.deleted_at is not None:
        raise NotFoundError("evidence not found")
    if evidence.source != SOURCE_LEARNER:
        raise EvidenceError(_l("This evidence comes from a module and changes only when the module reports again."))
    validate_input(data, today)
    _check_choices(session, user, data)
    removed = [f for f in evidence.files if f.id in remove_file_ids]
    kept = [f for f in evidence.files if f.id not in remove_file_ids]
    if data.type in FILE_TYPES and len(kept) + len(files) == 0:
        raise EvidenceError(_l("Keep or add at least one file."))
    if any(f.content_type not in ALLOWED_TYPES.get(data.type, ()) for f in kept):
        raise EvidenceError(_l("Some files do not fit this kind of evidence; remove them or keep the kind it was."))
    _apply(session, evidence, data)
    for stored in removed:
        evidence.files.remove(stored)
    _forget_files(session, storage, removed)
    _store_files(session, storage, evidence, files, quota)
    _link_competencies(session, evidence, data.competency_ids)
    evidence.updated_at = utcnow()
    session.flush()
    return evidence


def trash_evidence(session: Session, user: User, evidence: Evidence) -> None:
    """Move an item to the trash; it can be restored for TRASH_DAYS days."""
    if not may_edit_portfolio_item(session, user, evidence) or evidence.deleted_at is not None:
        raise NotFoundError("evidence not found")
    evidence.deleted_at = utcnow()


def restore_evidence(session: Session, user: User, evidence: Evidence) -> None:
    if not may_edit_portfolio_item(session, user, evidence) or evidence.deleted_at is None:
        raise NotFoundError("evidence not found")
    evidence.deleted_at = None


def purge_evidence(session: Session, storage: Storage, evidence: Evidence) -> None:
    """Delete an item for good, with the files no other item uses."""
    removed = list(evidence.files)
    evidence.files.clear()
    _forget_files(session, storage, removed)
    session.delete(evidence)
    session.flush()


def trash_of(session: Session, portfolio_id: int) -> list[Evidence]:
    return list(
        session.scalars(
            select(Evidence)
            .where(Evidence.portfolio_id == portfolio_id, Evidence.deleted_at.is_not(None))
            .order_by(Evidence.deleted_at.desc())
        )
    )


def purge_expired_trash(session: Session, storage: Storage, now: datetime | None = None) -> int:
    """Purge every item that has been in the trash longer than TRASH_DAYS; return how many."""
    cutoff = (now or utcnow()) - timedelta(days=TRASH_DAYS)
    expired = session.scalars(
        select(Evidence)
        .where(Evidence.deleted_at.is_not(None), Evidence.deleted_at < cutoff)
        .options(selectinload(Evidence.files))
    ).all()
    for evidence in expired:
        purge_evidence(session, storage, evidence)
    return len(expired)


def purge_after(evidence: Evidence) -> datetime | None:
    """When an item in the trash will be purged."""
    return evidence.deleted_at + timedelta(days=TRASH_DAYS) if evidence.deleted_at else None


# Files younger than this are never swept: they may belong to a transaction still running.
ORPHAN_GRACE = timedelta(days=1)
FILE_PREFIX = "evidence"


def sweep_orphan_files(session: Session, storage: Storage, now: datetime | None = None) -> int:
    """Remove evidence files no row names (left by a crash between writing and committing)."""
    from lti_tool.storage import purge_orphan_files

    referenced = set(session.scalars(select(EvidenceFile.storage_key)))
    referenced |= {key for key in session.scalars(select(EvidenceFile.thumbnail_key)) if key}
    return len(purge_orphan_files(storage, FILE_PREFIX, referenced, (now or utcnow()) - ORPHAN_GRACE))


def housekeeping(session: Session, settings) -> dict[str, int]:
    """The periodic clean-up of evidence: purge expired trash, then sweep unreferenced files."""
    from lti_tool.storage import build_storage

    store = build_storage(settings.storage_backend, settings.storage_local_path, settings.instance_path)
    purged = purge_expired_trash(session, store)
    session.flush()
    return {"evidence_purged": purged, "orphan_files": sweep_orphan_files(session, store)}
