"""The outbox worker: claim due messages, deliver them, record the outcome, repeat.

`leerpaspoort worker` runs it as its own process (production); `leerpaspoort serve` runs
it in a background thread (see lti_tool/outbox/embedded.py). Any number may run at once.
Each round also reads the stored-statements feed (xapi/feed.py) for rows nobody else read.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from typing import Callable

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.db import session_factory
from lti_tool.lrs_forward import FORWARD_KIND, deliver_forward
from lti_tool.lti.ags import SCORE_KIND, deliver_score
from lti_tool.lti.service_client import ServiceClient, client_for
from lti_tool.outbox.models import PENDING, OutboxMessage
from lti_tool.outbox.services import LeaseLostError, Outcome, RetryPolicy, claim_due, lease_for, record_outcome, renew_lease
from xapi import feed

log = logging.getLogger(__name__)

Deliverer = Callable[[Session, ServiceClient, OutboxMessage], Outcome]
DELIVERERS: dict[str, Deliverer] = {SCORE_KIND: deliver_score, FORWARD_KIND: deliver_forward}
BATCH_SIZE = 20
# `--once` stops after this many rounds even if messages keep becoming due (immediate retries).
ONCE_MAX_ROUNDS = 50


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class OutboxWorker:
    """Delivers what is due; holds no state between rounds apart from its identity."""

    def __init__(
        self,
        app: Flask,
        *,
        worker_id: str | None = None,
        client: ServiceClient | None = None,
        deliverers: dict[str, Deliverer] | None = None,
    ):
        settings = app.extensions["leerpaspoort.settings"]
        self.app = app
        self.worker_id = worker_id or new_worker_id()
        self.sessions = session_factory(app)
        self.client = client or client_for(app)
        self.deliverers = deliverers or DELIVERERS
        self.policy = RetryPolicy(
            max_attempts=settings.outbox_max_attempts,
            base_delay=settings.outbox_retry_base_delay,
            max_delay=settings.outbox_retry_max_delay,
        )
        self.lease = lease_for(settings)

    def run_round(self, limit: int = BATCH_SIZE) -> int:
        """Claim up to `limit` due messages and deliver them; return how many were attempted."""
        with self.sessions() as session:
            claimed = claim_due(session, self.worker_id, lease=self.lease, limit=limit)
        for message_id in claimed:
            self.deliver(message_id)
        return len(claimed)

    def deliver(self, message_id: int) -> str | None:
        """Attempt one claimed message and record the outcome; return its new status."""
        # An application context, so deliverers can read the settings (the embedded thread has none).
        with self.app.app_context(), self.sessions() as session:
            try:
                # The round's claim may be old by now: the earlier messages took their time.
                renew_lease(session, message_id, self.worker_id, self.lease)
            except LeaseLostError:
                return None
            message = session.scalars(
                select(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.locked_by == self.worker_id)
            ).first()
            if message is None or message.status != PENDING:
                session.rollback()
                return None
            deliverer = self.deliverers.get(message.kind)
            try:
                if deliverer is None:
                    outcome = Outcome(error=f"No delivery is known for messages of kind {message.kind!r}.", permanent=True)
                else:
                    outcome = deliverer(session, self.client, message)
            except LeaseLostError:
                # A long delivery outlived its lease and another worker took the message over.
                log.warning("Outbox message %s: lease lost during delivery; left to the worker that holds it", message_id)
                session.rollback()
                return None
            except Exception as exc:  # a bug must not stop the queue; the message is retried later
                log.exception("Outbox message %s: delivery raised", message_id)
                session.rollback()
                outcome = Outcome(error=f"Internal error while sending: {exc.__class__.__name__}")
            status = record_outcome(session, message_id, self.worker_id, outcome, self.policy)
        if status is not None:
            log.info("Outbox message %s (%s): %s after attempt, HTTP %s", message_id, message.kind, status, outcome.status_code)
        return status

    def drain(self) -> int:
        """Deliver everything due now; return how many attempts were made."""
        total = 0
        for _ in range(ONCE_MAX_ROUNDS):
            attempted = self.run_round()
            total += attempted
            if attempted == 0:
                break
        return total


def _housekeeping(app: Flask) -> None:
    from lti_tool.housekeeping import run_housekeeping

    with session_factory(app)() as session:
        removed = run_housekeeping(session, app.extensions["leerpaspoort.settings"])
        session.commit()
    if any(removed.values()):
        log.info("Housekeeping removed %s", removed)


def _read_statement_feed(app: Flask) -> None:
    # Web processes read the feed themselves; this catches rows a stopped process left, and
    # rows written by commands that ran while no web process was up.
    announced = feed.drain(app)
    if announced:
        log.info("Stored-statements feed: %d statements handed to the application", announced)


def run_worker(app: Flask, once: bool = False, stop: threading.Event | None = None) -> int:
    """Deliver the outbox until stopped (SIGTERM/SIGINT or `stop`); with `once`, deliver what is due and return.

    Returns the number of delivery attempts made.
    """
    settings = app.extensions["leerpaspoort.settings"]
    worker = OutboxWorker(app)
    if once:
        _read_statement_feed(app)
        return worker.drain()
    stop = stop or threading.Event()
    restore = _stop_on_signals(stop)
    log.info("Outbox worker %s started (poll every %ss)", worker.worker_id, settings.outbox_poll_interval)
    attempted = 0
    next_housekeeping = time.monotonic()
    try:
        while not stop.is_set():
            try:
                if time.monotonic() >= next_housekeeping:
                    next_housekeeping = time.monotonic() + settings.outbox_housekeeping_interval
                    _housekeeping(app)
                _read_statement_feed(app)
                round_attempts = worker.run_round()
                attempted += round_attempts
            except Exception:  # the database may be away for a moment; keep polling
                log.exception("Outbox worker round failed; trying again after the poll interval")
                round_attempts = 0
            if round_attempts == 0:
                stop.wait(settings.outbox_poll_interval)
    finally:
        restore()
    log.info("Outbox worker %s stopped", worker.worker_id)
    return attempted


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Finish the message in hand, then stop, on SIGTERM (systemd, gunicorn) and SIGINT.

    Returns a function that puts the previous handlers back.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, _frame):
        log.info("Outbox worker received signal %s; stopping after the current message", signum)
        stop.set()

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for signum, old in previous.items():
            signal.signal(signum, old)

    return restore
