"""Reflections: guided (STARR) or free text, autosaved drafts, numbered versions, the trash.

A reflection keeps two things apart: the saved version (`title`/`content`, and every saved
version as a numbered `ReflectionRevision`) and the autosaved working copy (`draft_*`). Every
change raises `Reflection.revision`; writers say which revision they started from and are
refused with `ReflectionConflictError` when someone else (another tab) changed it since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lti_tool.db import utcnow
from lti_tool.errors import DomainError, NotFoundError
from lti_tool.people.models import Context, User
from lti_tool.policy import membership_in, owns
from lti_tool.portfolio.evidence import TRASH_DAYS
from lti_tool.portfolio.models import (
    DRAFT,
    FREE,
    SAVED,
    STARR,
    STARR_FIELDS,
    SUBMITTED,
    Evidence,
    Portfolio,
    Reflection,
    ReflectionRevision,
)
from lti_tool.portfolio.ownership import portfolio_of
from lti_tool.portfolio.rich_input import rich_text_from_form
from lti_tool.richtext import plain_text

METHODS = (STARR, FREE)
FREE_FIELDS = ("body",)
TITLE_LIMIT = 300
# A reflection field is prose, not a document store (limit on the HTML the editor sends).
FIELD_LIMIT = 100_000


class ReflectionError(DomainError):
    """A reflection that cannot be written as asked; the message tells the learner why."""

    status = 400


class ReflectionConflictError(DomainError):
    """The reflection changed since the writer loaded it (another tab or device)."""

    status = 409

    def __init__(self, reflection: Reflection | None):
        super().__init__(_("This reflection was changed in another window. Reload it before you save again."))
        self.reflection = reflection


@dataclass
class Draft:
    """What the learner wrote: a title and HTML (or plain text) per field, not yet sanitised."""

    title: str = ""
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """Where a new reflection belongs: its method, and optionally a course and an evidence item."""

    method: str = STARR
    context_id: int | None = None
    evidence_id: int | None = None


def fields_of(method: str) -> tuple[str, ...]:
    """The fields a method asks for, in the order they are shown."""
    return STARR_FIELDS if method == STARR else FREE_FIELDS


def to_html(value: str | None) -> str:
    """Sanitise rich text; plain text (a form without the editor) becomes paragraphs first."""
    return rich_text_from_form(value)


def clean_draft(method: str, draft: Draft) -> tuple[str, dict[str, str]]:
    """Return the sanitised title and content of a draft, with exactly the method's fields."""
    if method not in METHODS:
        raise ReflectionError(_("Choose STARR or free text."))
    if not isinstance(draft.title, str):
        raise ReflectionError(_("The title must be text."))
    title = " ".join(plain_text(draft.title).split())
    if len(title) > TITLE_LIMIT:
        raise ReflectionError(_("The title is too long: at most %(limit)d characters.", limit=TITLE_LIMIT))
    content = {}
    for name in fields_of(method):
        raw = draft.fields.get(name) or ""
        if not isinstance(raw, str):
            raise ReflectionError(_("Each part of the reflection must be text."))
        if len(raw) > FIELD_LIMIT:
            raise ReflectionError(_("One part of the reflection is too long: shorten it and save again."))
        content[name] = to_html(raw)
    return title, content


def missing_parts(method: str, title: str, content: dict[str, str]) -> list[str]:
    """Names of what a saved version still lacks: the title and every field of the method."""
    missing = [] if title.strip() else ["title"]
    return missing + [name for name in fields_of(method) if not plain_text(content.get(name))]


def is_blank(title: str, content: dict[str, str]) -> bool:
    return not title.strip() and not any(plain_text(value) for value in content.values())


# --- finding and checking ---------------------------------------------------------------------


def owned_reflection(session: Session, user: User, reflection_id: int, *, deleted: bool = False) -> Reflection:
    """The user's own reflection (in the trash when deleted=True); anyone else's is not found."""
    reflection = session.get(Reflection, reflection_id)
    if reflection is None or not owns(session, user, reflection) or (reflection.deleted_at is not None) != deleted:
        raise NotFoundError(_("This reflection does not exist or is not yours."))
    return reflection


def check_target(session: Session, user: User, target: Target) -> Target:
    """Refuse a method we do not know, evidence that is not the user's, a course they are not in."""
    if target.method not in METHODS:
        raise ReflectionError(_("Choose STARR or free text."))
    if target.evidence_id is not None:
        evidence = session.get(Evidence, target.evidence_id)
        if evidence is None or evidence.deleted_at is not None or not owns(session, user, evidence):
            raise NotFoundError(_("This evidence does not exist or is not yours."))
    if target.context_id is not None:
        context = session.get(Context, target.context_id)
        if context is None or membership_in(session, user, context) is None:
            raise NotFoundError(_("You are not a member of this course."))
    return target


def check_base_revision(reflection: Reflection, base_revision: int | None) -> None:
    """Refuse a change made on top of an older revision than the stored one."""
    if base_revision is None or base_revision != reflection.revision:
        raise ReflectionConflictError(reflection)


def _flush_or_conflict(session: Session, reflection: Reflection) -> None:
    # The UPDATE carries "WHERE revision = <loaded>": a concurrent writer makes it match nothing.
    # The caller's error handler rolls the transaction back.
    try:
        session.flush()
    except StaleDataError:
        raise ReflectionConflictError(reflection) from None


# --- writing -------------------------------------------------------------------------------


def start_reflection(
    session: Session,
    user: User,
    target: Target,
    *,
    resource_link_id: int | None = None,
    now: datetime | None = None,
) -> Reflection:
    """Create an empty reflection in the user's portfolio (its text arrives by autosave or save)."""
    target = check_target(session, user, target)
    now = now or utcnow()
    portfolio = portfolio_of(session, user)
    reflection = Reflection(
        portfolio_id=portfolio.id,
        platform_id=user.platform_id,
        evidence_id=target.evidence_id,
        context_id=target.context_id,
        resource_link_id=resource_link_id,
        method=target.method,
        title="",
        content={name: "" for name in fields_of(target.method)},
        status=DRAFT,
        created_at=now,
        updated_at=now,
    )
    session.add(reflection)
    session.flush()
    return reflection


def autosave(
    session: Session, reflection: Reflection, draft: Draft, *, base_revision: int | None, now: datetime | None = None
) -> Reflection:
    """Keep the working copy without touching the saved version; refuse a stale base revision."""
    check_base_revision(reflection, base_revision)
    title, content = clean_draft(reflection.method, draft)
    now = now or utcnow()
    reflection.draft_title = title
    reflection.draft_content = content
    reflection.draft_saved_at = now
    reflection.updated_at = now
    _flush_or_conflict(session, reflection)
    return reflection


def discard_draft(session: Session, reflection: Reflection, *, base_revision: int | None) -> Reflection:
    """Throw the autosaved working copy away; the saved version stays as it is."""
    check_base_revision(reflection, base_revision)
    if reflection.draft_content is not None or reflection.draft_title is not None:
        reflection.draft_title = None
        reflection.draft_content = None
        reflection.draft_saved_at = None
        _flush_or_conflict(session, reflection)
    return reflection


def save_version(
    session: Session,
    reflection: Reflection,
    draft: Draft,
    *,
    base_revision: int | None,
    submit: bool = False,
    now: datetime | None = None,
) -> ReflectionRevision:
    """Save the draft as the next numbered version (submitted when asked) and clear the working copy.

    A version needs a title and every part of the method; an empty reflection is not a version.
    """
    check_base_revision(reflection, base_revision)
    title, content = clean_draft(reflection.method, draft)
    missing = missing_parts(reflection.method, title, content)
    if missing:
        raise ReflectionError(
            _("Fill in the title and every part before you save; your text is kept as a draft.")
        )
    now = now or utcnow()
    revision = ReflectionRevision(
        reflection_id=reflection.id,
        number=_next_number(session, reflection),
        title=title,
        content=content,
        submitted=submit,
        created_at=now,
    )
    session.add(revision)
    reflection.title = title
    reflection.content = content
    reflection.draft_title = None
    reflection.draft_content = None
    reflection.draft_saved_at = None
    reflection.updated_at = now
    if submit:
        reflection.status = SUBMITTED
        reflection.submitted_at = reflection.submitted_at or now
    elif reflection.status == DRAFT:
        reflection.status = SAVED
    _flush_or_conflict(session, reflection)
    return revision


def _next_number(session: Session, reflection: Reflection) -> int:
    # Safe without a lock: the version counter on the reflection row serialises writers, and
    # (reflection_id, number) is unique in the database besides.
    highest = session.scalar(
        select(func.max(ReflectionRevision.number)).where(ReflectionRevision.reflection_id == reflection.id)
    )
    return (highest or 0) + 1


def restore_version(
    session: Session, reflection: Reflection, number: int, *, base_revision: int | None, now: datetime | None = None
) -> ReflectionRevision:
    """Make an earlier version current again, as a new version (nothing in the history is lost)."""
    old = revision_of(session, reflection, number)
    return save_version(
        session,
        reflection,
        Draft(old.title, dict(old.content)),
        base_revision=base_revision,
        submit=False,
        now=now,
    )


def delete_reflection(session: Session, reflection: Reflection, now: datetime | None = None) -> None:
    """Move the reflection to the trash; it is kept for TRASH_DAYS before it is purged."""
    if reflection.resource_link_id is not None:
        raise ReflectionError(
            _("This reflection was written for an activity in a course and stays with that activity.")
        )
    reflection.deleted_at = now or utcnow()
    _flush_or_conflict(session, reflection)


def restore_reflection(session: Session, reflection: Reflection) -> None:
    """Take the reflection out of the trash."""
    reflection.deleted_at = None
    _flush_or_conflict(session, reflection)


def purge_reflection(session: Session, reflection: Reflection) -> None:
    """Delete a reflection in the trash for good, with its versions and its places in collections."""
    if reflection.deleted_at is None:
        raise ReflectionError(_("Only a reflection in the trash can be deleted for good."))
    _delete_reflections(session, [reflection.id])


def purge_deleted_reflections(session: Session, now: datetime | None = None) -> int:
    """Remove reflections that have been in the trash longer than TRASH_DAYS; return how many."""
    cutoff = (now or utcnow()) - timedelta(days=TRASH_DAYS)
    expired = list(
        session.scalars(select(Reflection.id).where(Reflection.deleted_at.is_not(None), Reflection.deleted_at < cutoff))
    )
    _delete_reflections(session, expired)
    return len(expired)


def purge_after(reflection: Reflection) -> datetime | None:
    """When a reflection in the trash will be purged."""
    return reflection.deleted_at + timedelta(days=TRASH_DAYS) if reflection.deleted_at else None


def _delete_reflections(session: Session, reflection_ids: list[int]) -> None:
    # Versions and collection entries go with the row through ON DELETE CASCADE (foreign keys
    # are enforced on SQLite and PostgreSQL alike); one statement, however full the trash.
    if reflection_ids:
        session.flush()
        session.execute(
            delete(Reflection).where(Reflection.id.in_(reflection_ids)),
            execution_options={"synchronize_session": "fetch"},
        )


# --- reading -------------------------------------------------------------------------------


def working_copy(reflection: Reflection) -> Draft:
    """What the editor starts from: the autosaved draft when there is one, else the saved version."""
    if reflection.draft_content is not None:
        return Draft(reflection.draft_title or "", dict(reflection.draft_content))
    return Draft(reflection.title, dict(reflection.content or {}))


def reflections_of(
    session: Session, user: User, *, context_id: int | None = None, deleted: bool = False
) -> list[Reflection]:
    """The user's reflections, newest change first (those in the trash when deleted=True)."""
    query = (
        select(Reflection)
        .join(Portfolio, Portfolio.id == Reflection.portfolio_id)
        .where(Portfolio.owner_id == user.id, Reflection.platform_id == user.platform_id)
    )
    query = query.where(Reflection.deleted_at.is_not(None) if deleted else Reflection.deleted_at.is_(None))
    if context_id is not None:
        query = query.where(Reflection.context_id == context_id)
    return list(session.scalars(query.order_by(Reflection.updated_at.desc(), Reflection.id.desc())))


def revisions_of(session: Session, reflection: Reflection) -> list[ReflectionRevision]:
    """Every saved version of the reflection, newest first."""
    return list(
        session.scalars(
            select(ReflectionRevision)
            .where(ReflectionRevision.reflection_id == reflection.id)
            .order_by(ReflectionRevision.number.desc())
        )
    )


def revision_of(session: Session, reflection: Reflection, number: int) -> ReflectionRevision:
    """One numbered version of the reflection."""
    revision = session.scalars(
        select(ReflectionRevision).where(
            ReflectionRevision.reflection_id == reflection.id, ReflectionRevision.number == number
        )
    ).first()
    if revision is None:
        raise NotFoundError(_("This version of the reflection does not exist."))
    return revision


def latest_submitted(session: Session, reflection: Reflection) -> ReflectionRevision | None:
    """The version instructors read: the newest one the learner submitted."""
    return session.scalars(
        select(ReflectionRevision)
        .where(ReflectionRevision.reflection_id == reflection.id, ReflectionRevision.submitted.is_(True))
        .order_by(ReflectionRevision.number.desc())
        .limit(1)
    ).first()
