"""The narrow interface to the application: callbacks run after statements are committed."""

from __future__ import annotations

import logging
from typing import Callable

log = logging.getLogger(__name__)

StoredCallback = Callable[[int, list[str], list[str]], None]
_callbacks: list[StoredCallback] = []


def on_statements_stored(callback: StoredCallback) -> StoredCallback:
    """Register `callback(tenant_id, statement_ids, voided_ids)`, run after each storing commit."""
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
