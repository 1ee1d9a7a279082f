"""Reflections: guided (STARR) or free text, autosaved drafts, edit history, reflection activities."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.errors import DomainError, ForbiddenError, NotFoundError
from lti_tool.lti import claims
from lti_tool.lti.deep_linking import (
    KIND_REFLECTION,
    REFLECTION_SCORE_MAXIMUM,
    DeepLinkRequest,
    Offer,
    PlacedItem,
    placed_item_for,
    register_provider,
)
from lti_tool.outbox.models import OutboxMessage
from lti_tool.people.models import Context, ResourceLink, User
from lti_tool.policy import membership_in, owns
from lti_tool.portfolio.models import (
    FREE,
    STARR,
    STARR_FIELDS,
    SUBMITTED,
    Evidence,
    Portfolio,
    Reflection,
    ReflectionRevision,
)
from lti_tool.portfolio.ownership import portfolio_of
from lti_tool.richtext import plain_text, sanitise_html

METHODS = (STARR, FREE)
FREE_FIELDS = ("body",)

# The kind of a reflection activity's resource link (custom parameter "leerpaspoort_kind").
ACTIVITY_KIND = KIND_REFLECTION
# The method an activity asks for travels as a custom parameter; without it, STARR.
METHOD_PARAMETER = "leerpaspoort_method"
# The line item deep linking creates for a reflection activity, when the placed item is unknown.
DEFAULT_SCORE_MAXIMUM = float(REFLECTION_SCORE_MAXIMUM)

# How a change arrives: the editor's autosave, the explicit save button, or a submission.
AUTOSAVE = "autosave"
SAVE = "save"
SUBMIT = "submit"

# Autosaves arrive every few seconds; keep at most one revision per this window of them.
REVISION_WINDOW = timedelta(minutes=5)
TITLE_LIMIT = 300
# A reflection field is prose, not a document store.
FIELD_LIMIT = 100_000

OUTBOX_AGS_SCORE = "ags_score"

_TAG = re.compile(r"<[a-zA-Z/!]")


class ReflectionError(DomainError):
    """A reflection that cannot be written as asked (unknown method, too long, incomplete)."""

    status = 400


@dataclass
class Draft:
    """What the learner wrote: a title and raw HTML per field (sanitised by the service)."""

    title: str = ""
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Target:
    """Where a new reflection belongs: a course, an evidence item and/or a reflection activity."""

    method: str = STARR
    context_id: int | None = None
    evidence_id: int | None = None
    resource_link_id: int | None = None


def fields_of(method: str) -> tuple[str, ...]:
    return STARR_FIELDS if method == STARR else FREE_FIELDS


def to_html(value: str | None) -> str:
    """Sanitise rich text; plain text (a form without the editor) becomes paragraphs first."""
    if not value:
        return ""
    if not _TAG.search(value):
        paragraphs = [p.strip() for p in re.split(r"\r?\n\s*\r?\n", value) if p.strip()]
        value = "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    return sanitise_html(value)


def clean_draft(method: str, draft: Draft) -> tuple[str, dict[str, str]]:
    """Return the sanitised title and content of a draft, with exactly the method's fields."""
    if method not in METHODS:
        raise ReflectionError("unknown reflection method")
    title = plain_text(draft.title).strip()
    if len(title) > TITLE_LIMIT:
        raise ReflectionError("title too long")
    content = {}
    for name in fields_of(method):
        raw = draft.fields.get(name) or ""
        if not isinstance(raw, str) or len(raw) > FIELD_LIMIT:
            raise ReflectionError("field too long")
        content[name] = to_html(raw)
    return title, content


def missing_parts(method: str, title: str, content: dict[str, str]) -> list[str]:
    """Names of what a submission still lacks: the title and every field of the method."""
    missing = [] if plain_text(title) else ["title"]
    return missing + [name for name in fields_of(method) if not plain_text(content.get(name))]


def is_blank(title: str, content: dict[str, str]) -> bool:
    return not plain_text(title) and not any(plain_text(value) for value in content.values())


# --- finding and checking ---------------------------------------------------------------------


def get_reflection(session: Session, reflection_id: int) -> Reflection:
    reflection = session.get(Reflection, reflection_id)
    if reflection is None:
        raise NotFoundError("reflection not found")
    return reflection


def owned_reflection(session: Session, user: User, reflection_id: int, *, deleted: bool = False) -> Reflection:
    """The user's own reflection (in the trash when deleted=True); anyone else's is not found."""
    reflection = session.get(Reflection, reflection_id)
    if reflection is None or not owns(session, user, reflection) or (reflection.deleted_at is not None) != deleted:
        raise NotFoundError("reflection not found")
    return reflection


def activity_link(session: Session, user: User, link_id: int) -> ResourceLink:
    """A reflection activity of the user's tenant; a link of another tenant is not found."""
    link = session.get(ResourceLink, link_id)
    if link is None or link.platform_id != user.platform_id or link.kind != ACTIVITY_KIND:
        raise NotFoundError("reflection activity not found")
    return link


def placed_item(session: Session, link: ResourceLink) -> PlacedItem | None:
    """What the instructor placed through deep linking: its prompt and score maximum."""
    return placed_item_for(session, link.platform_id, link.custom)


def activity_prompt(session: Session, link: ResourceLink) -> str:
    placed = placed_item(session, link)
    return placed.prompt if placed is not None else ""


def activity_method(link: ResourceLink) -> str:
    value = (link.custom or {}).get(METHOD_PARAMETER)
    return value.strip().lower() if isinstance(value, str) and value.strip().lower() in METHODS else STARR


def activity_reflection(session: Session, user: User, link: ResourceLink) -> Reflection | None:
    """The learner's reflection for an activity (the newest one not in the trash)."""
    return session.scalars(
        select(Reflection)
        .join(Portfolio, Portfolio.id == Reflection.portfolio_id)
        .where(
            Portfolio.owner_id == user.id,
            Reflection.resource_link_id == link.id,
            Reflection.deleted_at.is_(None),
        )
        .order_by(Reflection.id.desc())
    ).first()


def course_of_launch(session: Session, user: User, launch: dict) -> Context | None:
    """The course the user launched from (the context claim of their launch), if any."""
    data = launch.get(claims.CONTEXT)
    if not isinstance(data, dict) or not data.get("id"):
        return None
    return session.scalars(
        select(Context).where(Context.platform_id == user.platform_id, Context.context_id == str(data["id"]))
    ).first()


def check_target(session: Session, user: User, target: Target) -> Target:
    """Check a new reflection's activity, evidence and course for this user; an activity sets both."""
    if target.resource_link_id is not None:
        link = activity_link(session, user, target.resource_link_id)
        if link.context is None or membership_in(session, user, link.context) is None:
            raise ForbiddenError("not a member of the course of this activity")
        target = Target(activity_method(link), link.context_id, target.evidence_id, link.id)
    if target.evidence_id is not None:
        evidence = session.get(Evidence, target.evidence_id)
        if evidence is None or evidence.deleted_at is not None or not owns(session, user, evidence):
            raise NotFoundError("evidence not found")
    if target.context_id is not None:
        context = session.get(Context, target.context_id)
        if context is None or membership_in(session, user, context) is None:
            raise NotFoundError("course not found")
    if target.method not in METHODS:
        raise ReflectionError("unknown reflection method")
    return target


# --- writing -------------------------------------------------------------------------------


def new_reflection(
    session: Session, user: User, target: Target, draft: Draft, *, mode: str = SAVE, now: datetime | None = None
) -> Reflection:
    """Create a reflection (or continue the learner's one for the same activity) from a draft."""
    target = check_target(session, user, target)
    if target.resource_link_id is not None:
        existing = activity_reflection(session, user, session.get(ResourceLink, target.resource_link_id))
        if existing is not None:
            return update_reflection(session, user, existing, draft, mode=mode, now=now)
    now = now or utcnow()
    title, content = clean_draft(target.method, draft)
    if mode == SUBMIT and missing_parts(target.method, title, content):
        raise ReflectionError("reflection incomplete")
    portfolio = portfolio_of(session, user)
    reflection = Reflection(
        portfolio_id=portfolio.id,
        platform_id=user.platform_id,
        evidence_id=target.evidence_id,
        context_id=target.context_id,
        resource_link_id=target.resource_link_id,
        method=target.method,
        title=title,
        content=content,
        created_at=now,
        updated_at=now,
    )
    session.add(reflection)
    session.flush()
    if mode == SUBMIT:
        _submit(session, user, reflection, now)
    return reflection


def update_reflection(
    session: Session, user: User, reflection: Reflection, draft: Draft, *, mode: str = SAVE, now: datetime | None = None
) -> Reflection:
    """Save a new version of the owner's reflection, keeping the previous one in the history."""
    if not owns(session, user, reflection) or reflection.deleted_at is not None:
        raise NotFoundError("reflection not found")
    now = now or utcnow()
    title, content = clean_draft(reflection.method, draft)
    if mode == SUBMIT and missing_parts(reflection.method, title, content):
        raise ReflectionError("reflection incomplete")
    if (title, content) != (reflection.title, reflection.content):
        if _keeps_revision(session, reflection, mode, now):
            session.add(
                ReflectionRevision(
                    reflection_id=reflection.id, title=reflection.title, content=dict(reflection.content), created_at=now
                )
            )
        reflection.title = title
        reflection.content = content
        reflection.updated_at = now
    if mode == SUBMIT:
        _submit(session, user, reflection, now)
    session.flush()
    return reflection


def _keeps_revision(session: Session, reflection: Reflection, mode: str, now: datetime) -> bool:
    """Keep the previous version on each explicit save, and once per window of autosaves."""
    if is_blank(reflection.title, reflection.content):
        return False
    if mode != AUTOSAVE:
        return True
    last = session.scalars(
        select(ReflectionRevision.created_at)
        .where(ReflectionRevision.reflection_id == reflection.id)
        .order_by(ReflectionRevision.created_at.desc())
        .limit(1)
    ).first()
    return now - (last or reflection.created_at) >= REVISION_WINDOW


def _submit(session: Session, user: User, reflection: Reflection, now: datetime) -> None:
    """Submit once: the status changes and a reflection activity reports completion."""
    if reflection.status == SUBMITTED:
        return
    reflection.status = SUBMITTED
    reflection.submitted_at = now
    if reflection.resource_link_id is not None:
        link = session.get(ResourceLink, reflection.resource_link_id)
        if link is not None:
            queue_completion_score(session, link, user, now)


def restore_revision(
    session: Session, user: User, reflection: Reflection, revision_id: int, now: datetime | None = None
) -> Reflection:
    """Make an earlier version current again (the current one goes into the history)."""
    revision = session.get(ReflectionRevision, revision_id)
    if revision is None or revision.reflection_id != reflection.id:
        raise NotFoundError("revision not found")
    draft = Draft(revision.title, dict(revision.content))
    return update_reflection(session, user, reflection, draft, mode=SAVE, now=now)


def delete_reflection(session: Session, user: User, reflection: Reflection, now: datetime | None = None) -> None:
    """Move the reflection to the trash; it is kept for TRASH_DAYS before it is purged."""
    if not owns(session, user, reflection):
        raise NotFoundError("reflection not found")
    reflection.deleted_at = now or utcnow()


def restore_reflection(session: Session, user: User, reflection: Reflection) -> None:
    if not owns(session, user, reflection):
        raise NotFoundError("reflection not found")
    reflection.deleted_at = None


TRASH_DAYS = 30


def purge_deleted_reflections(session: Session, now: datetime | None = None) -> int:
    """Remove reflections that have been in the trash longer than TRASH_DAYS; return how many."""
    cutoff = (now or utcnow()) - timedelta(days=TRASH_DAYS)
    old = list(session.scalars(select(Reflection).where(Reflection.deleted_at < cutoff)))
    for reflection in old:
        session.delete(reflection)
    return len(old)


# --- grade passback ------------------------------------------------------------------------


def queue_completion_score(session: Session, link: ResourceLink, user: User, now: datetime) -> OutboxMessage | None:
    """Queue full marks for the learner on the activity's line item (LTI AGS 2.0, Score service).

    Written to the outbox in the caller's transaction; nothing is queued when the platform
    gave no line item or no score scope with the launch.
    """
    if not link.lineitem_url or claims.SCOPE_SCORE not in (link.ags_scopes or []):
        return None
    placed = placed_item(session, link)
    maximum = placed.score_maximum if placed is not None and placed.score_maximum else DEFAULT_SCORE_MAXIMUM
    # Completion earns full marks; Moodle shows a score only when it is FullyGraded.
    grade = (
        Grade()
        .set_score_given(maximum)
        .set_score_maximum(maximum)
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_user_id(user.sub)
        # Sub-second precision: a platform refuses a score not later than the last one (AGS 3.4.7).
        .set_timestamp(now.isoformat(timespec="milliseconds"))
    )
    message = OutboxMessage(
        kind=OUTBOX_AGS_SCORE,
        platform_id=link.platform_id,
        target_url=AssignmentsGradesService._add_url_path_ending(link.lineitem_url, "scores"),
        payload=json.loads(grade.get_value()),
        # One line item and one user: delivered in order, so timestamps keep increasing.
        ordering_key=f"ags:{link.lineitem_url}:{user.sub}",
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


# --- reading -------------------------------------------------------------------------------


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
    return list(
        session.scalars(
            select(ReflectionRevision)
            .where(ReflectionRevision.reflection_id == reflection.id)
            .order_by(ReflectionRevision.created_at.desc(), ReflectionRevision.id.desc())
        )
    )


def activity_submissions(session: Session, link: ResourceLink) -> list[tuple[Reflection, User]]:
    """Submitted reflections of an activity with their authors, for the course's instructors."""
    rows = session.execute(
        select(Reflection, User)
        .join(Portfolio, Portfolio.id == Reflection.portfolio_id)
        .join(User, User.id == Portfolio.owner_id)
        .where(
            Reflection.resource_link_id == link.id,
            Reflection.platform_id == link.platform_id,
            Reflection.status == SUBMITTED,
            Reflection.deleted_at.is_(None),
        )
        .order_by(User.family_name, User.name, User.sub)
    ).all()
    return [(reflection, author) for reflection, author in rows]


# --- deep linking ----------------------------------------------------------------------------


@register_provider
def free_text_activity_offer(session: Session, request: DeepLinkRequest) -> list[Offer]:
    """Offer the reflection activity with free text too (the built-in one asks for STARR)."""
    return [
        Offer(
            key="reflection-free",
            kind=ACTIVITY_KIND,
            title=str(_l("Reflection activity (free text)")),
            description=str(_l("Like the reflection activity, but learners write freely instead of following the STARR steps.")),
            score_maximum=REFLECTION_SCORE_MAXIMUM,
            has_prompt=True,
            custom={METHOD_PARAMETER: FREE},
        )
    ]
