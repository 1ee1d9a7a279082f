"""Builders shared by the xAPI validation unit tests: a valid statement and ways to break it."""

from __future__ import annotations

import copy
import re

import pytest

from xapi.validation import StatementValidationError, validate_statement

DELETE = object()

ACTOR = {"objectType": "Agent", "name": "Fenna de Vries", "mbox": "mailto:fenna@example.nl"}
VERB = {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed", "nl-NL": "voltooid"}}
ACTIVITY = {
    "objectType": "Activity",
    "id": "https://leerpaspoort.example/activities/veilig-werken",
    "definition": {
        "name": {"nl-NL": "Veilig werken"},
        "description": {"en-US": "Working safely on site"},
        "type": "http://adlnet.gov/expapi/activities/course",
        "moreInfo": "https://leerpaspoort.example/info/veilig-werken",
    },
}
STATEMENT_ID = "f1d3f6a2-6c1e-4f4e-9b1a-2d7c5e8a9b01"
OTHER_ID = "0e4b2c3a-1f5d-4c8e-9a7b-3d2f1e0c9b8a"


def base_statement() -> dict:
    """Return a fresh minimal valid statement."""
    return {"id": STATEMENT_ID, "actor": copy.deepcopy(ACTOR), "verb": copy.deepcopy(VERB), "object": copy.deepcopy(ACTIVITY)}


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(dotted: str) -> list:
    return [name if name else int(index) for name, index in _STEP.findall(dotted)]


def changed(document: dict, dotted: str, value) -> dict:
    """Return a deep copy of `document` with the value at `dotted` ("context.team.member[0].mbox") set or deleted."""
    result = copy.deepcopy(document)
    steps = _steps(dotted)
    target = result
    for step in steps[:-1]:
        if isinstance(step, str) and step not in target:
            target[step] = {}
        target = target[step]
    if value is DELETE:
        del target[steps[-1]]
    else:
        target[steps[-1]] = copy.deepcopy(value)
    return result


def statement_with(dotted: str, value) -> dict:
    """Return the base statement with one value set or deleted."""
    return changed(base_statement(), dotted, value)


def assert_rejected(statement, path: str, rule_fragment: str, *, version: str = "1.0.3") -> StatementValidationError:
    """Assert that validation fails at exactly `path` with a rule that mentions `rule_fragment`."""
    with pytest.raises(StatementValidationError) as caught:
        validate_statement(statement, version=version)
    error = caught.value
    assert error.path == path, f"expected path {path!r}, got {error.path!r} ({error.rule})"
    assert rule_fragment.lower() in error.rule.lower(), f"rule {error.rule!r} does not mention {rule_fragment!r}"
    assert str(error) == f"{error.path}: {error.rule}"
    return error
