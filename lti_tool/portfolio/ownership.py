"""Each signed-in person has exactly one portfolio; find or create it."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.people.models import User
from lti_tool.portfolio.models import Portfolio

# Asked on every portfolio page: built once, the owner bound at execution.
_PORTFOLIO_OF_OWNER = select(Portfolio).where(Portfolio.owner_id == bindparam("owner_id"))


def portfolio_of(session: Session, user: User) -> Portfolio:
    """Return the user's portfolio, creating it on first use (safe under concurrent requests)."""
    portfolio = session.scalars(_PORTFOLIO_OF_OWNER, {"owner_id": user.id}).first()
    if portfolio is not None:
        return portfolio
    try:
        with session.begin_nested():
            portfolio = Portfolio(owner_id=user.id, platform_id=user.platform_id)
            session.add(portfolio)
    except IntegrityError:
        portfolio = session.scalars(_PORTFOLIO_OF_OWNER, {"owner_id": user.id}).one()
    return portfolio
