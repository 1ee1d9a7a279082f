"""Whatever JSON arrives, validation answers with StatementValidationError or accepts; it never crashes."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.xapi.unit import base_statement
from tests.xapi.unit.test_validation_realistic import REALISTIC
from xapi.validation import StatementValidationError, check_signature, validate_statement, validate_statements

_KEYS = st.sampled_from(
    [
        "id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version",
        "attachments", "objectType", "mbox", "member", "account", "homePage", "name", "display", "definition",
        "interactionType", "choices", "score", "raw", "min", "max", "scaled", "registration", "contextActivities",
        "parent", "extensions", "usageType", "contentType", "length", "sha2", "contextAgents", "agent", "relevantTypes",
    ]
) | st.text(max_size=8)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["Agent", "Group", "SubStatement", "StatementRef", "Activity", "mailto:a@b.nl", "http://x.nl/a", "choice", "en-US"])
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=5),
    max_leaves=25,
)

_PATHS_IN_BASE = [
    ("actor",), ("actor", "mbox"), ("verb",), ("verb", "id"), ("verb", "display"), ("object",), ("object", "id"),
    ("object", "definition"), ("object", "definition", "name"), ("object", "objectType"), ("id",),
]


@settings(max_examples=150, deadline=None)
@given(_JSON)
def test_arbitrary_json_never_crashes_validation(payload):
    for version in ("1.0.3", "2.0.0"):
        try:
            validate_statements(payload, version=version)
        except StatementValidationError as error:
            assert error.path.startswith("statement")
            assert error.rule


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_PATHS_IN_BASE), _JSON)
def test_replacing_any_part_of_a_valid_statement_never_crashes(path, value):
    statement = base_statement()
    target = statement
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    try:
        validate_statement(statement)
    except StatementValidationError as error:
        assert error.path.startswith("statement")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(REALISTIC)), _KEYS, _JSON)
def test_adding_a_property_to_a_realistic_statement_never_crashes(name, key, value):
    statement = copy.deepcopy(REALISTIC[name])
    statement.setdefault("context", {})
    if isinstance(statement["context"], dict):
        statement["context"][key] = value
    try:
        validate_statement(statement, version="2.0.0")
    except StatementValidationError as error:
        assert error.path.startswith("statement.context")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_arbitrary_signature_bytes_never_crash(jws):
    try:
        check_signature(base_statement(), jws)
    except StatementValidationError as error:
        assert error.path == "signature"
