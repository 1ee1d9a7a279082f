"""Shared structural checks: JSON types, allowed properties, language maps, extensions, IRIs.

Data 2.2.s4.b1: an LRS rejects null values (except inside extensions), strings where numbers
or booleans are required, non-format-following values, keys in the wrong case and keys the
specification does not allow. Every function here raises StatementValidationError with the
JSON path of the offending value.
"""

from __future__ import annotations

import math
from typing import Any, Collection

from xapi.validation.errors import StatementValidationError, child, item
from xapi.validation.primitives import is_iri, is_irl, is_language_tag, is_uuid

_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def describe(value: Any) -> str:
    """Name the JSON type of `value` for an error message."""
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def require_object(value: Any, path: str, what: str = "an object") -> dict:
    """Return `value` if it is a JSON object, else raise."""
    if type(value) is not dict:
        raise StatementValidationError(path, f"must be {what}, not {describe(value)}")
    return value


def require_array(value: Any, path: str, what: str = "an array", *, non_empty: bool = False) -> list:
    """Return `value` if it is a JSON array (optionally non-empty), else raise."""
    if type(value) is not list:
        raise StatementValidationError(path, f"must be {what}, not {describe(value)}")
    if non_empty and not value:
        raise StatementValidationError(path, f"must be {what} with at least one element")
    return value


def check_properties(
    obj: dict, allowed: Collection[str], path: str, where: str, hints: dict[str, str] | None = None
) -> None:
    """Reject any property not in `allowed` (keys are case-sensitive, Data 2.2.s4.b1.b5/b7)."""
    for key in obj:
        if key not in allowed:
            if hints and key in hints:
                raise StatementValidationError(child(path, key), hints[key])
            rule = f"unknown property '{key}' in {where}"
            lowered = {name.lower(): name for name in allowed}
            if key.lower() in lowered:
                rule += f" (property names are case-sensitive: use '{lowered[key.lower()]}')"
            else:
                rule += f"; allowed: {', '.join(sorted(allowed))}"
            raise StatementValidationError(child(path, key), rule)


def require_present(obj: dict, key: str, path: str, where: str) -> Any:
    """Return `obj[key]`, raising if the required property is missing."""
    try:
        return obj[key]
    except KeyError:
        raise StatementValidationError(child(path, key), f"{where} requires the '{key}' property") from None


def require_string(value: Any, path: str, *, non_empty: bool = False) -> str:
    """Return `value` if it is a string (optionally non-empty), else raise."""
    if type(value) is not str:
        raise StatementValidationError(path, f"must be a string, not {describe(value)}")
    if non_empty and not value:
        raise StatementValidationError(path, "must not be an empty string")
    return value


def require_number(value: Any, path: str) -> float:
    """Return `value` if it is a finite JSON number (booleans and numeric strings rejected)."""
    kind = type(value)
    if kind is int:
        return value
    if kind is float and math.isfinite(value):
        return value
    if kind is float:
        raise StatementValidationError(path, "must be a finite number")
    raise StatementValidationError(path, f"must be a number, not {describe(value)}")


def require_boolean(value: Any, path: str) -> bool:
    """Return `value` if it is true or false (not the strings "true"/"false")."""
    if type(value) is not bool:
        raise StatementValidationError(path, f"must be a boolean (true or false), not {describe(value)}")
    return value


def validate_iri(value: Any, path: str, what: str = "an IRI") -> str:
    """Check that `value` is an absolute IRI with a scheme (Data 2.2.s4.b1.b8)."""
    if type(value) is not str:
        raise StatementValidationError(path, f"must be {what} (a string), not {describe(value)}")
    if not is_iri(value):
        raise StatementValidationError(path, f"must be {what}, e.g. http://example.com/path (got {value!r})")
    return value


def validate_irl(value: Any, path: str) -> str:
    """Check that `value` is an IRL (an IRI that can be resolved)."""
    if type(value) is not str:
        raise StatementValidationError(path, f"must be an IRL (a string), not {describe(value)}")
    if not is_irl(value):
        raise StatementValidationError(path, f"must be an IRL, e.g. https://example.com/page (got {value!r})")
    return value


def validate_uuid(value: Any, path: str) -> str:
    """Check that `value` is a UUID in standard string form (Data 2.4.1)."""
    if type(value) is not str:
        raise StatementValidationError(path, f"must be a UUID string, not {describe(value)}")
    if not is_uuid(value):
        raise StatementValidationError(
            path, f"must be a UUID in standard form, e.g. 0e4b2c3a-1f5d-4c8e-9a7b-3d2f1e0c9b8a (got {value!r})"
        )
    return value


def validate_language_tag(value: Any, path: str) -> str:
    """Check that `value` is an RFC 5646 language tag."""
    if type(value) is not str:
        raise StatementValidationError(path, f"must be a language tag string, not {describe(value)}")
    if not is_language_tag(value):
        raise StatementValidationError(path, f"must be an RFC 5646 language tag such as en-US (got {value!r})")
    return value


def validate_language_map(value: Any, path: str) -> None:
    """Check a language map: an object from RFC 5646 language tags to strings (Data 5.2)."""
    if type(value) is not dict:
        raise StatementValidationError(path, f"must be a language map (an object), not {describe(value)}")
    if not value:
        # The conformance suite holds that a language map has at least one entry.
        raise StatementValidationError(path, 'a language map needs at least one entry, e.g. {"en-US": "completed"}')
    for tag, text in value.items():
        if not is_language_tag(tag):
            raise StatementValidationError(
                child(path, tag), f"language map key must be an RFC 5646 language tag such as en-US (got {tag!r})"
            )
        if type(text) is not str:
            raise StatementValidationError(child(path, tag), f"language map value must be a string, not {describe(text)}")


def validate_extensions(value: Any, path: str) -> None:
    """Check extensions: an object whose keys are IRIs; values are any JSON, null included (Data 4.1)."""
    if type(value) is not dict:
        raise StatementValidationError(path, f"must be an extensions object, not {describe(value)}")
    for key in value:
        if not is_iri(key):
            raise StatementValidationError(child(path, key), f"extension key must be an IRI (got {key!r})")


def array_items(values: list, path: str):
    """Yield (element, element path) for each element of a JSON array."""
    for index, value in enumerate(values):
        yield value, item(path, index)
