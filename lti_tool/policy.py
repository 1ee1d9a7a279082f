"""Who may do what: the one place that answers access questions, per role and tenant."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.lti.roles import ADMIN, INSTRUCTOR, primary_role
from lti_tool.people.models import Context, Membership, User


def membership_in(session: Session, user: User, context: Context) -> Membership | None:
    if context.platform_id != user.platform_id:
        return None
    return session.scalars(
        select(Membership).where(Membership.user_id == user.id, Membership.context_id == context.id)
    ).first()


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
