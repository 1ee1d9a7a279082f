"""Forward statements newly stored in our LRS to an external LRS, through the outbox.

When: in the transaction that stores the statements (xapi.hooks.on_statements_storing), not
after the commit. An after-commit hook runs in a second transaction after the LRS has
stored the statements: a crash or a database error in between loses the forward, and a
client that then sends the same statement again gets a no-op, so nothing would ever queue
it. Written in the same transaction, the outbox row exists exactly when the statements do.

What: one outbox message per storing transaction (at most FORWARD_BATCH statements each)
holding only statement ids; the worker reads the statements from our store and POSTs them
as one array. Each message has an ordering key of its own: batches are independent (ids
make them idempotent, and an LRS must accept a voiding statement before its target, Data
2.3.2), so one batch that keeps failing holds up no other, and an administrator can retry
a failed one after newer ones went out (the outbox refuses that within one ordering key).

Settings ([lrs_forward]): endpoint (empty: off), key, secret, version.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Callable

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

import xapi
from lti_tool.lti.models import Platform
from lti_tool.outbox.models import OutboxMessage
from lti_tool.outbox.services import LeaseKeeper, Outcome, lease_for
from lti_tool.settings import Settings
from xapi.client import RemoteLRSClient, RemoteLRSError, normalise_endpoint
from xapi.models import Statement
from xapi.validation import statements_match

log = logging.getLogger(__name__)

FORWARD_KIND = "lrs_forward"
# Statements per outbox message, and so per POST to the external LRS.
FORWARD_BATCH = 100
# Where a session notes the LRS its statements came from (see `received_from`).
SOURCE_INFO_KEY = "lrs_forward.source_endpoint"
TRANSIENT_CLIENT_ERRORS = {408, 425, 429}
# Answers that may concern one statement of a batch (a rule of the remote's, or the size).
SPLIT_ON_STATUS = {400, 413}


def init_app(app) -> None:
    # Process-wide and idempotent, like the after-commit hooks; settings are read per call.
    xapi.hooks.on_statements_storing(_enqueue_in_transaction)


def forwarding_on(settings: Settings) -> bool:
    return bool(settings.lrs_forward_endpoint)


def received_from(session: Session, endpoint: str) -> None:
    """Note that what this session stores came from `endpoint`: it is not forwarded back there."""
    session.info[SOURCE_INFO_KEY] = normalise_endpoint(endpoint)


def ordering_key(tenant_id: int) -> str:
    return f"lrs-forward:{tenant_id}:{uuid.uuid4().hex}"


def _enqueue_in_transaction(session: Session, tenant_id: int, statement_ids: list[str]) -> None:
    if not has_app_context():
        return  # the LRS used without this application: there is nothing to forward to
    settings: Settings = current_app.extensions["leerpaspoort.settings"]
    if forwarding_on(settings):
        enqueue_forward(session, settings, tenant_id, statement_ids)


def enqueue_forward(session: Session, settings: Settings, tenant_id: int, statement_ids: list[str]) -> list[OutboxMessage]:
    """Queue new statements for the external LRS in the caller's transaction (the caller commits)."""
    target = normalise_endpoint(settings.lrs_forward_endpoint)
    if session.info.get(SOURCE_INFO_KEY) == target:
        return []  # pulled from the forward target: sending them back would loop
    # The tenant is a platform, whose administrator sees the deliveries; an LRS tenant without
    # one (a deleted platform's leftover credential) still forwards rather than fail the store.
    platform_id = tenant_id if session.get(Platform, tenant_id) is not None else None
    messages = []
    for start in range(0, len(statement_ids), FORWARD_BATCH):
        message = OutboxMessage(
            kind=FORWARD_KIND,
            platform_id=platform_id,
            target_url=target,
            payload={"tenant_id": tenant_id, "statement_ids": statement_ids[start : start + FORWARD_BATCH]},
            ordering_key=ordering_key(tenant_id),
        )
        session.add(message)
        messages.append(message)
    return messages


def _client(settings: Settings) -> RemoteLRSClient:
    return RemoteLRSClient(
        settings.lrs_forward_endpoint,
        key=settings.lrs_forward_key,
        secret=settings.lrs_forward_secret,
        version=settings.lrs_forward_version,
        timeout=settings.outbox_request_timeout,
    )


def _stored_statements(session: Session, tenant_id: int, statement_ids: list[str]) -> list[dict]:
    rows = session.execute(
        select(Statement.seq, Statement.payload).where(Statement.tenant_id == tenant_id, Statement.statement_id.in_(statement_ids))
    ).all()
    # Sorted here: an ORDER BY seq leads SQLite to walk every statement of the tenant in seq order.
    return [json.loads(row.payload) for row in sorted(rows, key=lambda row: row.seq)]


def deliver_forward(session: Session, _service_client, message: OutboxMessage) -> Outcome:
    """Send one batch to the external LRS; what it refuses is sorted out statement by statement."""
    settings: Settings = current_app.extensions["leerpaspoort.settings"]
    if not forwarding_on(settings) or normalise_endpoint(settings.lrs_forward_endpoint) != message.target_url:
        return Outcome(
            error=f"Forwarding to {message.target_url} is no longer configured (lrs_forward_endpoint); not sent.",
            permanent=True,
        )
    payload = message.payload or {}
    # Splitting a refused batch can take many requests: the lease is renewed on the way.
    lease = LeaseKeeper(session, message.id, message.locked_by, lease_for(settings))
    statements = _stored_statements(session, int(payload.get("tenant_id", -1)), list(payload.get("statement_ids") or []))
    session.commit()  # end the read before the network call; the worker records the outcome in a new one
    if not statements:
        return Outcome(delivered=True, error="None of these statements is stored any more; nothing to send.")
    try:
        refused = _send(_client(settings), statements, lease.keep)
    except RemoteLRSError as exc:
        return outcome_from_remote_error(exc)
    if refused:
        listed = "; ".join(f"{refusal.statement_id}: {refusal.reason}" for refusal in refused)
        return Outcome(
            status_code=refused[0].status,
            error=f"{len(statements) - len(refused)} of {len(statements)} statements were forwarded. "
            f"The external LRS refused the others: {listed}",
            permanent=True,
        )
    return Outcome(status_code=200, delivered=True)


@dataclass(frozen=True)
class Refusal:
    statement_id: str
    status: int
    reason: str


def _send(
    client: RemoteLRSClient, statements: list[dict], keep_lease: Callable[[], None], *, after_conflict: bool = False
) -> list[Refusal]:
    """POST statements; return the ones the remote refused on their own merits.

    An LRS refuses a whole batch for one statement it will not take (400) or for its size
    (413). Halving the batch until the refusal is pinned on single statements delivers all
    the others (at most 2n-1 requests for n statements). Errors that are not about the
    statements (network, 5xx, 401, 429) are raised: the message as a whole is retried or failed,
    and so is a second 409 for statements the remote just said it does not have.
    """
    keep_lease()
    try:
        client.post_statements(statements)
    except RemoteLRSError as exc:
        if exc.status == 409 and not after_conflict:
            return _after_conflict(client, statements, keep_lease)
        if exc.status not in SPLIT_ON_STATUS:
            raise
        if len(statements) == 1:
            return [Refusal(statements[0]["id"], exc.status, str(exc))]
        middle = len(statements) // 2
        return _send(client, statements[:middle], keep_lease, after_conflict=after_conflict) + _send(
            client, statements[middle:], keep_lease, after_conflict=after_conflict
        )
    return []


def _after_conflict(client: RemoteLRSClient, statements: list[dict], keep_lease: Callable[[], None]) -> list[Refusal]:
    """The remote refused the batch because it has some of these ids: send only what it lacks.

    Many LRSs answer 409 even when the stored statement is the same one (then it is delivered);
    a different statement under the same id is a real conflict, reported and not retried.
    """
    missing, different = [], []
    for statement in statements:
        keep_lease()
        remote = client.get_statement(statement["id"])
        if remote is None:
            missing.append(statement)
        elif not statements_match(remote, statement):
            different.append(Refusal(statement["id"], 409, "the external LRS holds a different statement under this id"))
    refused = _send(client, missing, keep_lease, after_conflict=True) if missing else []
    return different + refused


def outcome_from_remote_error(exc: RemoteLRSError) -> Outcome:
    """5xx, 408/425/429 and network errors retry (after the remote's Retry-After, if it gave one); other 4xx are permanent."""
    status = exc.status
    if status is None or status >= 500 or status in TRANSIENT_CLIENT_ERRORS:
        return Outcome(status_code=status, error=str(exc), retry_after=exc.retry_after)
    return Outcome(status_code=status, error=str(exc), permanent=True)
