"""The `format` of returned statements: exact, ids, canonical (Communication 2.1.3)."""

from __future__ import annotations

from typing import Callable, Iterable

from xapi.statement_keys import IFI_PROPERTIES

LanguageChooser = Callable[[list[str]], str | None]
_INTERACTION_COMPONENTS = ("choices", "scale", "source", "target", "steps")


# --- ids: only what identifies Agents, Groups, Activities and Verbs ---------------------------


def _actor_ids(actor):
    if not isinstance(actor, dict):
        return actor
    reduced = {name: actor[name] for name in ("objectType", *IFI_PROPERTIES) if name in actor}
    if not any(name in actor for name in IFI_PROPERTIES) and "member" in actor:
        # An anonymous Group is identified by its members.
        reduced["member"] = [_actor_ids(member) for member in actor["member"]]
    return reduced


def _object_ids(obj):
    if not isinstance(obj, dict):
        return obj
    object_type = obj.get("objectType", "Activity")
    if object_type in ("Agent", "Group"):
        return _actor_ids(obj)
    if object_type == "SubStatement":
        return _statement_ids(obj)
    return {name: obj[name] for name in ("objectType", "id") if name in obj}


def _context_ids(context: dict) -> dict:
    reduced = dict(context)
    for name in ("instructor", "team"):
        if name in reduced:
            reduced[name] = _actor_ids(reduced[name])
    if isinstance(reduced.get("contextActivities"), dict):
        reduced["contextActivities"] = {
            kind: [_object_ids(a) for a in value] if isinstance(value, list) else _object_ids(value)
            for kind, value in reduced["contextActivities"].items()
        }
    if isinstance(reduced.get("contextAgents"), list):
        reduced["contextAgents"] = [{**entry, "agent": _actor_ids(entry.get("agent"))} for entry in reduced["contextAgents"]]
    if isinstance(reduced.get("contextGroups"), list):
        reduced["contextGroups"] = [{**entry, "group": _actor_ids(entry.get("group"))} for entry in reduced["contextGroups"]]
    return reduced


def _statement_ids(statement: dict) -> dict:
    reduced = dict(statement)
    reduced["actor"] = _actor_ids(statement.get("actor"))
    if isinstance(statement.get("verb"), dict):
        reduced["verb"] = {"id": statement["verb"]["id"]}
    reduced["object"] = _object_ids(statement.get("object"))
    if isinstance(statement.get("context"), dict):
        reduced["context"] = _context_ids(statement["context"])
    if "authority" in statement:
        reduced["authority"] = _actor_ids(statement["authority"])
    return reduced


def to_ids(statement: dict) -> dict:
    """Format `ids`: the minimum that identifies each Agent, Group, Activity and Verb."""
    return _statement_ids(statement)


# --- canonical: the LRS's activity definitions, one language per language map ----------------


def activity_ids(statement: dict) -> Iterable[str]:
    """Every activity id in a statement (object, context activities, SubStatement)."""
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") == "Activity" and isinstance(obj.get("id"), str):
        yield obj["id"]
    elif obj.get("objectType") == "SubStatement":
        yield from activity_ids(obj)
    for value in ((statement.get("context") or {}).get("contextActivities") or {}).values():
        for activity in value if isinstance(value, list) else [value]:
            if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                yield activity["id"]


def _pick(language_map, choose: LanguageChooser):
    if not isinstance(language_map, dict) or not language_map:
        return language_map
    chosen = choose(list(language_map))
    key = chosen if chosen in language_map else next(iter(language_map))
    return {key: language_map[key]}


def _canonical_definition(definition: dict, choose: LanguageChooser) -> dict:
    result = dict(definition)
    for name in ("name", "description"):
        if name in result:
            result[name] = _pick(result[name], choose)
    for name in _INTERACTION_COMPONENTS:
        if isinstance(result.get(name), list):
            result[name] = [
                {**component, "description": _pick(component["description"], choose)}
                if isinstance(component, dict) and "description" in component
                else component
                for component in result[name]
            ]
    return result


def _canonical_activity(activity, definitions: dict[str, dict], choose: LanguageChooser):
    if not isinstance(activity, dict):
        return activity
    result = dict(activity)
    definition = definitions.get(activity.get("id")) or activity.get("definition")
    if isinstance(definition, dict):
        result["definition"] = _canonical_definition(definition, choose)
    return result


def _canonical_statement(statement: dict, definitions: dict[str, dict], choose: LanguageChooser) -> dict:
    result = dict(statement)
    verb = statement.get("verb")
    if isinstance(verb, dict) and "display" in verb:
        result["verb"] = {**verb, "display": _pick(verb["display"], choose)}
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") == "Activity":
        result["object"] = _canonical_activity(obj, definitions, choose)
    elif obj.get("objectType") == "SubStatement":
        result["object"] = _canonical_statement(obj, definitions, choose)
    context = statement.get("context")
    if isinstance(context, dict) and isinstance(context.get("contextActivities"), dict):
        result["context"] = {
            **context,
            "contextActivities": {
                kind: [_canonical_activity(a, definitions, choose) for a in value]
                if isinstance(value, list)
                else _canonical_activity(value, definitions, choose)
                for kind, value in context["contextActivities"].items()
            },
        }
    if isinstance(statement.get("attachments"), list):
        result["attachments"] = [
            {**a, **{name: _pick(a[name], choose) for name in ("display", "description") if name in a}}
            for a in statement["attachments"]
        ]
    return result


def to_canonical(statement: dict, definitions: dict[str, dict], choose: LanguageChooser) -> dict:
    """Format `canonical`: canonical activity definitions and one language per language map."""
    return _canonical_statement(statement, definitions, choose)
