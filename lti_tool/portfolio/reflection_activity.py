"""Reflection activities: a prompt placed in a course through deep linking, answered by each learner.

Submitting records completion (the reflection is `submitted`, with `submitted_at`) and, the
first time, queues full marks for the learner's gradebook column through the AGS outbox, in
the same transaction as the submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.errors import ForbiddenError, NotFoundError
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
from lti_tool.lti.models import Platform
from lti_tool.lti.roles import LEARNER, primary_role
from lti_tool.people.models import Membership, ResourceLink, User
from lti_tool.policy import may_view_course, membership_in
from lti_tool.portfolio import reflections
from lti_tool.portfolio.models import FREE, STARR, Portfolio, Reflection, ReflectionRevision

# The method an activity asks for travels as a custom parameter; without it, STARR.
METHOD_PARAM = "leerpaspoort_method"
# AGS 2.0 score values for "the learner finished and there is nothing left to grade".
ACTIVITY_COMPLETED = "Completed"
GRADING_FULLY_GRADED = "FullyGraded"


@dataclass
class RosterRow:
    """One learner of the course and their reflection for the activity, if they wrote one."""

    learner: User
    reflection: Reflection | None

    @property
    def submitted(self) -> bool:
        return self.reflection is not None and self.reflection.submitted_at is not None


def activity_link(session: Session, user: User, link_id: int) -> ResourceLink:
    """A reflection activity of the user's own tenant; any other link is not found."""
    link = session.get(ResourceLink, link_id)
    if link is None or link.platform_id != user.platform_id or link.kind != KIND_REFLECTION:
        raise NotFoundError(_("This reflection activity does not exist. Open it again from your course."))
    return link


def may_review(session: Session, user: User, link: ResourceLink) -> bool:
    """Instructors and administrators of the activity's course read the submissions."""
    return link.context is not None and may_view_course(session, user, link.context)


def check_learner(session: Session, user: User, link: ResourceLink) -> None:
    """Only members of the activity's course write a reflection for it."""
    if link.context is None or membership_in(session, user, link.context) is None:
        raise ForbiddenError(_("You are not a member of the course this activity belongs to."))


def placed_item(session: Session, link: ResourceLink) -> PlacedItem | None:
    """What the instructor placed through deep linking: the prompt and the score maximum."""
    return placed_item_for(session, link.platform_id, link.custom)


def activity_method(link: ResourceLink) -> str:
    value = (link.custom or {}).get(METHOD_PARAM)
    value = value.strip().lower() if isinstance(value, str) else ""
    return value if value in reflections.METHODS else STARR


def reflection_for(session: Session, user: User, link: ResourceLink) -> Reflection | None:
    """The learner's reflection for this activity, if they started one."""
    return session.scalars(
        select(Reflection)
        .join(Portfolio, Portfolio.id == Reflection.portfolio_id)
        .where(Portfolio.owner_id == user.id, Reflection.resource_link_id == link.id)
    ).first()


def start_activity_reflection(session: Session, user: User, link: ResourceLink) -> Reflection:
    """The learner's reflection for the activity, created on first use (one per learner, enforced by the database)."""
    check_learner(session, user, link)
    existing = reflection_for(session, user, link)
    if existing is not None:
        return existing
    try:
        return reflections.start_reflection(
            session,
            user,
            reflections.Target(activity_method(link), link.context_id, None),
            resource_link_id=link.id,
        )
    except IntegrityError:
        # Two first requests at once (two tabs): the other one created it, and this request's
        # text was written on a page that did not know about it.
        raise reflections.ReflectionConflictError(None) from None


def submit(
    session: Session,
    user: User,
    link: ResourceLink,
    reflection: Reflection,
    draft: reflections.Draft,
    *,
    base_revision: int | None,
    now: datetime | None = None,
) -> ReflectionRevision:
    """Submit the learner's reflection: a submitted version, completion, and (first time) the score."""
    check_learner(session, user, link)
    if reflection.resource_link_id != link.id:
        raise NotFoundError(_("This reflection does not belong to this activity."))
    now = now or utcnow()
    first_submission = reflection.submitted_at is None
    version = reflections.save_version(session, reflection, draft, base_revision=base_revision, submit=True, now=now)
    if first_submission:
        queue_completion_score(session, link, user)
    return version


def score_maximum(session: Session, link: ResourceLink) -> float:
    """The maximum of the activity's line item, as deep linking created it."""
    placed = placed_item(session, link)
    if placed is not None and placed.score_maximum:
        return float(placed.score_maximum)
    return float(REFLECTION_SCORE_MAXIMUM)


def queue_completion_score(session: Session, link: ResourceLink, user: User) -> bool:
    """Queue full marks on the activity's line item (AGS 2.0 score service); False when not possible.

    Writing a reflection is the whole task, so completion earns scoreGiven = scoreMaximum, and
    Moodle shows a score in its gradebook only when gradingProgress is FullyGraded. Nothing is
    queued when the platform gave this link no line item or no score scope.
    """
    if not link.lineitem_url or claims.SCOPE_SCORE not in (link.ags_scopes or []):
        return False
    from lti_tool.lti.ags import enqueue_score

    maximum = score_maximum(session, link)
    enqueue_score(
        session,
        platform=session.get(Platform, link.platform_id),
        line_item_url=link.lineitem_url,
        user_sub=user.sub,
        score_given=maximum,
        score_maximum=maximum,
        activity_progress=ACTIVITY_COMPLETED,
        grading_progress=GRADING_FULLY_GRADED,
    )
    return True


def roster(session: Session, link: ResourceLink) -> list[RosterRow]:
    """Every learner of the activity's course with their reflection (submitted or not)."""
    if link.context_id is None:
        return []
    members = session.execute(
        select(User, Membership.roles)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.context_id == link.context_id, User.platform_id == link.platform_id)
        .order_by(User.family_name, User.name, User.sub)
    ).all()
    learners = [user for user, roles in members if primary_role(roles) == LEARNER]
    written = {
        owner_id: reflection
        for reflection, owner_id in session.execute(
            select(Reflection, Portfolio.owner_id)
            .join(Portfolio, Portfolio.id == Reflection.portfolio_id)
            .where(Reflection.resource_link_id == link.id, Reflection.platform_id == link.platform_id)
        ).all()
    }
    return [RosterRow(learner, written.get(learner.id)) for learner in learners]


def submission_of(session: Session, link: ResourceLink, reflection_id: int) -> tuple[Reflection, ReflectionRevision, User]:
    """A submitted reflection of this activity with the version instructors read and its author."""
    reflection = session.get(Reflection, reflection_id)
    if reflection is None or reflection.resource_link_id != link.id or reflection.platform_id != link.platform_id:
        raise NotFoundError(_("This submission does not exist."))
    version = reflections.latest_submitted(session, reflection)
    if version is None:
        raise NotFoundError(_("This learner has not submitted the reflection yet."))
    author = session.get(User, session.get(Portfolio, reflection.portfolio_id).owner_id)
    return reflection, version, author


@register_provider
def free_text_activity_offer(session: Session, request: DeepLinkRequest) -> list[Offer]:
    """Offer a reflection activity with free text too (the built-in one asks for STARR)."""
    return [
        Offer(
            key="reflection-free",
            kind=KIND_REFLECTION,
            title=str(_l("Reflection activity (free text)")),
            description=str(
                _l("Like the reflection activity, but learners write freely instead of following the STARR steps.")
            ),
            score_maximum=REFLECTION_SCORE_MAXIMUM,
            has_prompt=True,
            custom={METHOD_PARAM: FREE},
        )
    ]
