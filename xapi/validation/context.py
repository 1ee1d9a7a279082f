"""Context (Data 2.4.6), with the xAPI 2.0 contextAgents and contextGroups (IEEE 9274.1.1)."""

from __future__ import annotations

from typing import Any

from xapi.validation.activities import validate_activity
from xapi.validation.actors import validate_actor
from xapi.validation.common import (
    array_items,
    check_properties,
    require_array,
    require_object,
    require_present,
    require_string,
    validate_extensions,
    validate_iri,
    validate_language_tag,
    validate_uuid,
)
from xapi.validation.errors import StatementValidationError, child

CONTEXT_PROPERTIES_1 = frozenset(
    ("registration", "instructor", "team", "contextActivities", "revision", "platform", "language", "statement", "extensions")
)
CONTEXT_PROPERTIES_2 = CONTEXT_PROPERTIES_1 | {"contextAgents", "contextGroups"}
CONTEXT_ACTIVITY_KEYS = frozenset(("parent", "grouping", "category", "other"))
STATEMENT_REF_PROPERTIES = frozenset(("objectType", "id"))
CONTEXT_AGENT_PROPERTIES = frozenset(("objectType", "agent", "relevantTypes"))
CONTEXT_GROUP_PROPERTIES = frozenset(("objectType", "group", "relevantTypes"))
_V2_ONLY_HINTS = {
    "contextAgents": "contextAgents exists only in xAPI 2.0; send X-Experience-API-Version: 2.0.0",
    "contextGroups": "contextGroups exists only in xAPI 2.0; send X-Experience-API-Version: 2.0.0",
}


def validate_context(value: Any, path: str, *, object_is_activity: bool, v2: bool) -> None:
    """Check a Context; `object_is_activity` decides whether revision and platform are allowed."""
    context = require_object(value, path, "a Context object")
    check_properties(context, CONTEXT_PROPERTIES_2 if v2 else CONTEXT_PROPERTIES_1, path, "a Context", _V2_ONLY_HINTS)
    if "registration" in context:
        validate_uuid(context["registration"], child(path, "registration"))
    if "instructor" in context:
        validate_actor(context["instructor"], child(path, "instructor"))
    if "team" in context:
        team_path = child(path, "team")
        team = require_object(context["team"], team_path, "a Group object")
        if team.get("objectType") != "Group":
            raise StatementValidationError(child(team_path, "objectType"), "team must be a Group (objectType 'Group')")
        validate_actor(team, team_path)
    if "contextActivities" in context:
        validate_context_activities(context["contextActivities"], child(path, "contextActivities"))
    for key in ("revision", "platform"):
        if key in context:
            require_string(context[key], child(path, key))
            # Data 2.4.6.s4: revision and platform only make sense for an Activity object.
            if not object_is_activity:
                raise StatementValidationError(child(path, key), f"'{key}' is only allowed when the statement's object is an Activity")
    if "language" in context:
        validate_language_tag(context["language"], child(path, "language"))
    if "statement" in context:
        validate_statement_ref(context["statement"], child(path, "statement"))
    if "extensions" in context:
        validate_extensions(context["extensions"], child(path, "extensions"))
    if "contextAgents" in context:
        _validate_context_agents(context["contextAgents"], child(path, "contextAgents"))
    if "contextGroups" in context:
        _validate_context_groups(context["contextGroups"], child(path, "contextGroups"))


def validate_context_activities(value: Any, path: str) -> None:
    """Check contextActivities: parent/grouping/category/other, each an Activity or an array of them."""
    context_activities = require_object(value, path, "a contextActivities object")
    if not context_activities:
        # The conformance suite (Data 2.4.6.2) requires at least one key/value pair.
        raise StatementValidationError(path, "contextActivities must contain at least one of parent, grouping, category or other")
    check_properties(context_activities, CONTEXT_ACTIVITY_KEYS, path, "contextActivities")
    for key, activities in context_activities.items():
        key_path = child(path, key)
        if type(activities) is dict:
            # Data 2.4.6.2.s4: a single Activity is accepted and returned as an array of one.
            validate_activity(activities, key_path)
            continue
        require_array(activities, key_path, "an Activity object or an array of Activity objects")
        for activity, activity_path in array_items(activities, key_path):
            validate_activity(activity, activity_path)


def validate_statement_ref(value: Any, path: str) -> None:
    """Check a StatementRef: objectType 'StatementRef' and a UUID id (Data 2.4.4.3)."""
    ref = require_object(value, path, "a StatementRef object")
    check_properties(ref, STATEMENT_REF_PROPERTIES, path, "a StatementRef")
    object_type = require_present(ref, "objectType", path, "a StatementRef")
    if object_type != "StatementRef":
        raise StatementValidationError(child(path, "objectType"), f"objectType must be 'StatementRef', got {object_type!r}")
    validate_uuid(require_present(ref, "id", path, "a StatementRef"), child(path, "id"))


def _validate_relevant_types(obj: dict, path: str) -> None:
    if "relevantTypes" in obj:
        types_path = child(path, "relevantTypes")
        relevant_types = require_array(obj["relevantTypes"], types_path, "a non-empty array of IRIs", non_empty=True)
        for relevant_type, type_path in array_items(relevant_types, types_path):
            validate_iri(relevant_type, type_path, "a relevant type IRI")


def _validate_context_agents(value: Any, path: str) -> None:
    entries = require_array(value, path, "an array of contextAgent objects")
    for entry, entry_path in array_items(entries, path):
        obj = require_object(entry, entry_path, "a contextAgent object")
        check_properties(obj, CONTEXT_AGENT_PROPERTIES, entry_path, "a contextAgent")
        if require_present(obj, "objectType", entry_path, "a contextAgent") != "contextAgent":
            raise StatementValidationError(child(entry_path, "objectType"), "objectType must be 'contextAgent'")
        validate_actor(require_present(obj, "agent", entry_path, "a contextAgent"), child(entry_path, "agent"), allow_group=False)
        _validate_relevant_types(obj, entry_path)


def _validate_context_groups(value: Any, path: str) -> None:
    entries = require_array(value, path, "an array of contextGroup objects")
    for entry, entry_path in array_items(entries, path):
        obj = require_object(entry, entry_path, "a contextGroup object")
        check_properties(obj, CONTEXT_GROUP_PROPERTIES, entry_path, "a contextGroup")
        if require_present(obj, "objectType", entry_path, "a contextGroup") != "contextGroup":
            raise StatementValidationError(child(entry_path, "objectType"), "objectType must be 'contextGroup'")
        group_path = child(entry_path, "group")
        group = require_object(require_present(obj, "group", entry_path, "a contextGroup"), group_path, "a Group object")
        if group.get("objectType") != "Group":
            raise StatementValidationError(child(group_path, "objectType"), "a contextGroup's group must have objectType 'Group'")
        validate_actor(group, group_path)
        _validate_relevant_types(obj, entry_path)
