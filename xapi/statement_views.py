"""The statements resource: POST, PUT, GET (and HEAD) on /xapi/statements (Communication 2.1)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from flask import Response, current_app, request, url_for

from xapi import feed
from xapi.api import request_session
from xapi.attachments import AttachmentContent, load_contents, match_parts, store_contents
from xapi.auth import DEFINE, STATEMENTS_READ, STATEMENTS_READ_MINE, STATEMENTS_WRITE, Credential, require_credential
from xapi.blueprint import bp
from xapi.errors import (
    CURRENT_VERSION,
    VERSION_HEADER,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    StatementRejectedError,
)
from xapi.guards import check_statements
from xapi.multipart import MultipartError, boundary_of, build_multipart, parse_multipart
from xapi.statement_activities import canonical_definitions
from xapi.statement_format import activity_ids, to_canonical, to_ids
from xapi.protocol import ignores_unknown_parameters, unknown_parameters
from xapi.statement_query import (
    FILTER_PARAMETERS,
    SINGLE_COMPANIONS,
    SINGLE_PARAMETERS,
    ReadLimits,
    find_statement,
    find_statements,
    make_cursor,
    parse_filters,
    parse_single,
    read_cursor,
)
from xapi.statement_store import Writer, format_timestamp, is_voiding, store_statements
from xapi.validation import StatementValidationError, validate_statements

CONSISTENT_THROUGH_HEADER = "X-Experience-API-Consistent-Through"
DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_STATEMENTS = 1000
DEFAULT_STATEMENT_LIMIT = 500


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _request_version() -> str:
    return request.headers.get(VERSION_HEADER) or CURRENT_VERSION


def _reject(message: str, property: str, rule: str) -> StatementRejectedError:
    return StatementRejectedError(message, property=property, rule=rule)


# --- reading the request body ----------------------------------------------------------------


def _read_body() -> tuple[object, list]:
    """Return (parsed JSON, attachment parts) of a statements request body."""
    limit = _config("XAPI_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES)
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLargeError(f"The request body is larger than this LRS accepts ({limit} bytes).")
    body = request.get_data(cache=True)
    if len(body) > limit:
        raise PayloadTooLargeError(f"The request body is larger than this LRS accepts ({limit} bytes).")
    parts: list = []
    if request.mimetype == "multipart/mixed":
        try:
            all_parts = parse_multipart(body, boundary_of(request.headers.get("Content-Type", "")))
        except MultipartError as exc:
            raise _reject(f"The multipart body is malformed: {exc}.", "body", str(exc)) from None
        if not all_parts or all_parts[0].content_type != "application/json":
            raise _reject(
                "The first part of a multipart statements request must be the statements as application/json.",
                "multipart part 1",
                "the first part is application/json",
            )
        body, parts = all_parts[0].body, all_parts[1:]
    elif request.mimetype != "application/json":
        raise _reject(
            f"Statements are sent as application/json or multipart/mixed, not {request.mimetype or 'without a Content-Type'}.",
            "Content-Type",
            "application/json or multipart/mixed",
        )
    if not body.strip():
        raise _reject("The request has no statements in its body.", "body", "a statement or an array of statements is required")
    try:
        return json.loads(body), parts
    except (ValueError, UnicodeDecodeError) as exc:
        raise _reject(f"The body is not valid JSON: {exc}.", "body", "must be valid JSON") from None


def _validated(payload: object, version: str) -> list[dict]:
    try:
        statements = validate_statements(payload, version=version)
    except StatementValidationError as exc:
        raise _reject(f"The statement is not valid: {exc.path}: {exc.rule}.", exc.path, exc.rule) from None
    maximum = _config("XAPI_MAX_STATEMENTS_PER_REQUEST", DEFAULT_MAX_STATEMENTS)
    if len(statements) > maximum:
        raise PayloadTooLargeError(f"Send at most {maximum} statements per request.")
    return statements


def _check_write_limits(credential: Credential, statements: list[dict]) -> None:
    """A credential limited to one learner and registration writes only their statements."""
    for index, statement in enumerate(statements):
        if not credential.permits_agent(statement["actor"]):
            raise ForbiddenError(f"statements[{index}].actor: this credential may only store statements of its own actor.")
        registration = (statement.get("context") or {}).get("registration")
        if not credential.permits_registration(registration):
            raise ForbiddenError(f"statements[{index}].context.registration: this credential is limited to registration {credential.registration}.")
        if credential.actor is not None and is_voiding(statement):
            raise ForbiddenError(f"statements[{index}]: a credential limited to one actor cannot void statements.")


def _store(credential: Credential, statements: list[dict], parts: list) -> list[str]:
    """Store and commit, then tell the application (xapi/feed.py). Returns the ids in request order."""
    _check_write_limits(credential, statements)
    check_statements(request_session(), credential, statements)  # profile rules (cmi5) before any write
    contents = match_parts(statements, parts)
    writer = Writer(
        tenant_id=credential.tenant_id,
        authority=credential.authority,
        credential_id=credential.id,
        keeps_sent_authority="all" in credential.scopes,
        may_define=credential.grants(DEFINE),
    )
    session = request_session()
    result = store_statements(session, writer, statements, version=_request_version())
    store_contents(session, credential.tenant_id, contents.values())
    session.commit()
    if result.stored_ids:
        feed.announce()
    return result.ids


@bp.post("/statements")
def post_statements():
    credential = require_credential(STATEMENTS_WRITE)
    if "statementId" in request.args:
        raise _reject("Use PUT to store a statement under a statementId.", "statementId", "not allowed on POST")
    extra = unknown_parameters(())
    if extra:
        # Communication 3.2.s3.b7: a parameter the LRS does not recognise is a 400.
        raise _reject(f"POST takes no parameters, not {', '.join(extra)}.", extra[0], "unknown parameter")
    payload, parts = _read_body()
    ids = _store(credential, _validated(payload, _request_version()), parts)
    return _json_response(json.dumps(ids))


@bp.put("/statements")
def put_statement():
    credential = require_credential(STATEMENTS_WRITE)
    statement_id = request.args.get("statementId")
    if not statement_id:
        raise _reject("PUT needs the statementId parameter.", "statementId", "required on PUT")
    extra = unknown_parameters({"statementId"})
    if extra:
        raise _reject(f"PUT takes only statementId, not {', '.join(extra)}.", extra[0], "unknown parameter")
    payload, parts = _read_body()
    if not isinstance(payload, dict):
        raise _reject("PUT stores exactly one statement (a JSON object).", "statement", "a single statement object")
    if "id" in payload and (not isinstance(payload["id"], str) or payload["id"].lower() != statement_id.lower()):
        raise _reject("The statement's id differs from the statementId parameter.", "statement.id", "must equal statementId")
    statement = payload if "id" in payload else {"id": statement_id, **payload}
    _store(credential, _validated(statement, _request_version()), parts)
    return Response(status=204)


# --- reading statements ----------------------------------------------------------------------


def _read_limits(credential: Credential) -> ReadLimits:
    return ReadLimits(
        tenant_id=credential.tenant_id,
        only_credential_id=credential.id if credential.reads_only_own_statements else None,
        actor_key=credential.actor_key,
        registration=credential.registration,
    )


def _chooser():
    accepted = request.accept_languages

    def choose(languages: list[str]) -> str | None:
        return accepted.best_match(languages) if accepted else None

    return choose


def _formatted(payloads: list[str], format: str, tenant_id: int, *, parse: bool) -> tuple[list[str], list[dict]]:
    """Return each statement as JSON text in the requested format (and parsed, when asked or needed)."""
    if format == "exact":
        # The stored text is the answer; parsing it is only needed to find attachments.
        return payloads, [json.loads(payload) for payload in payloads] if parse else []
    statements = [json.loads(payload) for payload in payloads]
    if format == "ids":
        return [json.dumps(to_ids(s), ensure_ascii=False) for s in statements], statements
    definitions = canonical_definitions(request_session(), tenant_id, {i for s in statements for i in activity_ids(s)})
    choose = _chooser()
    return [json.dumps(to_canonical(s, definitions, choose), ensure_ascii=False) for s in statements], statements


def _json_response(text: str, status: int = 200) -> Response:
    response = Response(text, status=status, mimetype="application/json")
    response.headers.setdefault(VERSION_HEADER, CURRENT_VERSION)
    return response


def _result_response(text: str, with_attachments: bool, statements: list[dict], tenant_id: int) -> Response:
    if not with_attachments:
        response = _json_response(text)
    else:
        parts = [({"Content-Type": "application/json"}, text.encode("utf-8"))]
        for content in load_contents(request_session(), tenant_id, statements):
            parts.append((_attachment_headers(content), content.content))
        body, content_type = build_multipart(parts)
        response = Response(body, status=200, content_type=content_type)
        response.headers.setdefault(VERSION_HEADER, CURRENT_VERSION)
    # Communication 2.1.3: statements stored before this instant are all visible to queries.
    response.headers[CONSISTENT_THROUGH_HEADER] = format_timestamp(datetime.now(timezone.utc))
    return response


def _attachment_headers(content: AttachmentContent) -> dict[str, str]:
    return {
        "Content-Type": content.content_type,
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": content.sha2,
    }


def _query_params() -> dict[str, str]:
    names = list(request.args)
    if ignores_unknown_parameters():
        known = {*SINGLE_PARAMETERS, *SINGLE_COMPANIONS, *FILTER_PARAMETERS, "more"}
        names = [name for name in names if name in known]
    repeated = [name for name in names if len(request.args.getlist(name)) > 1]
    if repeated:
        raise _reject(f"The parameter {repeated[0]} is given more than once.", repeated[0], "may be given once")
    return {name: request.args[name] for name in names}


@bp.get("/statements")
def get_statements():
    credential = require_credential(STATEMENTS_READ, STATEMENTS_READ_MINE)
    limits = _read_limits(credential)
    params = _query_params()
    version = _request_version()
    max_limit = _config("XAPI_STATEMENT_LIMIT", DEFAULT_STATEMENT_LIMIT)
    session = request_session()

    single = None if "more" in params else parse_single(params)
    if single is not None:
        found = find_statement(session, limits, single)
        if found is None:
            name = "voidedStatementId" if single.voided else "statementId"
            raise NotFoundError(f"No statement matches {name}={single.statement_id}.")
        texts, statements = _formatted([found[1]], single.format, credential.tenant_id, parse=True)
        response = _result_response(texts[0], single.attachments, statements, credential.tenant_id)
        response.headers["Last-Modified"] = _http_date(statements[0].get("stored"))
        return response

    if "more" in params:
        if len(params) > 1:
            raise _reject("A more link is used as it is; add no other parameters.", "more", "cannot be combined with other parameters")
        query = read_cursor(current_app.secret_key, params["more"], credential.tenant_id, version=version, max_limit=max_limit)
    else:
        query = parse_filters(params, version=version, max_limit=max_limit)
    page = find_statements(session, limits, query)
    texts, statements = _formatted(
        [payload for _, payload in page.rows], query.format, credential.tenant_id, parse=query.attachments
    )
    more = ""
    if page.next_after is not None:
        more = url_for("xapi.get_statements", more=make_cursor(current_app.secret_key, credential.tenant_id, query, page.next_after))
    text = '{"statements":[' + ",".join(texts) + '],"more":' + json.dumps(more) + "}"
    return _result_response(text, query.attachments, statements, credential.tenant_id)


def _http_date(stored: str | None) -> str:
    from email.utils import format_datetime

    try:
        moment = datetime.fromisoformat(stored.replace("Z", "+00:00")) if stored else datetime.now(timezone.utc)
    except ValueError:
        moment = datetime.now(timezone.utc)
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)
