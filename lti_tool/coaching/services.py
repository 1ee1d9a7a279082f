"""Grant, list and revoke coach access to a learner's shared showcases; messages within a grant."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool import policy
from lti_tool.coaching.models import COMMENT, MESSAGE_MAX, PERMISSIONS, CoachGrant, CoachMessage
from lti_tool.collections.models import COACHES, SECRET_LINK, Collection
from lti_tool.db import utcnow
from lti_tool.errors import DomainError, NotFoundError
from lti_tool.people.models import Membership, User
from lti_tool.portfolio.models import Portfolio


class CoachingError(DomainError):
    status = 400


def possible_coaches(session: Session, learner: User) -> list[User]:
    """People of the same platform who share a course with the learner (not the learner)."""
    my_courses = select(Membership.context_id).where(Membership.user_id == learner.id)
    # A subquery rather than DISTINCT: PostgreSQL cannot compare the users' JSON columns.
    course_mates = select(Membership.user_id).where(Membership.context_id.in_(my_courses))
    return list(
        session.scalars(
            select(User)
            .where(
                User.id.in_(course_mates),
                User.platform_id == learner.platform_id,
                User.id != learner.id,
            )
            .order_by(User.family_name, User.name, User.sub)
        )
    )


def grants_of(session: Session, portfolio: Portfolio) -> list[CoachGrant]:
    """The portfolio's active grants."""
    return list(
        session.scalars(
            select(CoachGrant)
            .where(CoachGrant.portfolio_id == portfolio.id, CoachGrant.revoked_at.is_(None))
            .order_by(CoachGrant.created_at)
        )
    )


def grant_coach(session: Session, learner: User, portfolio: Portfolio, coach_id: int, permission: str) -> CoachGrant:
    """Give someone the learner shares a course with access to their shared showcases."""
    if permission not in PERMISSIONS:
        raise CoachingError(_("Choose whether the coach may only view, or view and comment."))
    if coach_id not in {person.id for person in possible_coaches(session, learner)}:
        raise NotFoundError(_("You can only choose someone from one of your courses."))
    existing = session.scalars(
        select(CoachGrant).where(
            CoachGrant.portfolio_id == portfolio.id, CoachGrant.coach_id == coach_id, CoachGrant.revoked_at.is_(None)
        )
    ).first()
    if existing is not None:
        existing.may_comment = permission == COMMENT
        session.flush()
        return existing
    grant = CoachGrant(
        platform_id=learner.platform_id, portfolio_id=portfolio.id, coach_id=coach_id, may_comment=permission == COMMENT
    )
    session.add(grant)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise CoachingError(_("This person was just given access; reload the page.")) from exc
    return grant


def revoke_grant(session: Session, portfolio: Portfolio, grant_id: int) -> None:
    grant = session.get(CoachGrant, grant_id)
    if grant is None or grant.portfolio_id != portfolio.id or grant.revoked_at is not None:
        raise NotFoundError(_("This coach access does not exist (any more)."))
    grant.revoked_at = utcnow()
    session.flush()


def shared_with(session: Session, coach: User) -> list[tuple[Collection, User]]:
    """Showcases other learners shared with this coach, with their owners."""
    rows = session.execute(
        select(Collection, User)
        .join(CoachGrant, CoachGrant.portfolio_id == Collection.portfolio_id)
        .join(Portfolio, Portfolio.id == Collection.portfolio_id)
        .join(User, User.id == Portfolio.owner_id)
        .where(
            CoachGrant.coach_id == coach.id,
            CoachGrant.revoked_at.is_(None),
            CoachGrant.platform_id == coach.platform_id,
            Collection.platform_id == coach.platform_id,
            Collection.visibility.in_((COACHES, SECRET_LINK)),
        )
        .order_by(User.family_name, User.name, Collection.title)
    ).all()
    return [(collection, owner) for collection, owner in rows]


def coached_by(session: Session, coach: User) -> list[tuple[CoachGrant, User]]:
    """The active grants that make this person someone's coach, with the learner of each."""
    rows = session.execute(
        select(CoachGrant, User)
        .join(Portfolio, Portfolio.id == CoachGrant.portfolio_id)
        .join(User, User.id == Portfolio.owner_id)
        .where(CoachGrant.coach_id == coach.id, CoachGrant.revoked_at.is_(None), CoachGrant.platform_id == coach.platform_id)
        .order_by(User.family_name, User.name, User.sub)
    ).all()
    return [(grant, learner) for grant, learner in rows]


@dataclass(frozen=True)
class Conversation:
    """A learner and one coach, seen by one of the two."""

    grant: CoachGrant
    learner: User
    coach: User
    viewer_is_learner: bool

    @property
    def other(self) -> User:
        return self.coach if self.viewer_is_learner else self.learner

    @property
    def open(self) -> bool:
        return self.grant.revoked_at is None


def conversation(session: Session, viewer: User, grant_id: int) -> Conversation:
    """The messages of a grant, for its learner (also after revoking it) or its coach (while it lasts).

    Anyone else, another tenant included, gets not found: the grant's existence is not theirs to know."""
    row = session.execute(
        select(CoachGrant, Portfolio.owner_id)
        .join(Portfolio, Portfolio.id == CoachGrant.portfolio_id)
        .where(CoachGrant.id == grant_id, CoachGrant.platform_id == viewer.platform_id)
    ).first()
    role = policy.coach_messages_role(viewer, row[0], row[1]) if row is not None else None
    if role == "learner":
        return Conversation(row[0], viewer, row[0].coach, viewer_is_learner=True)
    if role == "coach":
        return Conversation(row[0], session.get(User, row[1]), viewer, viewer_is_learner=False)
    raise NotFoundError(_("These messages do not exist, or are not yours to read."))


def messages_of(session: Session, grant: CoachGrant) -> list[CoachMessage]:
    return list(
        session.scalars(select(CoachMessage).where(CoachMessage.grant_id == grant.id).order_by(CoachMessage.created_at, CoachMessage.id))
    )


def send_message(session: Session, talk: Conversation, author: User, body: str) -> CoachMessage:
    """Add a plain-text message; only while the grant lasts."""
    if not talk.open:
        raise CoachingError(_("This coach access was revoked: the messages stay readable, but no new ones can be sent."))
    text = (body or "").strip()
    if not text:
        raise CoachingError(_("Write a message before sending it."))
    if len(text) > MESSAGE_MAX:
        raise CoachingError(_("Keep a message under %(count)s characters.", count=MESSAGE_MAX))
    message = CoachMessage(grant_id=talk.grant.id, author_id=author.id, body=text)
    session.add(message)
    session.flush()
    return message
