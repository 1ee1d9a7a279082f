"""The stored-statements feed: the application hears about statements after they are committed.

Every transaction that stores statements also writes one row to `xapi_stored_batches`
(`record`). After the commit the rows are read in order, the application's
`on_statements_stored` callbacks run for them, and the rows are deleted (`drain`).

Why a table rather than a call after the commit:
- a process that stops between the commit and the callbacks would lose their work (formal
  evidence, cmi5 satisfaction); the row outlives it, and the next reader picks it up;
- the work need not run in the request that stored the statements. In `leerpaspoort serve`
  a reader thread in every web process does it (`FeedReader`), for many commits at once, so
  a single-statement POST answers sooner and the work costs less per statement.

Without a reader (the test client, CLI commands, a WSGI server that does not start one)
`announce` drains the feed in the caller before it returns, as before.

Delivery is at least once: a reader that stops after the callbacks and before deleting the
rows leaves them to be read again, so callbacks must be idempotent.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import Flask, current_app, has_app_context
from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from xapi import hooks
from xapi.direct_sql import DirectStatement
from xapi.models import StoredBatch

log = logging.getLogger(__name__)

READER_KEY = "xapi.feed_reader"
SESSIONS_KEY = "xapi.sessions"
# Rows per claim. A row is one commit (up to XAPI_MAX_STATEMENTS_PER_REQUEST statements).
ROWS_PER_CLAIM = 200
# A claim lapses after this, so rows held by a reader that died are read again.
CLAIM_LEASE = timedelta(minutes=5)
# How often an idle reader looks for rows that another process wrote or left behind.
POLL_INTERVAL = 5.0
# A woken reader gathers commits before it reads, so that under load one round takes the
# commits of many requests and shares its fixed cost (claim, delete, the callbacks' sessions and
# lookups): about 2.5 ms of CPU, against 0.08 ms per statement. It waits GATHER_STEP, and goes
# on waiting, a step at a time, while each step brings more commits of its own process, until
# it has GATHER_COMMITS of them or has waited GATHER_LIMIT. A lone commit is thus read after
# 20 ms; a busy process reads a few times a second. Evidence appears that much later.
GATHER_STEP = 0.02
GATHER_LIMIT = 0.5
GATHER_COMMITS = 100

_table = StoredBatch.__table__
_INSERT = DirectStatement(insert(_table))  # once per storing commit: see xapi/direct_sql.py


def record(session: Session, tenant_id: int, statement_ids: list[str], voided_ids: list[str]) -> None:
    """Note a store in the caller's transaction; it commits or rolls back with the statements."""
    _INSERT.run(
        session,
        {
            "tenant_id": tenant_id,
            "statement_ids": json.dumps(statement_ids),
            "voided_ids": json.dumps(voided_ids),
            "created_at": datetime.now(timezone.utc),
        },
    )


@dataclass(frozen=True)
class Backlog:
    """A tenant's commits whose statements the application has not yet been told about."""

    commits: int
    oldest: datetime | None


_BACKLOG = select(func.count(), func.min(_table.c.created_at)).where(_table.c.tenant_id == bindparam("tenant"))


def backlog(session: Session, tenant_id: int) -> Backlog:
    """How far behind the feed is for one tenant: normally nothing, a growing number means trouble."""
    commits, oldest = session.execute(_BACKLOG, {"tenant": tenant_id}).one()
    return Backlog(commits, oldest)


# Built once, values bound when run: a reader under load runs these many times a second, and
# building them cost more CPU than the database took to answer.
_CLAIMABLE = or_(_table.c.claimed_until.is_(None), _table.c.claimed_until < bindparam("now"))
_ANY_CLAIMABLE = select(_table.c.id).where(_CLAIMABLE).limit(1)
_OLDEST = select(_table.c.id).where(_CLAIMABLE).order_by(_table.c.id).limit(ROWS_PER_CLAIM)


def _claim_statement(oldest):
    # The outer condition is checked again on PostgreSQL after waiting for a row another
    # reader locked, so two readers never hold the same row.
    return (
        update(_table)
        .where(_table.c.id.in_(oldest.scalar_subquery()), _CLAIMABLE)
        .values(claimed_by=bindparam("token"), claimed_until=bindparam("until"))
    )


_CLAIM = _claim_statement(_OLDEST)
_CLAIM_SKIPPING_LOCKED = _claim_statement(_OLDEST.with_for_update(skip_locked=True))
_CLAIMED = (
    select(_table.c.id, _table.c.tenant_id, _table.c.statement_ids, _table.c.voided_ids)
    .where(_table.c.claimed_by == bindparam("token"))
    .order_by(_table.c.id)
)
_DELETE = delete(_table).where(_table.c.id.in_(bindparam("ids", expanding=True)))


def _claim(session: Session) -> list:
    """Lease the oldest unclaimed rows to this call and commit; return them, oldest first."""
    now = datetime.now(timezone.utc)
    # A read first: an idle feed then costs no write lock (SQLite has one for the whole file).
    if session.scalar(_ANY_CLAIMABLE, {"now": now}) is None:
        session.rollback()
        return []
    token = uuid.uuid4().hex
    claim = _CLAIM_SKIPPING_LOCKED if session.get_bind().dialect.name == "postgresql" else _CLAIM
    session.execute(claim, {"now": now, "token": token, "until": now + CLAIM_LEASE})
    rows = session.execute(_CLAIMED, {"token": token}).all()
    session.commit()
    return rows


def _by_tenant(rows: list) -> dict[int, tuple[list[str], list[str]]]:
    """Join the rows' ids per tenant, in storing order: one callback call per tenant and claim."""
    joined: dict[int, tuple[list[str], list[str]]] = {}
    for row in rows:
        statement_ids, voided_ids = joined.setdefault(row.tenant_id, ([], []))
        statement_ids.extend(json.loads(row.statement_ids))
        voided_ids.extend(json.loads(row.voided_ids))
    return joined


def drain(app: Flask) -> int:
    """Run the callbacks for every committed store not yet announced; return the statements announced.

    Rows that the callbacks add (cmi5 tracking stores Satisfied statements) are read in the
    next round of the same call."""
    announced = 0
    while True:
        rows, statements = read_round(app)
        if not rows:
            return announced
        announced += statements


def read_round(app: Flask) -> tuple[int, int]:
    """Claim up to ROWS_PER_CLAIM rows, run the callbacks for them and delete them; return
    (rows, statements) read."""
    sessions = app.extensions[SESSIONS_KEY]
    with sessions() as session:
        rows = _claim(session)
    if not rows:
        return 0, 0
    announced = 0
    # Callbacks find the application through current_app; a request of this app already has it.
    own_context = has_app_context() and current_app._get_current_object() is app
    with nullcontext() if own_context else app.app_context():
        for tenant_id, (statement_ids, voided_ids) in _by_tenant(rows).items():
            hooks.notify_stored(tenant_id, statement_ids, voided_ids)
            announced += len(statement_ids)
    with sessions() as session:
        session.execute(_DELETE, {"ids": [row.id for row in rows]})
        session.commit()
    return len(rows), announced


def announce(app: Flask | None = None) -> None:
    """After a commit that stored statements: wake this process's reader, or drain the feed here."""
    app = app or current_app._get_current_object()
    reader = app.extensions.get(READER_KEY)
    if reader is not None and reader.running:
        reader.wake()
        return
    try:
        drain(app)
    except Exception:  # the statements are stored; their rows wait for the next drain
        log.exception("Reading the stored-statements feed failed; the rows stay for the next reader")


class FeedReader:
    """A daemon thread that drains the feed when woken, and every POLL_INTERVAL seconds."""

    def __init__(self, app: Flask, poll_interval: float = POLL_INTERVAL):
        self.app = app
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._announced = 0
        self._thread = threading.Thread(target=self._run, name="leerpaspoort-statement-feed", daemon=True)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stopping.is_set()

    def start(self) -> "FeedReader":
        self._wake.set()  # catch up at once with rows left from before this process started
        self._thread.start()
        return self

    def wake(self) -> None:
        self._announced += 1  # read only to see whether commits keep coming: a lost count is harmless
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        """Let the round in hand finish (its rows are deleted), then end the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _gather(self) -> None:
        """Wait while this process's commits keep coming (see GATHER_STEP), or until stopped."""
        first = self._announced
        deadline = time.monotonic() + GATHER_LIMIT
        while True:
            before = self._announced
            if self._stopping.wait(GATHER_STEP):
                return
            arrived = self._announced
            if arrived == before or arrived - first >= GATHER_COMMITS or time.monotonic() >= deadline:
                return

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.poll_interval)
            self._gather()
            self._wake.clear()
            try:
                # One round per gathering: a round that runs straight after another would only
                # find the few commits made meanwhile, and pay the whole fixed cost for them.
                # A full round means more rows are waiting, so the next one starts at once.
                while read_round(self.app)[0] == ROWS_PER_CLAIM and not self._stopping.is_set():
                    pass
            except Exception:  # the database may be away for a moment; the rows wait
                log.exception("Reading the stored-statements feed failed; trying again in %ss", self.poll_interval)
                self._stopping.wait(self.poll_interval)


def start_reader(app: Flask) -> FeedReader:
    """Start this process's reader; from then on `announce` only wakes it."""
    reader = FeedReader(app).start()
    app.extensions[READER_KEY] = reader
    return reader
