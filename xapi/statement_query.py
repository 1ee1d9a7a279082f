"""Reading statements: the GET parameters, their rules, the query, and stable `more` cursors.

Pages follow the arrival order (`seq`), and a cursor is the last `seq` served plus the original
filters, signed so it cannot be altered: statements stored while a client pages never shift or
repeat a page (Communication 2.1.3, "more").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Mapping

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from xapi.errors import StatementRejectedError
from xapi.models import Statement, StatementFilter
from xapi.statement_index import ACTIVITY, ACTIVITY_RELATED, AGENT, AGENT_RELATED, REGISTRATION, VERB
from xapi.statement_keys import activity_key, agent_key, registration_key, verb_key
from xapi.validation import StatementValidationError, parse_timestamp, validate_agent, validate_iri, validate_uuid

SINGLE_PARAMETERS = ("statementId", "voidedStatementId")
# Communication 2.1.3: with statementId/voidedStatementId only these may be added.
SINGLE_COMPANIONS = ("attachments", "format")
FILTER_PARAMETERS = (
    "agent", "verb", "activity", "registration", "related_activities", "related_agents",
    "since", "until", "limit", "format", "attachments", "ascending",
)
FORMATS = ("exact", "ids", "canonical")
_INTEGER = re.compile(r"^[0-9]{1,9}$")


def _reject(parameter: str, rule: str, message: str | None = None) -> StatementRejectedError:
    return StatementRejectedError(message or f"The parameter {parameter} is not valid: {rule}.", property=parameter, rule=rule)


def _boolean(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise _reject(name, "must be true or false")
    return value.lower() == "true"


def _format(params: Mapping[str, str]) -> str:
    value = params.get("format", "exact")
    if value not in FORMATS:
        raise _reject("format", "must be one of ids, exact, canonical")
    return value


@dataclass(frozen=True)
class SingleQuery:
    """GET by statementId (voided=False) or voidedStatementId (voided=True)."""

    statement_id: str
    voided: bool
    format: str = "exact"
    attachments: bool = False


@dataclass(frozen=True)
class FilterQuery:
    """GET with filters; `params` keeps the validated parameters for `more` cursors."""

    params: dict[str, str]
    keys: tuple[tuple[int, str], ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 0
    ascending: bool = False
    format: str = "exact"
    attachments: bool = False
    after_seq: int | None = None


def parse_single(params: Mapping[str, str]) -> SingleQuery | None:
    """Return the single-statement query, None when the request uses filters, or raise 400."""
    given = [name for name in SINGLE_PARAMETERS if name in params]
    if not given:
        return None
    if len(given) == 2:
        raise _reject("statementId", "statementId and voidedStatementId cannot be combined")
    name = given[0]
    extra = sorted(set(params) - {name, *SINGLE_COMPANIONS})
    if extra:
        raise _reject(extra[0], f"cannot be combined with {name}", f"With {name} only attachments and format may be given, not {', '.join(extra)}.")
    try:
        validate_uuid(params[name], name)
    except StatementValidationError as exc:
        raise _reject(name, exc.rule) from None
    return SingleQuery(params[name].lower(), name == "voidedStatementId", _format(params), _boolean(params, "attachments"))


def parse_filters(params: Mapping[str, str], *, version: str, max_limit: int) -> FilterQuery:
    """Validate filter parameters (400 naming the parameter on any mistake)."""
    unknown = sorted(set(params) - set(FILTER_PARAMETERS))
    if unknown:
        raise _reject(unknown[0], "unknown parameter", f"Unknown parameter {unknown[0]}; statements can be filtered by {', '.join(FILTER_PARAMETERS)}.")
    related_agents = _boolean(params, "related_agents")
    related_activities = _boolean(params, "related_activities")
    keys: list[tuple[int, str]] = []
    if "agent" in params:
        try:
            agent = json.loads(params["agent"])
        except ValueError:
            raise _reject("agent", "must be a JSON Agent or identified Group") from None
        try:
            validate_agent(agent, version=version, path="agent")
        except StatementValidationError as exc:
            raise _reject(exc.path, exc.rule) from None
        key = agent_key(agent)
        if key is None:
            raise _reject("agent", "must be an Agent or a Group with an identifier")
        keys.append((AGENT_RELATED if related_agents else AGENT, key))
    if "verb" in params:
        _check_iri(params["verb"], "verb")
        keys.append((VERB, verb_key(params["verb"])))
    if "activity" in params:
        _check_iri(params["activity"], "activity")
        keys.append((ACTIVITY_RELATED if related_activities else ACTIVITY, activity_key(params["activity"])))
    if "registration" in params:
        try:
            validate_uuid(params["registration"], "registration")
        except StatementValidationError as exc:
            raise _reject("registration", exc.rule) from None
        keys.append((REGISTRATION, registration_key(params["registration"])))
    since = _timestamp(params, "since", version)
    until = _timestamp(params, "until", version)
    limit = max_limit
    if "limit" in params:
        if not _INTEGER.match(params["limit"]):
            raise _reject("limit", "must be a non-negative whole number")
        # Communication 2.1.3: 0 means "the server's maximum".
        limit = min(int(params["limit"]) or max_limit, max_limit)
    return FilterQuery(
        params=dict(params),
        keys=tuple(keys),
        since=since,
        until=until,
        limit=limit,
        ascending=_boolean(params, "ascending"),
        format=_format(params),
        attachments=_boolean(params, "attachments"),
    )


def _check_iri(value: str, name: str) -> None:
    try:
        validate_iri(value, name)
    except StatementValidationError as exc:
        raise _reject(name, exc.rule) from None


def _timestamp(params: Mapping[str, str], name: str, version: str) -> datetime | None:
    if name not in params:
        return None
    try:
        return parse_timestamp(params[name], version=version, path=name)
    except StatementValidationError as exc:
        raise _reject(name, exc.rule) from None


@dataclass(frozen=True)
class ReadLimits:
    """What a credential may read, beyond its tenant."""

    tenant_id: int
    only_credential_id: int | None = None  # statements/read/mine
    actor_key: str | None = None  # a credential limited to one actor
    registration: str | None = None  # a credential limited to one registration
    extra_keys: tuple[tuple[int, str], ...] = field(default=())

    def keys(self) -> tuple[tuple[int, str], ...]:
        keys = list(self.extra_keys)
        if self.actor_key:
            keys.append((AGENT, self.actor_key))
        if self.registration:
            keys.append((REGISTRATION, registration_key(self.registration)))
        return tuple(keys)


@dataclass
class Page:
    rows: list[tuple[int, str]]  # (seq, payload)
    next_after: int | None  # the seq to continue after, when there is more


def find_statements(session: Session, limits: ReadLimits, query: FilterQuery) -> Page:
    """Run a filter query within the credential's limits; voided statements are left out."""
    keys = list(dict.fromkeys(query.keys + limits.keys()))
    shape = _Shape(
        keys=len(keys),
        own_only=limits.only_credential_id is not None,
        since=query.since is not None,
        until=query.until is not None,
        after=query.after_seq is not None,
        ascending=query.ascending,
    )
    params: dict = {"tenant_id": limits.tenant_id, "limit": query.limit + 1}
    for number, (kind, value) in enumerate(keys):
        params[f"kind_{number}"], params[f"value_{number}"] = kind, value
    if shape.own_only:
        params["credential_id"] = limits.only_credential_id
    if shape.since:
        params["since"] = query.since
    if shape.until:
        params["until"] = query.until
    if shape.after:
        params["after_seq"] = query.after_seq
    rows = [(seq, payload) for seq, payload in session.execute(_filter_statement(shape), params)]
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        return Page(rows, rows[-1][0])
    return Page(rows, None)


@dataclass(frozen=True)
class _Shape:
    """What decides the SQL of a filter query; its values travel as parameters."""

    keys: int
    own_only: bool
    since: bool
    until: bool
    after: bool
    ascending: bool


_STATEMENTS = Statement.__table__
_FILTERS = StatementFilter.__table__


@lru_cache(maxsize=256)
def _filter_statement(shape: _Shape):
    """The SELECT for a query shape, built once: building it costs more CPU than running it."""
    if shape.keys:
        # Drive the query from the filter index (tenant, kind, value, seq): it yields matching
        # statements already in order, so a rare value never scans the whole statement table.
        # Further filters are checked on their (seq, kind, value) key before a statement row,
        # with its payload, is read at all.
        driver = _FILTERS.alias("driver")
        order_column = driver.c.statement_seq
        source = driver
        for number in range(1, shape.keys):
            matched = _FILTERS.alias(f"matched_{number}")
            source = source.join(
                matched,
                and_(
                    matched.c.statement_seq == driver.c.statement_seq,
                    matched.c.kind == bindparam(f"kind_{number}"),
                    matched.c.value_key == bindparam(f"value_{number}"),
                ),
            )
        statement = (
            select(_STATEMENTS.c.seq, _STATEMENTS.c.payload)
            .select_from(source.join(_STATEMENTS, _STATEMENTS.c.seq == driver.c.statement_seq))
            .where(
                driver.c.tenant_id == bindparam("tenant_id"),
                driver.c.kind == bindparam("kind_0"),
                driver.c.value_key == bindparam("value_0"),
            )
        )
    else:
        order_column = _STATEMENTS.c.seq
        statement = select(_STATEMENTS.c.seq, _STATEMENTS.c.payload)
    statement = statement.where(_STATEMENTS.c.tenant_id == bindparam("tenant_id"), _STATEMENTS.c.voided.is_(False))
    if shape.own_only:
        statement = statement.where(_STATEMENTS.c.credential_id == bindparam("credential_id"))
    if shape.since:
        statement = statement.where(_STATEMENTS.c.stored > bindparam("since", type_=_STATEMENTS.c.stored.type))
    if shape.until:
        statement = statement.where(_STATEMENTS.c.stored <= bindparam("until", type_=_STATEMENTS.c.stored.type))
    if shape.after:
        after = bindparam("after_seq")
        statement = statement.where(order_column > after if shape.ascending else order_column < after)
    order = order_column.asc() if shape.ascending else order_column.desc()
    return statement.order_by(order).limit(bindparam("limit"))


def find_statement(session: Session, limits: ReadLimits, query: SingleQuery) -> tuple[int, str] | None:
    """One statement by id: a voided one only through voidedStatementId, and the reverse."""
    row = session.execute(
        select(Statement.seq, Statement.payload, Statement.voided, Statement.credential_id).where(
            Statement.tenant_id == limits.tenant_id, Statement.statement_id == query.statement_id
        )
    ).first()
    if row is None or row.voided != query.voided:
        return None
    if limits.only_credential_id is not None and row.credential_id != limits.only_credential_id:
        return None
    required = set(limits.keys())
    if required:
        present = {
            (kind, value)
            for kind, value in session.execute(
                select(StatementFilter.kind, StatementFilter.value_key).where(StatementFilter.statement_seq == row.seq)
            )
        }
        if not required <= present:
            return None
    return row.seq, row.payload


def _serializer(secret: str | bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="xapi statements more")


def make_cursor(secret: str | bytes, tenant_id: int, query: FilterQuery, after_seq: int) -> str:
    """An opaque, signed token for the next page."""
    return _serializer(secret).dumps({"t": tenant_id, "p": query.params, "a": after_seq})


def read_cursor(secret: str | bytes, token: str, tenant_id: int, *, version: str, max_limit: int) -> FilterQuery:
    """Turn a `more` token back into its query; 400 when it was altered or belongs to another tenant."""
    try:
        data = _serializer(secret).loads(token)
    except BadSignature:
        raise _reject("more", "must be a more link returned by this LRS") from None
    if not isinstance(data, dict) or data.get("t") != tenant_id or not isinstance(data.get("a"), int):
        raise _reject("more", "must be a more link returned by this LRS for this credential's tenant")
    query = parse_filters(data["p"], version=version, max_limit=max_limit)
    return FilterQuery(**{**query.__dict__, "after_seq": data["a"]})
