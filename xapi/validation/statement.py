"""Statements and SubStatements (Data 2.4): properties, object types, voiding, version, timestamps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from xapi.validation.activities import validate_activity
from xapi.validation.actors import IFIS, validate_actor, validate_authority
from xapi.validation.attachments import validate_attachments
from xapi.validation.common import (
    check_properties,
    describe,
    require_array,
    require_object,
    require_present,
    validate_iri,
    validate_language_map,
    validate_uuid,
)
from xapi.validation.context import validate_context, validate_statement_ref
from xapi.validation.errors import StatementValidationError, child, item
from xapi.validation.primitives import TimestampError, is_statement_version, parse_iso_timestamp
from xapi.validation.result import validate_result

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
STATEMENT_PROPERTIES = frozenset(
    ("id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version", "attachments")
)
SUBSTATEMENT_PROPERTIES = frozenset(("objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"))
VERB_PROPERTIES = frozenset(("id", "display"))
OBJECT_TYPES = ("Activity", "Agent", "Group", "StatementRef", "SubStatement")
# Data 2.4.4.3.s3.b1: a SubStatement MUST NOT have the "id", "stored", "version" or "authority" properties.
_SUBSTATEMENT_HINTS = {
    key: f"a SubStatement must not have '{key}' (only the outer statement has one)"
    for key in ("id", "stored", "version", "authority")
}


def is_version_2(version: str) -> bool:
    """Return whether `version` (an X-Experience-API-Version value) selects the xAPI 2.0 rules."""
    return version.startswith("2.")


def parse_timestamp(value: Any, *, version: str, path: str = "timestamp") -> datetime:
    """Parse an xAPI timestamp into an aware UTC datetime; xAPI 2.0 requires an offset."""
    if type(value) is not str:
        raise StatementValidationError(path, f"must be an ISO 8601 timestamp string, not {describe(value)}")
    try:
        return parse_iso_timestamp(value, require_offset=is_version_2(version))
    except TimestampError as exc:
        raise StatementValidationError(path, f"timestamp {exc} (got {value!r})") from None


def validate_statements(payload: Any, *, version: str = "1.0.3") -> list[dict]:
    """Check one statement or a non-empty array of them; return them as a list."""
    if type(payload) is dict:
        validate_statement(payload, version=version, path="statement")
        return [payload]
    statements = require_array(payload, "statements", "a statement object or a non-empty array of statements", non_empty=True)
    seen_ids: dict[str, int] = {}
    for index, statement in enumerate(statements):
        statement_path = item("statements", index)
        validate_statement(statement, version=version, path=statement_path)
        statement_id = statement.get("id")
        if statement_id is not None:
            key = statement_id.lower()
            if key in seen_ids:
                raise StatementValidationError(
                    child(statement_path, "id"), f"the same statement id appears twice in one request (also at statements[{seen_ids[key]}])"
                )
            seen_ids[key] = index
    return statements


def validate_statement(statement: Any, *, version: str = "1.0.3", path: str = "statement") -> None:
    """Check a whole statement against the xAPI rules of `version` ("1.0.x" or "2.0.x")."""
    v2 = is_version_2(version)
    obj = require_object(statement, path, "a statement object")
    check_properties(obj, STATEMENT_PROPERTIES, path, "a Statement")
    if "id" in obj:
        validate_uuid(obj["id"], child(path, "id"))
    object_type = _validate_core(obj, path, v2=v2, in_substatement=False)
    if obj["verb"]["id"] == VOIDED_VERB and object_type != "StatementRef":
        # Data 2.3.2.s2.b1: the object of a voiding statement is a StatementRef.
        raise StatementValidationError(
            child(path, "object"), f"a voiding statement (verb {VOIDED_VERB}) must have a StatementRef object"
        )
    if "stored" in obj:
        parse_timestamp(obj["stored"], version=version, path=child(path, "stored"))
    if "authority" in obj:
        validate_authority(obj["authority"], child(path, "authority"))
    if "version" in obj:
        _validate_version(obj["version"], child(path, "version"), version)
    if "attachments" in obj:
        validate_attachments(obj["attachments"], child(path, "attachments"))


def _validate_core(obj: dict, path: str, *, v2: bool, in_substatement: bool) -> str:
    """Check what statements and SubStatements share; return the object's objectType."""
    where = "a SubStatement" if in_substatement else "a Statement"
    validate_actor(require_present(obj, "actor", path, where), child(path, "actor"))
    _validate_verb(require_present(obj, "verb", path, where), child(path, "verb"))
    object_path = child(path, "object")
    object_type = _validate_object(require_present(obj, "object", path, where), object_path, v2=v2, in_substatement=in_substatement)
    if "result" in obj:
        validate_result(obj["result"], child(path, "result"))
    if "context" in obj:
        validate_context(obj["context"], child(path, "context"), object_is_activity=object_type == "Activity", v2=v2)
    if "timestamp" in obj:
        parse_timestamp(obj["timestamp"], version="2.0.0" if v2 else "1.0.3", path=child(path, "timestamp"))
    return object_type


def _validate_verb(value: Any, path: str) -> None:
    verb = require_object(value, path, "a Verb object")
    check_properties(verb, VERB_PROPERTIES, path, "a Verb")
    validate_iri(require_present(verb, "id", path, "a Verb"), child(path, "id"), "a Verb id IRI")
    if "display" in verb:
        validate_language_map(verb["display"], child(path, "display"))


def _validate_object(value: Any, path: str, *, v2: bool, in_substatement: bool) -> str:
    obj = require_object(value, path, "an Activity, Agent, Group, StatementRef or SubStatement object")
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        if "objectType" not in obj and "id" not in obj and any(key in obj for key in IFIS):
            raise StatementValidationError(
                child(path, "objectType"), "objectType ('Agent' or 'Group') is required when the object is an Agent or Group"
            )
        validate_activity(obj, path)
    elif object_type == "Agent" or object_type == "Group":
        validate_actor(obj, path, object_type_required=True)
    elif object_type == "StatementRef":
        validate_statement_ref(obj, path)
    elif object_type == "SubStatement":
        if in_substatement:
            raise StatementValidationError(child(path, "objectType"), "a SubStatement cannot contain another SubStatement")
        check_properties(obj, SUBSTATEMENT_PROPERTIES, path, "a SubStatement", _SUBSTATEMENT_HINTS)
        _validate_core(obj, path, v2=v2, in_substatement=True)
        if "attachments" in obj:
            validate_attachments(obj["attachments"], child(path, "attachments"))
    else:
        raise StatementValidationError(
            child(path, "objectType"), f"objectType must be one of {', '.join(OBJECT_TYPES)} (case-sensitive), got {object_type!r}"
        )
    return object_type


def _validate_version(value: Any, path: str, version: str) -> None:
    if type(value) is not str:
        raise StatementValidationError(path, f"version must be a string, not {describe(value)}")
    if not is_statement_version(value, version=version):
        expected = "1.0, 1.0.x, 2.0 or 2.0.x" if is_version_2(version) else "1.0 or 1.0.x"
        raise StatementValidationError(path, f"version must be {expected} (got {value!r})")
