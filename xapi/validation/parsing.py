"""Strict JSON reading for statement bodies: duplicate keys and NaN/Infinity are refused.

Python's json module silently keeps the last of two equal keys and accepts NaN and Infinity;
xAPI wants both rejected (XAPI-00021: a property appears at most once; JSON has no NaN).
"""

from __future__ import annotations

import json
from typing import Any

from xapi.validation.errors import StatementValidationError


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_object(pairs: list[tuple[str, Any]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(data: bytes | str, *, path: str = "statement") -> Any:
    """Parse a UTF-8 JSON body; raise StatementValidationError for invalid JSON or repeated keys."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    except UnicodeDecodeError:
        raise StatementValidationError(path, "the body is not UTF-8 encoded JSON") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_object, parse_constant=_no_constants)
    except _DuplicateKey as duplicate:
        raise StatementValidationError(
            path, f"the JSON repeats the property {duplicate.key!r} within one object (each property may appear once)"
        ) from None
    except json.JSONDecodeError as exc:
        raise StatementValidationError(path, f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:
        raise StatementValidationError(path, f"is not valid JSON ({exc})") from None
