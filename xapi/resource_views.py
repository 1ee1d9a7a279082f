"""The small read-only resources: about, agents, activities (Communication 2.4, 2.5, 2.8)."""

from __future__ import annotations

from flask import jsonify, request

from xapi.activities import activity_object
from xapi.agents import person_for
from xapi.api import request_session
from xapi.auth import STATEMENTS_READ, require_credential
from xapi.blueprint import bp
from xapi.errors import VERSION_HEADER, ForbiddenError
from xapi.protocol import (
    VERSION_1,
    VERSION_2,
    VERSIONS_1,
    negotiate_version,
    parse_activity_id,
    parse_agent,
    query_parameters,
    required_parameter,
)


@bp.get("/about")
def about():
    """2.8: the versions this LRS speaks; open to anyone, whatever version header is sent.

    A 1.0.x client is shown the 1.0.x versions only, as 1.0.3 requires of the list (2.8.s5.b1);
    everyone else also sees 2.0.0. `extensions` is present (empty) so clients that expect it work.
    """
    query_parameters(frozenset())
    versions = list(VERSIONS_1)
    if negotiate_version(request.headers.get(VERSION_HEADER)) != VERSION_1:
        versions.append(VERSION_2)
    return jsonify({"version": versions, "extensions": {}})


@bp.get("/agents")
def agents():
    """2.4: the Person object for an agent."""
    credential = require_credential()
    values = query_parameters(frozenset({"agent"}))
    agent = parse_agent(required_parameter(values, "agent"))
    if not credential.permits_agent(agent):
        raise ForbiddenError("This LRS credential may only look up its own agent.")
    # A credential that may read only its own statements learns names only from those.
    mine_only = None if credential.grants(STATEMENTS_READ, read_only=True) else credential.id
    return jsonify(person_for(request_session(), credential.tenant_id, agent, credential_id=mine_only))


@bp.get("/activities")
def activities():
    """2.5: an activity with the LRS's canonical definition."""
    credential = require_credential()
    values = query_parameters(frozenset({"activityId"}))
    activity_id = parse_activity_id(required_parameter(values, "activityId"))
    return jsonify(activity_object(request_session(), credential.tenant_id, activity_id))
