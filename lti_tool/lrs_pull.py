"""Import statements from another LRS into ours (`leerpaspoort lrs pull`), idempotently.

Each page the remote sends is stored in one transaction through the same store the
statements resource uses (xapi.statement_store), so ids are kept, repeats are no-ops,
voiding is honoured, forwarding is queued, and after the commit the application's hooks
turn the statements into formal evidence (xapi/feed.py). The page's transaction also
moves the cursor, so an interrupted run resumes after the last page that was stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.db import session_scope
from lti_tool.lrs_forward import received_from
from xapi import feed
from xapi.client import RemoteLRSClient, RemoteLRSError, StatementPage
from xapi.errors import ConflictError, StatementRejectedError
from xapi.models import PullCursor, utcnow
from xapi.statement_store import Writer, store_statements
from xapi.validation import StatementValidationError, parse_timestamp, validate_statement

# How many skipped statements the report names one by one (the counts are always complete).
PROBLEMS_LISTED = 50
# A resumed run asks for statements stored since a moment just before the cursor: `since` is
# exclusive, and statements sharing the cursor's `stored` may have been split over two pages.
# What is read twice is a no-op ("already present").
RESUME_OVERLAP = timedelta(milliseconds=1)
_INDEX = re.compile(r"^statements\[(\d+)\]")


class PullError(Exception):
    """The pull could not start or could not go on; the message says what to do."""


@dataclass
class PullReport:
    endpoint: str
    since: str | None
    imported: int = 0
    already_present: int = 0
    skipped_invalid: int = 0
    conflicts: int = 0
    pages: int = 0
    cursor: str | None = None
    problems: list[dict] = field(default_factory=list)

    def note(self, kind: str, statement_id, reason: str) -> None:
        if len(self.problems) < PROBLEMS_LISTED:
            self.problems.append({"kind": kind, "id": statement_id if isinstance(statement_id, str) else None, "reason": reason})

    def summary(self) -> str:
        return (
            f"Pulled from {self.endpoint}: {self.imported} imported, {self.already_present} already present, "
            f"{self.skipped_invalid} skipped as invalid, {self.conflicts} conflicts."
        )

    def as_dict(self) -> dict:
        return {
            "endpoint": self.endpoint,
            "since": self.since,
            "imported": self.imported,
            "already_present": self.already_present,
            "skipped_invalid": self.skipped_invalid,
            "conflicts": self.conflicts,
            "pages": self.pages,
            "cursor": self.cursor,
            "problems": self.problems,
        }


def parse_since(value: str) -> str:
    """Check a --since value (ISO 8601 with a time zone) and return it unchanged."""
    try:
        parse_timestamp(value, version="2.0.0", path="--since")
    except StatementValidationError:
        raise PullError(f"--since must be an ISO 8601 timestamp with a time zone, e.g. 2026-01-31T00:00:00Z, not {value!r}.") from None
    return value


def stored_cursor(session: Session, tenant_id: int, endpoint: str) -> str | None:
    """Where the last pull of this tenant from this endpoint stopped."""
    return session.scalar(select(PullCursor.since).where(PullCursor.tenant_id == tenant_id, PullCursor.endpoint == endpoint))


def _resume_point(cursor: str) -> str:
    moment = _moment(cursor) - RESUME_OVERLAP
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _moment(value: str) -> datetime:
    return parse_timestamp(value, version="2.0.0", path="stored")


def pull(app: Flask, client: RemoteLRSClient, *, tenant_id: int, since: str | None = None, authority: dict) -> PullReport:
    """Import every statement the remote stored after `since` (or the stored cursor); one transaction per page."""
    endpoint = client.endpoint
    if since is None:
        with session_scope(app) as session:
            cursor = stored_cursor(session, tenant_id, endpoint)
        since = _resume_point(cursor) if cursor else None
    report = PullReport(endpoint=endpoint, since=since)
    writer = Writer(tenant_id=tenant_id, authority=authority, keeps_sent_authority=True)
    try:
        # The hooks (formal evidence, forwarding) find the application through its context.
        with app.app_context():
            for page in client.statement_pages(since=since):
                _import_page(app, writer, endpoint, page, report, version=client.version)
    except RemoteLRSError as exc:
        # The pages stored so far stay, with their cursor: a rerun goes on from there.
        done = f"{report.imported} statement(s) were imported before this; run again to resume." if report.pages else "Nothing was imported."
        raise PullError(f"{exc} {done}") from exc
    return report


def _import_page(app: Flask, writer: Writer, endpoint: str, page: StatementPage, report: PullReport, *, version: str) -> None:
    report.pages += 1
    batch = _importable(page.statements, report)
    with session_scope(app) as session:
        received_from(session, endpoint)
        result = _store_skipping_conflicts(session, writer, batch, report, version=version)
        cursor = _page_cursor(page)
        if cursor is not None:
            _save_cursor(session, writer.tenant_id, endpoint, cursor)
            report.cursor = cursor
    if result is not None:
        report.imported += len(result.stored_ids)
        report.already_present += len(result.ids) - len(result.stored_ids)
        if result.stored_ids:
            feed.announce(app)


def _importable(statements: list, report: PullReport) -> list[dict]:
    """The page's statements that pass our validation, each id once."""
    batch: dict[str, dict] = {}
    for index, statement in enumerate(statements):
        statement_id = statement.get("id") if isinstance(statement, dict) else None
        version = str(statement.get("version") or "1.0.3") if isinstance(statement, dict) else "1.0.3"
        try:
            validate_statement(statement, version="2.0.0" if version.startswith("2.") else "1.0.3", path=f"statements[{index}]")
        except StatementValidationError as exc:
            report.skipped_invalid += 1
            report.note("invalid", statement_id, f"{exc.path}: {exc.rule}")
            continue
        if not statement_id:
            report.skipped_invalid += 1
            report.note("invalid", None, "the statement has no id, so it cannot be imported idempotently")
            continue
        key = statement_id.lower()
        if key in batch:
            # The same id twice on one page: the store would take only one of them anyway.
            report.already_present += 1
            continue
        batch[key] = statement
    return list(batch.values())


def _store_skipping_conflicts(session: Session, writer: Writer, batch: list[dict], report: PullReport, *, version: str):
    """Store the batch; a statement the store refuses (409, or voiding a voiding) is dropped and counted."""
    while batch:
        try:
            return store_statements(session, writer, batch, version=version)
        except (ConflictError, StatementRejectedError) as exc:
            # Both are raised before anything of the batch is written; the index names the culprit.
            match = _INDEX.match(str(exc.details.get("property", "")))
            if match is None or int(match.group(1)) >= len(batch):
                raise
            culprit = batch.pop(int(match.group(1)))
            if isinstance(exc, ConflictError):
                report.conflicts += 1
                report.note("conflict", culprit.get("id"), "a different statement with this id is already stored here")
            else:
                report.skipped_invalid += 1
                report.note("invalid", culprit.get("id"), exc.message)
    return None


def _page_cursor(page: StatementPage) -> str | None:
    """The latest `stored` on the page, but never past what the remote says is consistent."""
    latest = None
    for statement in page.statements:
        stored = statement.get("stored") if isinstance(statement, dict) else None
        try:
            moment = _moment(stored)
        except StatementValidationError:
            continue
        if latest is None or moment > latest[0]:
            latest = (moment, stored)
    if latest is None:
        return None
    if page.consistent_through:
        try:
            through = _moment(page.consistent_through)
        except StatementValidationError:
            return latest[1]
        if through < latest[0]:
            # Statements stored before `through` may still appear; resume from there.
            return page.consistent_through
    return latest[1]


def _save_cursor(session: Session, tenant_id: int, endpoint: str, cursor: str) -> None:
    record = session.scalars(
        select(PullCursor).where(PullCursor.tenant_id == tenant_id, PullCursor.endpoint == endpoint)
    ).first()
    if record is None:
        session.add(PullCursor(tenant_id=tenant_id, endpoint=endpoint, since=cursor, updated=utcnow()))
    elif record.since is None or _moment(cursor) > _moment(record.since):
        # A run with an earlier --since never moves the cursor back.
        record.since, record.updated = cursor, utcnow()


def pull_authority(endpoint: str) -> dict:
    """The authority given to imported statements that come without one."""
    return {"objectType": "Agent", "name": "leerpaspoort lrs pull", "account": {"homePage": endpoint, "name": "lrs-pull"}}
