"""The document resources: activities/state, activities/profile, agents/profile (Communication 2.2-2.7).

Each view authenticates, parses and checks its parameters, applies the credential's limits,
calls one function of xapi.documents and commits once. GET and HEAD share a view (Flask answers
HEAD with the GET response's headers and no body, Communication 1.1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Response, request
from werkzeug.http import http_date

from xapi import documents
from xapi.api import request_session
from xapi.auth import PROFILE, STATE, Credential, require_credential
from xapi.blueprint import bp
from xapi.documents import DocumentScope, Preconditions, parse_entity_tags
from xapi.errors import ForbiddenError, NotFoundError
from xapi.protocol import (
    parse_activity_id,
    parse_agent,
    parse_registration,
    parse_since,
    query_parameters,
    required_parameter,
)
from xapi.statement_keys import agent_key

_DOCUMENT_METHODS = ["GET", "PUT", "POST", "DELETE"]


@dataclass(frozen=True)
class DocumentRequest:
    """What a document request is about, once its parameters have been checked."""

    credential: Credential
    scope: DocumentScope
    document_id: str | None
    since: datetime | None


def _allowed(read: frozenset[str], write: frozenset[str]) -> frozenset[str]:
    return read if request.method in ("GET", "HEAD") else write


def _document_id(values: dict[str, str], name: str, *, required: bool) -> str | None:
    if required or name in values:
        return required_parameter(values, name)
    return None


def _since(values: dict[str, str]) -> datetime | None:
    # Communication 2.3.s4: `since` belongs to the ids list, but a single GET may carry it too
    # (the conformance suite sends it); it is checked either way and ignored for a single document.
    return parse_since(values["since"]) if "since" in values else None


def _check_agent_limit(credential: Credential, agent: dict) -> None:
    if not credential.permits_agent(agent):
        raise ForbiddenError("This LRS credential may only use documents of its own agent.")


def _state_request() -> DocumentRequest:
    credential = require_credential(STATE)
    values = query_parameters(
        _allowed(
            frozenset({"activityId", "agent", "registration", "stateId", "since"}),
            frozenset({"activityId", "agent", "registration", "stateId"}),
        )
    )
    activity_id = parse_activity_id(required_parameter(values, "activityId"))
    agent = parse_agent(required_parameter(values, "agent"))
    registration = parse_registration(values["registration"]) if "registration" in values else None
    # Only GET and DELETE may leave stateId out (ids list, delete all): Communication 2.3.s3-s5.
    state_id = _document_id(values, "stateId", required=request.method in ("PUT", "POST"))
    since = _since(values)
    _check_agent_limit(credential, agent)
    if not credential.permits_registration(registration):
        raise ForbiddenError("This LRS credential may only use the state of its own registration; send that registration.")
    scope = DocumentScope(documents.STATE, activity_id=activity_id, agent_key=agent_key(agent), registration=registration)
    return DocumentRequest(credential, scope, state_id, since)


def _activity_profile_request() -> DocumentRequest:
    credential = require_credential(PROFILE)
    values = query_parameters(
        _allowed(frozenset({"activityId", "profileId", "since"}), frozenset({"activityId", "profileId"}))
    )
    activity_id = parse_activity_id(required_parameter(values, "activityId"))
    profile_id = _document_id(values, "profileId", required=request.method != "GET" and request.method != "HEAD")
    if credential.actor is not None and request.method not in ("GET", "HEAD"):
        # An activity profile is shared by everyone who uses the activity; a credential limited
        # to one learner (a launched module's) may read it but not change it for the others.
        raise ForbiddenError("This LRS credential is limited to one learner and may only read activity profiles.")
    scope = DocumentScope(documents.ACTIVITY_PROFILE, activity_id=activity_id)
    return DocumentRequest(credential, scope, profile_id, _since(values))


def _agent_profile_request() -> DocumentRequest:
    credential = require_credential(PROFILE)
    values = query_parameters(_allowed(frozenset({"agent", "profileId", "since"}), frozenset({"agent", "profileId"})))
    agent = parse_agent(required_parameter(values, "agent"))
    profile_id = _document_id(values, "profileId", required=request.method != "GET" and request.method != "HEAD")
    since = _since(values)
    _check_agent_limit(credential, agent)
    scope = DocumentScope(documents.AGENT_PROFILE, agent_key=agent_key(agent))
    return DocumentRequest(credential, scope, profile_id, since)


def _preconditions() -> Preconditions:
    return Preconditions(
        if_match=parse_entity_tags(request.headers.get("If-Match")),
        if_none_match=parse_entity_tags(request.headers.get("If-None-Match")),
    )


def _body() -> tuple[bytes, str]:
    content_type = request.headers.get("Content-Type") or documents.DEFAULT_CONTENT_TYPE
    return request.get_data(cache=False), content_type


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _no_content() -> Response:
    return Response(status=204)


def _get(parsed: DocumentRequest) -> Response:
    session = request_session()
    if parsed.document_id is None:
        ids, latest = documents.list_document_ids(session, parsed.credential.tenant_id, parsed.scope, parsed.since)
        response = Response(json.dumps(ids), status=200, mimetype="application/json")
        if latest is not None:
            # 2.2.s6.b2: the most recent modification among the documents listed.
            response.headers["Last-Modified"] = http_date(latest)
        return response
    document = documents.get_document(session, parsed.credential.tenant_id, parsed.scope, parsed.document_id)
    if document is None:
        raise NotFoundError(f"There is no document with id {parsed.document_id!r} here.")
    headers = {"ETag": f'"{document.etag}"', "Last-Modified": http_date(document.updated)}
    if_none_match = parse_entity_tags(request.headers.get("If-None-Match"))
    if if_none_match is not None and ({"*", document.etag} & {tag.removeprefix("W/") for tag in if_none_match}):
        # RFC 7232 4.1: the client's copy is current.
        return Response(status=304, headers=headers)
    response = Response(document.content, status=200, headers=headers)
    response.headers["Content-Type"] = document.content_type
    return response


def _write(parsed: DocumentRequest, store, **options) -> Response:
    """Store the request body with `store` (put_document or post_document) and commit."""
    content, content_type = _body()
    session = request_session()
    store(
        session,
        parsed.credential.tenant_id,
        parsed.scope,
        parsed.document_id,
        content,
        content_type,
        _preconditions(),
        now=_now(),
        **options,
    )
    session.commit()
    return _no_content()


def _delete(parsed: DocumentRequest) -> Response:
    session = request_session()
    if parsed.document_id is None:
        documents.delete_documents(session, parsed.credential.tenant_id, parsed.scope)
    else:
        documents.delete_document(session, parsed.credential.tenant_id, parsed.scope, parsed.document_id, _preconditions())
    session.commit()
    return _no_content()


def _answer(parsed: DocumentRequest, *, put_needs_precondition: bool) -> Response:
    """Run a parsed document request: the four methods behave alike on every document resource."""
    if request.method in ("GET", "HEAD"):
        return _get(parsed)
    if request.method == "PUT":
        return _write(parsed, documents.put_document, require_precondition=put_needs_precondition)
    if request.method == "POST":
        # Communication 2.2.s7: POST merges JSON objects; its preconditions are checked the same way.
        return _write(parsed, documents.post_document)
    return _delete(parsed)


@bp.route("/activities/state", methods=_DOCUMENT_METHODS)
def state():
    """Communication 2.3: state of an agent in an activity (and registration)."""
    # 3.1.s3: the State Resource permits writes without concurrency headers.
    return _answer(_state_request(), put_needs_precondition=False)


@bp.route("/activities/profile", methods=_DOCUMENT_METHODS)
def activity_profile():
    """Communication 2.7: documents about an activity, shared by everyone."""
    return _answer(_activity_profile_request(), put_needs_precondition=True)


@bp.route("/agents/profile", methods=_DOCUMENT_METHODS)
def agent_profile():
    """Communication 2.6: documents about an agent, across activities."""
    return _answer(_agent_profile_request(), put_needs_precondition=True)
