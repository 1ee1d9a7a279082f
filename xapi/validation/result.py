"""Result and Score (Data 2.4.5)."""

from __future__ import annotations

from typing import Any

from xapi.validation.common import (
    check_properties,
    describe,
    require_boolean,
    require_number,
    require_object,
    require_string,
    validate_extensions,
)
from xapi.validation.errors import StatementValidationError, child
from xapi.validation.primitives import is_duration

RESULT_PROPERTIES = frozenset(("score", "success", "completion", "response", "duration", "extensions"))
SCORE_PROPERTIES = frozenset(("scaled", "raw", "min", "max"))


def validate_result(value: Any, path: str) -> None:
    """Check a Result object."""
    result = require_object(value, path, "a Result object")
    check_properties(result, RESULT_PROPERTIES, path, "a Result")
    if "score" in result:
        validate_score(result["score"], child(path, "score"))
    if "success" in result:
        require_boolean(result["success"], child(path, "success"))
    if "completion" in result:
        require_boolean(result["completion"], child(path, "completion"))
    if "response" in result:
        require_string(result["response"], child(path, "response"))
    if "duration" in result:
        duration = result["duration"]
        duration_path = child(path, "duration")
        if type(duration) is not str:
            raise StatementValidationError(duration_path, f"duration must be an ISO 8601 duration string, not {describe(duration)}")
        if not is_duration(duration):
            raise StatementValidationError(duration_path, f"duration must be an ISO 8601 duration such as PT1H30M5.2S (got {duration!r})")
    if "extensions" in result:
        validate_extensions(result["extensions"], child(path, "extensions"))


def validate_score(value: Any, path: str) -> None:
    """Check a Score: scaled in [-1, 1], min < max, min <= raw <= max (Data 2.4.5.1)."""
    score = require_object(value, path, "a Score object")
    check_properties(score, SCORE_PROPERTIES, path, "a Score")
    numbers = {key: require_number(score[key], child(path, key)) for key in ("scaled", "raw", "min", "max") if key in score}
    scaled = numbers.get("scaled")
    if scaled is not None and not -1 <= scaled <= 1:
        raise StatementValidationError(child(path, "scaled"), f"scaled must be between -1 and 1 inclusive (got {scaled})")
    low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
    if low is not None and high is not None and not low < high:
        raise StatementValidationError(child(path, "min"), f"min must be less than max (got min {low}, max {high})")
    if raw is not None:
        if low is not None and raw < low:
            raise StatementValidationError(child(path, "raw"), f"raw must be at least min (got raw {raw}, min {low})")
        if high is not None and raw > high:
            raise StatementValidationError(child(path, "raw"), f"raw must be at most max (got raw {raw}, max {high})")
