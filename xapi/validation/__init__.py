"""Strict validation of xAPI statements and their parts (xAPI 1.0.3 and 2.0.0 / IEEE 9274.1.1).

Pure Python: no Flask, no database. Every check raises StatementValidationError, whose `path`
names the offending property ("statements[2].actor.mbox") and whose `rule` says what is wrong.

    validate_statements(parse_json(body), version="1.0.3")   # one statement or a non-empty array -> list
    validate_statement(statement, version="2.0.0")
    validate_agent(agent)                           # the `agent` query parameter, agent profiles
    parse_timestamp("2024-05-01T13:45:00Z", version="1.0.3")   # aware UTC datetime
    check_signature(statement, jws_bytes)           # signed statements (Data 2.6)

Validation never changes its input; filling in defaults (objectType, id, stored, authority)
is the statements resource's job.
"""

from __future__ import annotations

from typing import Any

from xapi.validation.activities import validate_activity_id
from xapi.validation.actors import validate_actor
from xapi.validation.attachments import SIGNATURE_CONTENT_TYPE, SIGNATURE_USAGE_TYPE
from xapi.validation.common import validate_iri, validate_language_map, validate_uuid
from xapi.validation.errors import StatementValidationError
from xapi.validation.parsing import parse_json
from xapi.validation.signature import check_signature, find_signature_attachment, statements_match
from xapi.validation.statement import VOIDED_VERB, parse_timestamp, validate_statement, validate_statements

__all__ = [
    "SIGNATURE_CONTENT_TYPE",
    "SIGNATURE_USAGE_TYPE",
    "VOIDED_VERB",
    "StatementValidationError",
    "check_signature",
    "find_signature_attachment",
    "parse_json",
    "parse_timestamp",
    "statements_match",
    "validate_activity_id",
    "validate_agent",
    "validate_iri",
    "validate_language_map",
    "validate_statement",
    "validate_statements",
    "validate_uuid",
]


def validate_agent(agent: Any, *, version: str = "1.0.3", path: str = "agent", allow_group: bool = True) -> None:
    """Check an Agent (or, unless `allow_group` is False, a Group) given outside a statement."""
    # The Agent and Group rules are the same in 1.0.3 and 2.0.0; `version` keeps the API uniform.
    del version
    validate_actor(agent, path, allow_group=allow_group)
