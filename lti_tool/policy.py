"""Who may do what: the one place that answers access questions, per role and tenant."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, object_session

from lti_tool.lti.roles import ADMIN, INSTRUCTOR, primary_role
from lti_tool.people.models import Context, Membership, User


def membership_in(session: Session, user: User, context: Context) -> Membership | None:
    if context.platform_id != user.platform_id:
        return None
    return session.scalars(
        select(Membership).where(Membership.user_id == user.id, Membership.context_id == context.id)
    ).first()


# Asked on every page (the navigation): built once, the user bound at execution.
_ROLE_LISTS_OF_USER = select(Membership.roles).where(Membership.user_id == bindparam("user_id"))


def is_tool_admin(user: User) -> bool:
    """Institution or system administrators of the user's platform."""
    return primary_role(user.institution_roles or []) == ADMIN


def may_view_course(session: Session, user: User, context: Context) -> bool:
    """Instructors of the course, and administrators of the same platform."""
    if context.platform_id != user.platform_id:
        return False
    if is_tool_admin(user):
        return True
    membership = membership_in(session, user, context)
    return membership is not None and primary_role(membership.roles) in {INSTRUCTOR, ADMIN}


def may_view_overview(user: User) -> bool:
    return is_tool_admin(user)


def may_manage_modules(user: User) -> bool:
    """Administrators, and people who teach at least one course on the platform they came from.

    Takes no session so the navigation can ask it; it uses the one the user was loaded in."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_tool_admin(user):
        return True
    session = object_session(user)
    if session is None:
        return False
    roles = session.scalars(_ROLE_LISTS_OF_USER, {"user_id": user.id}).all()
    return any(primary_role(role_list) in {INSTRUCTOR, ADMIN} for role_list in roles)


def owns(session: Session, user: User, item) -> bool:
    """True when the item (anything with portfolio_id and platform_id) is in the user's portfolio."""
    from lti_tool.portfolio.models import Portfolio

    if item is None or getattr(item, "platform_id", None) != user.platform_id:
        return False
    portfolio = session.get(Portfolio, item.portfolio_id)
    return portfolio is not None and portfolio.owner_id == user.id


def may_view_portfolio_item(session: Session, user: User, item) -> bool:
    """The owner sees their own items; coach and assessor access is decided where it is granted."""
    return owns(session, user, item)


def may_edit_portfolio_item(session: Session, user: User, item) -> bool:
    return owns(session, user, item)


def may_view_reflection(session: Session, user: User, reflection) -> bool:
    """The owner; instructors of a reflection activity's course read its submitted reflections."""
    if owns(session, user, reflection):
        return True
    if reflection is None or reflection.resource_link_id is None or reflection.deleted_at is not None:
        return False
    if reflection.status != "submitted" or reflection.platform_id != user.platform_id:
        return False
    from lti_tool.people.models import ResourceLink

    link = session.get(ResourceLink, reflection.resource_link_id)
    return link is not None and link.context is not None and may_view_course(session, user, link.context)


# --- collections, assessment and showcase ------------------------------------------------


def may_edit_collection(session: Session, user: User, collection) -> bool:
    """Only the owner builds, publishes, submits or deletes a collection."""
    return owns(session, user, collection)


def active_coach_grant(session: Session, user: User, portfolio_id: int):
    """The user's unrevoked coach grant on a portfolio of the same platform, if any."""
    from lti_tool.coaching.models import CoachGrant

    return session.scalars(
        select(CoachGrant).where(
            CoachGrant.portfolio_id == portfolio_id,
            CoachGrant.coach_id == user.id,
            CoachGrant.platform_id == user.platform_id,
            CoachGrant.revoked_at.is_(None),
        )
    ).first()


def coach_messages_role(user: User, grant, owner_id: int) -> str | None:
    """Who the user is in a grant's messages: "learner" (the portfolio's owner, also after revoking),
    "coach" (while the grant lasts), or None (anyone else, another tenant included)."""
    if grant.platform_id != user.platform_id:
        return None
    if user.id == owner_id:
        return "learner"
    if user.id == grant.coach_id and grant.revoked_at is None:
        return "coach"
    return None


def may_view_showcase(session: Session, user: User, collection) -> bool:
    """The owner always; granted coaches once the owner shared it with coaches (or by link)."""
    from lti_tool.collections.models import COACHES, SECRET_LINK

    if collection is None or collection.platform_id != user.platform_id:
        return False
    if owns(session, user, collection):
        return True
    if collection.visibility not in {COACHES, SECRET_LINK}:
        return False
    return active_coach_grant(session, user, collection.portfolio_id) is not None


def may_comment_showcase(session: Session, user: User, collection) -> bool:
    """Coaches whose grant includes commenting, on a showcase they may view."""
    if not may_view_showcase(session, user, collection) or owns(session, user, collection):
        return False
    grant = active_coach_grant(session, user, collection.portfolio_id)
    return grant is not None and grant.may_comment


def may_assess(session: Session, user: User, resource_link) -> bool:
    """Instructors (and administrators) of the course an assessment was placed in."""
    if resource_link is None or resource_link.platform_id != user.platform_id or resource_link.context is None:
        return False
    return may_view_course(session, user, resource_link.context)


def may_view_submission(session: Session, user: User, submission) -> bool:
    """The learner who submitted it, and the assessors of its course."""
    from lti_tool.people.models import ResourceLink

    if submission is None or submission.platform_id != user.platform_id:
        return False
    if submission.learner_id == user.id:
        return True
    return may_assess(session, user, session.get(ResourceLink, submission.resource_link_id))
