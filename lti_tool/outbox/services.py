"""Claim, deliver and record outbox messages; several workers may run at once.

A message is claimed with a lease (locked_by, locked_until) by a conditional UPDATE that
only one worker can win (checked by its rowcount); on PostgreSQL the candidates are first
selected with FOR UPDATE SKIP LOCKED so workers do not queue behind each other. A message
is only claimable while no older message of its ordering key is still pending, so the
scores of one learner on one line item go out one at a time, oldest first.

Delivery happens outside any transaction; the outcome is written back only by the worker
that still holds the lease. The worker renews the lease as it starts each message (a round
claims several at once), and a delivery that makes many requests renews it before each one.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from flask_babel import lazy_gettext as _l

from lti_tool.db import utcnow
from lti_tool.errors import DomainError
from lti_tool.outbox.models import DELIVERED, FAILED, PENDING, OutboxMessage

log = logging.getLogger(__name__)

ERROR_TEXT_LIMIT = 2000
# Retry-After larger than this is treated as this: a platform must not park a score for days.
RETRY_AFTER_CAP = timedelta(hours=6)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: float = 30.0
    max_delay: float = 3600.0

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """Exponential backoff with jitter: base·2^(n-1), capped, then scaled by 0.5–1.0."""
        rng = rng or random
        raw = min(self.max_delay, self.base_delay * (2 ** max(attempts - 1, 0)))
        return timedelta(seconds=raw * (0.5 + rng.random() / 2))


@dataclass
class Outcome:
    """What one delivery attempt came to; `delivered`, `permanent`, `retry_now` and `retry_after` decide what follows."""

    status_code: int | None = None
    error: str = ""
    delivered: bool = False
    retry_after: float | None = None
    retry_now: bool = False
    permanent: bool = False


def _older_pending_exists():
    older = aliased(OutboxMessage)
    return exists().where(
        older.ordering_key == OutboxMessage.ordering_key,
        older.id < OutboxMessage.id,
        older.status == PENDING,
    )


def due_condition(now: datetime):
    return and_(
        OutboxMessage.status == PENDING,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
        ~_older_pending_exists(),
    )


def claim_due(session: Session, worker_id: str, *, lease: timedelta, limit: int = 20, now: datetime | None = None) -> list[int]:
    """Lease up to `limit` due messages to this worker and commit; return their ids, oldest first."""
    now = now or utcnow()
    query = (
        select(OutboxMessage.id)
        .where(due_condition(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxMessage)
    candidates = list(session.scalars(query))
    claimed = []
    for message_id in candidates:
        # The conditional UPDATE is the claim itself: only one worker's rowcount is 1.
        won = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == PENDING,
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
            )
            .values(locked_by=worker_id, locked_until=now + lease)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won == 1:
            claimed.append(message_id)
    session.commit()
    return sorted(claimed)


def lease_for(settings) -> timedelta:
    """How long a claim holds: a token request and a service call that both time out, and a retry."""
    return timedelta(seconds=max(60.0, 4 * settings.outbox_request_timeout))


class LeaseLostError(Exception):
    """Another worker holds the message now (this worker's lease ran out): stop delivering it."""


def renew_lease(session: Session, message_id: int, worker_id: str, lease: timedelta, *, now: datetime | None = None) -> None:
    """Extend this worker's lease on a pending message and commit; LeaseLostError if it holds it no more.

    An expired lease that nobody claimed since is still this worker's to extend: a claim by
    another worker sets locked_by, and the UPDATEs of the two are serialised by the database."""
    now = now or utcnow()
    renewed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.locked_by == worker_id, OutboxMessage.status == PENDING)
        .values(locked_until=now + lease)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if renewed != 1:
        raise LeaseLostError(f"Outbox message {message_id} is no longer leased to {worker_id}.")


class LeaseKeeper:
    """For a delivery that makes many requests: call `keep()` before each one, and the lease is
    renewed once half of it has gone by since the last renewal (LeaseLostError if it was lost)."""

    def __init__(self, session: Session, message_id: int, worker_id: str, lease: timedelta):
        self.session, self.message_id, self.worker_id, self.lease = session, message_id, worker_id, lease
        self.renewed_at = time.monotonic()  # the worker renewed it as the delivery started

    def keep(self) -> None:
        if time.monotonic() - self.renewed_at >= self.lease.total_seconds() / 2:
            renew_lease(self.session, self.message_id, self.worker_id, self.lease)
            self.renewed_at = time.monotonic()


def record_outcome(
    session: Session,
    message_id: int,
    worker_id: str,
    outcome: Outcome,
    policy: RetryPolicy,
    *,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> str | None:
    """Write an attempt's result if this worker still holds the lease; return the new status."""
    now = now or utcnow()
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.locked_by == worker_id)
    ).first()
    if message is None or message.status != PENDING:
        log.warning("Outbox message %s: lease lost before its outcome was recorded", message_id)
        session.rollback()
        return None
    message.attempts += 1
    message.last_status_code = outcome.status_code
    message.last_error = outcome.error[:ERROR_TEXT_LIMIT]
    message.locked_by = None
    message.locked_until = None
    if outcome.delivered:
        message.status = DELIVERED
        message.delivered_at = now
    elif outcome.permanent or message.attempts >= policy.max_attempts:
        message.status = FAILED
        if not outcome.permanent:
            message.last_error = f"Gave up after {message.attempts} attempts. {message.last_error}"[:ERROR_TEXT_LIMIT]
    elif outcome.retry_now:
        message.next_attempt_at = now
    elif outcome.retry_after is not None:
        wait = min(timedelta(seconds=outcome.retry_after), RETRY_AFTER_CAP)
        message.next_attempt_at = now + max(wait, timedelta(0))
    else:
        message.next_attempt_at = now + policy.delay(message.attempts, rng)
    session.commit()
    return message.status


class SupersededError(DomainError):
    """A failed message may not be retried: a newer one for the same key was sent or is queued."""

    status = 409


def retry_now(session: Session, *, platform_id: int, message_id: int) -> OutboxMessage | None:
    """Put a failed message of this tenant back in the queue for an immediate attempt.

    Returns None when there is no such failed message for this platform (the caller commits);
    raises SupersededError when a newer message of its ordering key was sent or is waiting.
    """
    message = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.id == message_id,
            OutboxMessage.platform_id == platform_id,
            OutboxMessage.status == FAILED,
        )
    ).first()
    if message is None:
        return None
    newer = session.scalar(
        select(func.count()).where(
            OutboxMessage.ordering_key == message.ordering_key,
            OutboxMessage.id > message.id,
            OutboxMessage.status.in_((PENDING, DELIVERED)),
        )
    )
    if newer:
        # Sent now, it would get the newest timestamp and overwrite a later score in the gradebook.
        raise SupersededError(
            _l("A newer delivery for the same learner and gradebook column has been sent or is waiting; this one is outdated and is not sent again.")
        )
    message.status = PENDING
    message.attempts = 0
    message.stamp_conflicts = 0
    message.next_attempt_at = utcnow()
    message.locked_by = None
    message.locked_until = None
    return message


def list_messages(session: Session, *, platform_id: int, status: str | None, limit: int = 200) -> list[OutboxMessage]:
    """The tenant's deliveries, newest first, optionally of one status."""
    query = select(OutboxMessage).where(OutboxMessage.platform_id == platform_id)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def learner_names(session: Session, *, platform_id: int, messages: list[OutboxMessage]) -> dict[str, str]:
    """Names of the learners the messages are about, by their platform user id (same tenant only)."""
    from lti_tool.people.models import User

    subs = {m.payload.get("userId") for m in messages if isinstance(m.payload, dict)} - {None}
    if not subs:
        return {}
    users = session.scalars(select(User).where(User.platform_id == platform_id, User.sub.in_(sorted(subs))))
    return {user.sub: user.display_name for user in users}


def count_by_status(session: Session, *, platform_id: int) -> dict[str, int]:
    rows = session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.platform_id == platform_id)
        .group_by(OutboxMessage.status)
    ).all()
    counts = {PENDING: 0, DELIVERED: 0, FAILED: 0}
    counts.update({status: count for status, count in rows})
    return counts



def purge_delivered(session: Session, older_than: timedelta) -> int:
    """Delete delivered messages older than `older_than`; failed and pending ones stay for the admin."""
    return session.execute(
        delete(OutboxMessage).where(OutboxMessage.status == DELIVERED, OutboxMessage.delivered_at < utcnow() - older_than)
    ).rowcount
