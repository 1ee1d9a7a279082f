"""Result and Score (Data 2.4.5)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.xapi.unit import assert_rejected, statement_with
from xapi.validation import StatementValidationError, validate_statement


@pytest.mark.parametrize(
    "result",
    [
        {},
        {"success": True, "completion": False},
        {"response": ""},
        {"response": "golf[,]tetris"},
        {"duration": "PT1H0M0.1S"},
        {"duration": "P4W"},
        {"score": {}},
        {"score": {"scaled": 1}},
        {"score": {"scaled": -1}},
        {"score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100}},
        {"score": {"raw": 0, "min": 0, "max": 10}},
        {"score": {"raw": 10, "min": 0, "max": 10}},
        {"score": {"raw": -5}},
        {"score": {"raw": 1e6, "min": -1e6}},
        {"score": {"raw": 3, "max": 3}},
        {"score": {"min": -10.5, "max": -10.25}},
        {"extensions": {"http://example.com/null": None, "https://w3id.org/xapi/cmi5/result/extensions/progress": 50}},
    ],
)
def test_valid_results_are_accepted(result):
    validate_statement(statement_with("result", result))


@pytest.mark.parametrize(
    "result, path, fragment",
    [
        ("passed", "statement.result", "Result object"),
        (None, "statement.result", "Result object"),
        ({"success": "true"}, "statement.result.success", "boolean"),
        ({"success": "We regret to inform you that your effort was unsuccessful."}, "statement.result.success", "boolean"),
        ({"completion": "false"}, "statement.result.completion", "boolean"),
        ({"completion": 1}, "statement.result.completion", "boolean"),
        ({"success": None}, "statement.result.success", "boolean"),
        ({"response": 42}, "statement.result.response", "string"),
        ({"response": None}, "statement.result.response", "string"),
        ({"duration": "should fail"}, "statement.result.duration", "ISO 8601 duration"),
        ({"duration": "PA1H0M0S"}, "statement.result.duration", "ISO 8601 duration"),
        ({"duration": 12345}, "statement.result.duration", "ISO 8601 duration"),
        ({"duration": {"key": "invalid"}}, "statement.result.duration", "ISO 8601 duration"),
        ({"duration": "01:30:00"}, "statement.result.duration", "ISO 8601 duration"),
        ({"score": 95}, "statement.result.score", "Score object"),
        ({"score": {"max": "one hundred"}}, "statement.result.score.max", "number"),
        ({"score": {"max": "100"}}, "statement.result.score.max", "number"),
        ({"score": {"raw": "95"}}, "statement.result.score.raw", "number"),
        ({"score": {"raw": True}}, "statement.result.score.raw", "number"),
        ({"score": {"scaled": None}}, "statement.result.score.scaled", "number"),
        ({"score": {"scaled": math.nan}}, "statement.result.score.scaled", "finite"),
        ({"score": {"raw": math.inf}}, "statement.result.score.raw", "finite"),
        ({"score": {"scaled": 1.01}}, "statement.result.score.scaled", "between -1 and 1"),
        ({"score": {"scaled": -1.5}}, "statement.result.score.scaled", "between -1 and 1"),
        ({"score": {"scaled": 95}}, "statement.result.score.scaled", "between -1 and 1"),
        ({"score": {"min": 10, "max": 10}}, "statement.result.score.min", "less than max"),
        ({"score": {"min": 11, "max": 10}}, "statement.result.score.min", "less than max"),
        ({"score": {"raw": -1, "min": 0, "max": 10}}, "statement.result.score.raw", "at least min"),
        ({"score": {"raw": 11, "min": 0, "max": 10}}, "statement.result.score.raw", "at most max"),
        ({"score": {"raw": 5, "min": 6}}, "statement.result.score.raw", "at least min"),
        ({"score": {"raw": 5, "max": 4}}, "statement.result.score.raw", "at most max"),
        ({"score": {"Raw": 5}}, "statement.result.score.Raw", "case-sensitive"),
        ({"score": {"percentage": 5}}, "statement.result.score.percentage", "unknown property"),
        ({"Success": True}, "statement.result.Success", "case-sensitive"),
        ({"passed": True}, "statement.result.passed", "unknown property"),
        ({"extensions": {"progress": 50}}, "statement.result.extensions.progress", "extension key must be an IRI"),
        ({"extensions": None}, "statement.result.extensions", "extensions object"),
    ],
)
def test_invalid_results_are_rejected(result, path, fragment):
    assert_rejected(statement_with("result", result), path, fragment)


@given(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
)
def test_score_range_rule_matches_its_definition(low, high, raw):
    statement = statement_with("result", {"score": {"min": low, "max": high, "raw": raw}})
    should_pass = low < high and low <= raw <= high
    try:
        validate_statement(statement)
        accepted = True
    except StatementValidationError:
        accepted = False
    assert accepted is should_pass


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_scaled_accepted_exactly_within_minus_one_and_one(scaled):
    statement = statement_with("result", {"score": {"scaled": scaled}})
    if -1 <= scaled <= 1:
        validate_statement(statement)
    else:
        assert_rejected(statement, "statement.result.score.scaled", "between -1 and 1")
