"""Storing statements: all or nothing, ids in order, conflicts, voiding, filter keys.

The database enforces the unique statement id per tenant; we read what exists first (to answer
"same statement again" with a no-op and "different statement, same id" with 409), and when a
concurrent request wins the race in between, the unique constraint fails our insert and the
whole batch is tried once more against what is now stored.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import Connection, bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xapi import feed, hooks
from xapi.direct_sql import DirectStatement, run_many
from xapi.errors import ConflictError, StatementRejectedError
from xapi.models import Statement, StatementFilter
from xapi.statement_activities import record_definitions
from xapi.statement_index import activities_with_definitions, filter_keys
from xapi.statement_keys import agent_key
from xapi.validation import VOIDED_VERB, parse_timestamp, statements_match
from xapi.write_lock import begin_writing

# Core tables, not ORM entities: storing is bulk work and the ORM layer would only add overhead.
STATEMENTS = Statement.__table__
FILTERS = StatementFilter.__table__


@dataclass(frozen=True)
class Writer:
    """Who stores the statements, as far as storing them is concerned."""

    tenant_id: int
    authority: dict
    credential_id: int | None = None
    # Data 2.4.9: the LRS SHOULD overwrite authority unless it trusts the sender (e.g. an import).
    keeps_sent_authority: bool = False
    # Communication 4.2: without `define`, statements do not change canonical activity definitions.
    may_define: bool = False


@dataclass
class StoreResult:
    ids: list[str] = field(default_factory=list)  # every statement's id, in request order
    stored_ids: list[str] = field(default_factory=list)  # lower-case ids of those stored now (not repeats)
    voided_ids: list[str] = field(default_factory=list)  # statements this request voided


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision, the form `stored` is returned in."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def stored_now() -> datetime:
    """The current time truncated to milliseconds, so `since` on a returned `stored` is exact."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def default_version(request_version: str) -> str:
    # Data 2.4.10: a statement without a version is a 1.0.0 statement; 2.0 stores 2.0.0.
    return "2.0.0" if request_version.startswith("2.") else "1.0.0"


def is_voiding(statement: dict) -> bool:
    return statement["verb"]["id"] == VOIDED_VERB


def _ref_target(statement: dict) -> str | None:
    obj = statement.get("object") or {}
    if obj.get("objectType") == "StatementRef":
        return obj["id"].lower()
    return None


def store_statements(
    session: Session, writer: Writer, statements: list[dict], *, version: str, now: datetime | None = None
) -> StoreResult:
    """Store validated statements in one transaction (the caller commits); return their ids."""
    now = now or stored_now()
    ids = [(statement.get("id") or str(uuid.uuid4())) for statement in statements]
    for attempt in (1, 2):
        try:
            result = _store(session, writer, statements, ids, version=version, now=now)
            break
        except IntegrityError:
            session.rollback()
            if attempt == 2:
                raise
    if result.stored_ids:
        feed.record(session, writer.tenant_id, result.stored_ids, result.voided_ids)
        hooks.notify_storing(session, writer.tenant_id, result.stored_ids)
    return result


def _store(session, writer: Writer, statements: list[dict], ids: list[str], *, version: str, now: datetime) -> StoreResult:
    tenant_id = writer.tenant_id
    # Statements run on the connection skip the session's autoflush: flush what the caller added
    # (a credential a new statement refers to, say). The connection is asked for once, because
    # asking costs about as much as running a statement (xapi/direct_sql.py).
    session.flush()
    connection = session.connection()
    keys = [statement_id.lower() for statement_id in ids]
    existing = {statement_id: (payload, voiding) for statement_id, payload, voiding in _rows(connection, _EXISTING, tenant_id, keys)}
    result = StoreResult(ids=list(ids))
    new_indexes = []
    for index, (statement, key) in enumerate(zip(statements, keys)):
        found = existing.get(key)
        if found is None:
            new_indexes.append(index)
        elif not _same_statement(json.loads(found[0]), statement):
            raise ConflictError(
                f"A different statement with id {ids[index]} is already stored; statements cannot be changed.",
                details={"property": f"statements[{index}].id", "rule": "a statement id can only be used once"},
            )
    if not new_indexes:
        return result

    # What each StatementRef points at: voiding rules and inherited filter keys need it.
    batch_voiding = {keys[i]: is_voiding(statements[i]) for i in new_indexes}
    targets = {_ref_target(statements[i]) for i in new_indexes} - {None}
    target_voiding = {key: voiding for key, (_payload, voiding) in existing.items()}
    target_keys: dict[str, set] = {}
    if targets:
        for statement_id, voiding in _rows(connection, _TARGET_VOIDING, tenant_id, sorted(targets)):
            target_voiding[statement_id] = voiding
        for statement_id, kind, value_key in _rows(connection, _TARGET_KEYS, tenant_id, sorted(targets)):
            target_keys.setdefault(statement_id, set()).add((kind, value_key))
    target_voiding.update(batch_voiding)

    rows, row_keys, voiding_targets = [], [], []
    for index in new_indexes:
        statement, key = statements[index], keys[index]
        target = _ref_target(statement)
        voiding = is_voiding(statement)
        if voiding and target_voiding.get(target):
            # Data 2.3.2.s2.b3: a voiding statement cannot itself be voided.
            raise StatementRejectedError(
                f"Statement {target} is itself a voiding statement and cannot be voided.",
                property=f"statements[{index}].object.id",
                rule="a voiding statement cannot be voided",
            )
        row, own_keys = statement_row(statement, ids[index], writer, version=version, now=now)
        if target is not None:
            own_keys |= target_keys.get(target, set())
        target_keys[key] = own_keys  # later statements of the batch may refer to this one
        rows.append(row)
        row_keys.append(own_keys)
        if voiding:
            voiding_targets.append(target)
        result.stored_ids.append(key)

    begin_writing(connection)  # the rows are ready: the lock is held from here to the commit
    if len(rows) == 1:
        seqs = [_INSERT_ONE.rows(connection, rows[0])[0][0]]
    else:
        # Matched up by id: RETURNING in parameter order makes SQLAlchemy insert one row per
        # round trip on SQLite, while unordered it sends the batch as multi-row INSERTs.
        seq_of = dict(connection.execute(_INSERT_MANY, rows).all())
        seqs = [seq_of[row["statement_id"]] for row in rows]
    filters = [(seq, kind, value_key, tenant_id) for seq, statement_keys in zip(seqs, row_keys) for kind, value_key in statement_keys]
    _insert_filters(connection, filters)

    voidable = [keys[i] for i in new_indexes if not is_voiding(statements[i])]
    result.voided_ids = _apply_voiding(connection, tenant_id, voiding_targets, voidable)
    if writer.may_define:
        record_definitions(
            session, tenant_id, (a for i in new_indexes for a in activities_with_definitions(statements[i]))
        )
    return result


def statement_row(statement: dict, statement_id: str, writer: Writer, *, version: str, now: datetime) -> tuple[dict, set]:
    """The xapi_statements row of a new, validated statement and its own filter keys.

    Keys a StatementRef inherits from its target are the caller's to add. Bulk loaders use
    this too, so what they write has exactly the shape the store writes.
    """
    payload = _complete(statement, statement_id, writer, version, now)
    # By the statement's own version: a 1.0 statement without an offset (UTC by 1.0's rules) may
    # arrive through a 2.0 request of `lrs pull`, which validates each statement by its version.
    timestamp = parse_timestamp(payload["timestamp"], version=payload["version"]) if "timestamp" in statement else now
    obj = statement.get("object") or {}
    row = {
        "tenant_id": writer.tenant_id,
        "statement_id": statement_id.lower(),
        "stored": now,
        "timestamp": timestamp,
        "version": payload["version"],
        "actor_key": agent_key(statement["actor"]),
        "verb_id": statement["verb"]["id"],
        "object_activity_id": obj["id"] if obj.get("objectType", "Activity") == "Activity" else None,
        "object_ref_id": _ref_target(statement),
        "registration": ((statement.get("context") or {}).get("registration") or "").lower() or None,
        "voided": False,
        "voiding": is_voiding(statement),
        "credential_id": writer.credential_id,
        "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
    }
    return row, filter_keys(payload)


# PostgreSQL: four arrays unnested into rows, one statement whatever the batch size (a per-row
# executemany costs a round trip each, and a multi-row VALUES is compiled afresh every time).
_UNNEST_FILTERS = text(
    "INSERT INTO xapi_statement_filters (statement_seq, kind, value_key, tenant_id) "
    "SELECT * FROM unnest(CAST(:seqs AS bigint[]), CAST(:kinds AS smallint[]), "
    "CAST(:value_keys AS varchar[]), CAST(:tenants AS integer[]))"
)


# SQLite: the driver's own executemany of plain tuples. Through a compiled insert, SQLAlchemy
# builds a parameter dictionary per row; a batch of 100 statements has about 900 rows.
_INSERT_FILTERS = "INSERT INTO xapi_statement_filters (statement_seq, kind, value_key, tenant_id) VALUES (?, ?, ?, ?)"


def _insert_filters(connection: Connection, filters: list[tuple[int, int, str, int]]) -> None:
    """Insert the filter rows (seq, kind, value key, tenant) of the new statements."""
    if not filters:
        return
    if connection.dialect.name != "postgresql":
        run_many(connection, _INSERT_FILTERS, filters)
        return
    seqs, kinds, value_keys, tenants = (list(column) for column in zip(*filters))
    connection.execute(_UNNEST_FILTERS, {"seqs": seqs, "kinds": kinds, "value_keys": value_keys, "tenants": tenants})


def _same_statement(stored: dict, sent: dict) -> bool:
    """Data 2.3.1 comparison; the ids already matched case-insensitively (UUIDs ignore case)."""
    return statements_match(
        {k: v for k, v in stored.items() if k != "id"}, {k: v for k, v in sent.items() if k != "id"}
    )


def _complete(statement: dict, statement_id: str, writer: Writer, version: str, now: datetime) -> dict:
    """The statement as stored: as sent, plus what the LRS sets (Data 2.4)."""
    payload = {"id": statement_id} if "id" not in statement else {}
    payload.update(statement)
    stored = format_timestamp(now)
    payload["stored"] = stored  # Data 2.4.8: the LRS sets stored, whatever was sent
    if "authority" not in statement or not writer.keeps_sent_authority:
        payload["authority"] = writer.authority
    payload.setdefault("version", default_version(version))
    payload.setdefault("timestamp", stored)  # Data 2.4.7: timestamp defaults to stored
    return payload


def _apply_voiding(connection: Connection, tenant_id: int, targets: list[str], new_voidable: list[str]) -> list[str]:
    """Mark voided what the new voiding statements target, and new statements voided earlier."""
    targets = list(dict.fromkeys(targets))
    voided: list[str] = []
    if targets:
        voided = [row[0] for row in _rows(connection, _VOIDABLE_TARGETS, tenant_id, targets)]
    # A voiding statement may arrive before its target: the target is voided on arrival.
    if new_voidable:
        voided += [row[0] for row in _rows(connection, _VOIDED_AHEAD, tenant_id, new_voidable)]
    voided = [statement_id for statement_id in dict.fromkeys(voided) if statement_id]
    if voided:
        _rows(connection, _MARK_VOIDED, tenant_id, voided)
    return voided


# --- the store's statements, built once ------------------------------------------------------------
# Building a SQLAlchemy statement and expanding an IN list cost far more CPU than SQLite takes to
# run it; these are built at import, and a single id compares with = instead of IN. The
# single-id forms, which every single-statement POST runs, skip Session.execute (direct_sql).


def _one_and_many(build):
    """The (single id, several ids) forms of a statement over `STATEMENTS.c.statement_id`."""
    return (
        DirectStatement(build(STATEMENTS.c.statement_id == bindparam("id"))),
        build(STATEMENTS.c.statement_id.in_(bindparam("ids", expanding=True))),
    )


def _rows(connection: Connection, forms, tenant_id: int, ids: list[str]) -> list[tuple]:
    """Run the right form of `forms` for these ids; return its rows as tuples."""
    one, many = forms
    if len(ids) == 1:
        return one.rows(connection, {"tenant": tenant_id, "id": ids[0]})
    result = connection.execute(many, {"tenant": tenant_id, "ids": list(ids)})
    return [tuple(row) for row in result] if result.returns_rows else []


# Parameter names differ from column names: an UPDATE reserves those for its SET clause.
_TENANT = STATEMENTS.c.tenant_id == bindparam("tenant")
_EXISTING = _one_and_many(
    lambda match: select(STATEMENTS.c.statement_id, STATEMENTS.c.payload, STATEMENTS.c.voiding).where(_TENANT, match)
)
_TARGET_VOIDING = _one_and_many(lambda match: select(STATEMENTS.c.statement_id, STATEMENTS.c.voiding).where(_TENANT, match))
_TARGET_KEYS = _one_and_many(
    lambda match: select(STATEMENTS.c.statement_id, FILTERS.c.kind, FILTERS.c.value_key)
    .join(FILTERS, FILTERS.c.statement_seq == STATEMENTS.c.seq)
    .where(_TENANT, match)
)
_VOIDABLE_TARGETS = _one_and_many(
    lambda match: select(STATEMENTS.c.statement_id).where(
        _TENANT, match, STATEMENTS.c.voiding.is_(False), STATEMENTS.c.voided.is_(False)
    )
)
_VOIDED_AHEAD = (
    DirectStatement(
        select(STATEMENTS.c.object_ref_id)
        .where(_TENANT, STATEMENTS.c.voiding.is_(True), STATEMENTS.c.object_ref_id == bindparam("id"))
        .distinct()
    ),
    select(STATEMENTS.c.object_ref_id)
    .where(_TENANT, STATEMENTS.c.voiding.is_(True), STATEMENTS.c.object_ref_id.in_(bindparam("ids", expanding=True)))
    .distinct(),
)
_MARK_VOIDED = _one_and_many(
    lambda match: update(STATEMENTS).where(_TENANT, match, STATEMENTS.c.voiding.is_(False)).values(voided=True)
)
_INSERT_ONE = DirectStatement(insert(STATEMENTS).returning(STATEMENTS.c.seq))
_INSERT_MANY = insert(STATEMENTS).returning(STATEMENTS.c.statement_id, STATEMENTS.c.seq)
