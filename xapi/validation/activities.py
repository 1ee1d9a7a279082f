"""Activities and their definitions, including interaction activities (Data 2.4.4.1)."""

from __future__ import annotations

from typing import Any

from xapi.validation.common import (
    array_items,
    check_properties,
    describe,
    require_array,
    require_object,
    require_present,
    require_string,
    validate_extensions,
    validate_iri,
    validate_irl,
    validate_language_map,
)
from xapi.validation.errors import StatementValidationError, child

ACTIVITY_PROPERTIES = frozenset(("objectType", "id", "definition"))
DEFINITION_PROPERTIES = frozenset(
    (
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        "choices",
        "scale",
        "source",
        "target",
        "steps",
    )
)
INTERACTION_COMPONENT_PROPERTIES = frozenset(("id", "description"))
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")

# Data 2.4.4.1.s8 table: which interaction component lists each interactionType may carry.
COMPONENTS_BY_INTERACTION_TYPE: dict[str, frozenset[str]] = {
    "true-false": frozenset(),
    "choice": frozenset({"choices"}),
    "fill-in": frozenset(),
    "long-fill-in": frozenset(),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "numeric": frozenset(),
    "other": frozenset(),
}


def validate_activity_id(value: Any, path: str) -> None:
    """Check an Activity id: an IRI (Data 2.4.4.1.s3)."""
    validate_iri(value, path, "an Activity id IRI")


def validate_activity(value: Any, path: str) -> None:
    """Check an Activity object: objectType 'Activity' if given, id IRI, optional definition."""
    activity = require_object(value, path, "an Activity object")
    check_properties(activity, ACTIVITY_PROPERTIES, path, "an Activity")
    if "objectType" in activity and activity["objectType"] != "Activity":
        raise StatementValidationError(
            child(path, "objectType"), f"objectType of an Activity must be 'Activity', got {activity['objectType']!r}"
        )
    validate_activity_id(require_present(activity, "id", path, "an Activity"), child(path, "id"))
    if "definition" in activity:
        validate_activity_definition(activity["definition"], child(path, "definition"))


def validate_activity_definition(value: Any, path: str) -> None:
    """Check an Activity definition, interaction properties included."""
    definition = require_object(value, path, "an Activity definition object")
    check_properties(definition, DEFINITION_PROPERTIES, path, "an Activity definition")
    if "name" in definition:
        validate_language_map(definition["name"], child(path, "name"))
    if "description" in definition:
        validate_language_map(definition["description"], child(path, "description"))
    if "type" in definition:
        validate_iri(definition["type"], child(path, "type"), "an Activity type IRI")
    if "moreInfo" in definition:
        validate_irl(definition["moreInfo"], child(path, "moreInfo"))
    if "extensions" in definition:
        validate_extensions(definition["extensions"], child(path, "extensions"))
    _validate_interaction(definition, path)


def _validate_interaction(definition: dict, path: str) -> None:
    interaction_type = definition.get("interactionType")
    if interaction_type is None and "interactionType" not in definition:
        for key in ("correctResponsesPattern",) + COMPONENT_LISTS:
            if key in definition:
                raise StatementValidationError(
                    child(path, key), f"'{key}' is only allowed in an interaction Activity, which needs an interactionType"
                )
        return
    type_path = child(path, "interactionType")
    if type(interaction_type) is not str:
        raise StatementValidationError(type_path, f"interactionType must be a string, not {describe(interaction_type)}")
    allowed_components = COMPONENTS_BY_INTERACTION_TYPE.get(interaction_type)
    if allowed_components is None:
        raise StatementValidationError(
            type_path,
            f"interactionType must be one of {', '.join(COMPONENTS_BY_INTERACTION_TYPE)} (case-sensitive), got {interaction_type!r}",
        )
    if "correctResponsesPattern" in definition:
        pattern_path = child(path, "correctResponsesPattern")
        patterns = require_array(definition["correctResponsesPattern"], pattern_path, "an array of strings")
        for pattern, item_path in array_items(patterns, pattern_path):
            require_string(pattern, item_path)
    for key in COMPONENT_LISTS:
        if key in definition:
            if key not in allowed_components:
                allowed = " and ".join(sorted(allowed_components)) or "no component lists"
                raise StatementValidationError(
                    child(path, key), f"interactionType '{interaction_type}' does not allow '{key}' (it allows {allowed})"
                )
            _validate_components(definition[key], child(path, key))


def _validate_components(value: Any, path: str) -> None:
    components = require_array(value, path, "an array of interaction components")
    seen: set[str] = set()
    for component, component_path in array_items(components, path):
        obj = require_object(component, component_path, "an interaction component object")
        check_properties(obj, INTERACTION_COMPONENT_PROPERTIES, component_path, "an interaction component")
        component_id = require_string(
            require_present(obj, "id", component_path, "an interaction component"), child(component_path, "id"), non_empty=True
        )
        # Data 2.4.4.1.s12: ids within one component list must be distinct.
        if component_id in seen:
            raise StatementValidationError(child(component_path, "id"), f"interaction component ids must be unique; {component_id!r} repeats")
        seen.add(component_id)
        if "description" in obj:
            validate_language_map(obj["description"], child(component_path, "description"))
