"""From a validated launch to our own session without relying on a third-party cookie.

The launch answers with a redirect to /lti/enter/<ticket>: a random, single-use ticket
that lives two minutes and is stored only as a hash. Exchanging it signs the person in
and sets our session cookie (SameSite=None; Secure; Partitioned over HTTPS, which
Chromium keeps inside the LMS iframe even when third-party cookies are blocked). If the
browser still refuses the cookie, the page offers a fresh ticket to open in a new window.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.lti.models import SessionTicket


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_ticket(
    session: Session, *, user_id: int, launch_id: str, next_path: str, proof: str | None = None
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        SessionTicket(
            token_hash=_hash(token), user_id=user_id, launch_id=launch_id, next_path=next_path, proof=proof
        )
    )
    return token


def redeem_ticket(
    session: Session, token: str, ttl_seconds: int, storage_state: str | None = None
) -> SessionTicket | None:
    """Consume a ticket once; None when unknown, used, expired or missing its storage proof."""
    if not token or len(token) > 128:
        return None
    cutoff = utcnow() - timedelta(seconds=ttl_seconds)
    # One statement checks and consumes: the database lets only one of two racing requests
    # through, and a ticket whose storage proof does not match stays unused.
    return session.scalars(
        update(SessionTicket)
        .where(
            SessionTicket.token_hash == _hash(token),
            SessionTicket.used_at.is_(None),
            SessionTicket.created_at >= cutoff,
            or_(SessionTicket.proof.is_(None), SessionTicket.proof == storage_state),
        )
        .values(used_at=utcnow())
        .returning(SessionTicket)
        .execution_options(synchronize_session=False)
    ).first()


def purge_expired_tickets(session: Session, ttl_seconds: int) -> int:
    cutoff = utcnow() - timedelta(seconds=ttl_seconds)
    return session.execute(delete(SessionTicket).where(SessionTicket.created_at < cutoff)).rowcount
