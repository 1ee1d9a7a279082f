"""The narrow interface to the application: callbacks run after statements are committed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

StoredCallback = Callable[[int, list[str], list[str]], None]
_callbacks: list[StoredCallback] = []


def on_statements_stored(callback: StoredCallback) -> StoredCallback:
    """Register `callback(tenant_id, statement_ids, voided_ids)`, run after storing commits.

    Called from the stored-statements feed (xapi/feed.py): at least once per statement, maybe
    for several commits of a tenant in one call, and maybe on a reader thread, not the request."""
    if callback not in _callbacks:
        _callbacks.append(callback)
    return callback


def remove_callback(callback: StoredCallback) -> None:
    """Unregister a callback (tests, or an application shutting a feature off)."""
    if callback in _callbacks:
        _callbacks.remove(callback)


def notify_stored(tenant_id: int, statement_ids: list[str], voided_ids: list[str]) -> None:
    """Call every registered callback; one failing callback never undoes a stored statement."""
    for callback in list(_callbacks):
        try:
            callback(tenant_id, list(statement_ids), list(voided_ids))
        except Exception:
            log.exception("A statements-stored callback failed (tenant %s, %d statements)", tenant_id, len(statement_ids))


# --- inside the storing transaction ------------------------------------------------------------
# For work that must commit or fail together with the statements (an outbox row that forwards
# them, say): a callback here runs in the caller's session before the commit, and an exception
# it raises undoes the whole store.
StoringCallback = Callable[["Session", int, list[str]], None]
_storing_callbacks: list[StoringCallback] = []


def on_statements_storing(callback: StoringCallback) -> StoringCallback:
    """Register `callback(session, tenant_id, statement_ids)`, run in the transaction that stores them."""
    if callback not in _storing_callbacks:
        _storing_callbacks.append(callback)
    return callback


def remove_storing_callback(callback: StoringCallback) -> None:
    """Unregister an in-transaction callback."""
    if callback in _storing_callbacks:
        _storing_callbacks.remove(callback)


def notify_storing(session: "Session", tenant_id: int, statement_ids: list[str]) -> None:
    """Call every in-transaction callback with the ids stored now; failures propagate (nothing is stored)."""
    for callback in list(_storing_callbacks):
        callback(session, tenant_id, list(statement_ids))
