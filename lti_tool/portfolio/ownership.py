"""Each signed-in person has exactly one portfolio; find or create it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.people.models import User
from lti_tool.portfolio.models import Portfolio


def portfolio_of(session: Session, user: User) -> Portfolio:
    """Return the user's portfolio, creating it on first use (safe under concurrent requests)."""
    portfolio = session.scalars(select(Portfolio).where(Portfolio.owner_id == user.id)).first()
    if portfolio is not None:
        return portfolio
    try:
        with session.begin_nested():
            portfolio = Portfolio(owner_id=user.id, platform_id=user.platform_id)
            session.add(portfolio)
    except IntegrityError:
        portfolio = session.scalars(select(Portfolio).where(Portfolio.owner_id == user.id)).one()
    return portfolio
