"""The filter keys a statement is found by (xAPI 1.0.3 Communication 2.1.3, GET statements).

Each key is a (kind, hashed value) row in xapi_statement_filters. The "related" kinds are
supersets of the direct ones, so `related_agents=true` / `related_activities=true` become a
lookup of a different kind rather than a wider query.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from xapi.statement_keys import activity_key, agent_key, registration_key, verb_key

AGENT = 1  # actor, or object when it is an Agent/Group
AGENT_RELATED = 2  # also authority, instructor, team, context agents/groups, group members, SubStatement
ACTIVITY = 3  # object when it is an Activity
ACTIVITY_RELATED = 4  # also contextActivities and the SubStatement's activities
VERB = 5
REGISTRATION = 6

FilterKey = tuple[int, str]


def _is_activity(obj: dict) -> bool:
    return obj.get("objectType", "Activity") == "Activity" and isinstance(obj.get("id"), str)


def _is_actor(obj: dict) -> bool:
    return obj.get("objectType") in ("Agent", "Group")


def _actor_keys(actor, *, members: bool) -> Iterator[str]:
    """The key of an agent or identified group and, if asked, of each group member."""
    if not isinstance(actor, dict):
        return
    key = agent_key(actor)
    if key is not None:
        yield key
    if members:
        for member in actor.get("member") or ():
            key = agent_key(member)
            if key is not None:
                yield key


def _context_activity_ids(context: dict) -> Iterator[str]:
    for value in (context.get("contextActivities") or {}).values():
        for activity in value if isinstance(value, list) else [value]:
            if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                yield activity["id"]


def _context_agents(context: dict) -> Iterator[dict]:
    for name in ("instructor", "team"):
        if isinstance(context.get(name), dict):
            yield context[name]
    for entry in context.get("contextAgents") or ():
        if isinstance(entry, dict):
            yield entry.get("agent")
    for entry in context.get("contextGroups") or ():
        if isinstance(entry, dict):
            yield entry.get("group")


def _related_of(statement: dict, keys: set[FilterKey]) -> None:
    """Add the broad (related_*) keys of a statement or SubStatement."""
    for key in _actor_keys(statement.get("actor"), members=True):
        keys.add((AGENT_RELATED, key))
    obj = statement.get("object") or {}
    if _is_actor(obj):
        for key in _actor_keys(obj, members=True):
            keys.add((AGENT_RELATED, key))
    elif _is_activity(obj):
        keys.add((ACTIVITY_RELATED, activity_key(obj["id"])))
    elif obj.get("objectType") == "SubStatement":
        _related_of(obj, keys)
    context = statement.get("context") or {}
    for agent in _context_agents(context):
        for key in _actor_keys(agent, members=True):
            keys.add((AGENT_RELATED, key))
    for activity_id in _context_activity_ids(context):
        keys.add((ACTIVITY_RELATED, activity_key(activity_id)))


def filter_keys(statement: dict) -> set[FilterKey]:
    """Every filter key of a statement (without those it inherits through a StatementRef)."""
    keys: set[FilterKey] = set()
    for key in _actor_keys(statement.get("actor"), members=False):
        keys.add((AGENT, key))
    obj = statement.get("object") or {}
    if _is_actor(obj):
        for key in _actor_keys(obj, members=False):
            keys.add((AGENT, key))
    elif _is_activity(obj):
        keys.add((ACTIVITY, activity_key(obj["id"])))
    keys.add((VERB, verb_key(statement["verb"]["id"])))
    registration = (statement.get("context") or {}).get("registration")
    if isinstance(registration, str):
        keys.add((REGISTRATION, registration_key(registration)))
    _related_of(statement, keys)
    for key in _actor_keys(statement.get("authority"), members=True):
        keys.add((AGENT_RELATED, key))
    # The related kinds include the direct ones, so one lookup answers related_*=true.
    keys.update((AGENT_RELATED, value) for kind, value in list(keys) if kind == AGENT)
    keys.update((ACTIVITY_RELATED, value) for kind, value in list(keys) if kind == ACTIVITY)
    return keys


def inherited_keys(target_keys: Iterable[FilterKey]) -> set[FilterKey]:
    """Keys a statement inherits from the statement its StatementRef targets.

    Communication 2.1.3: for filters other than since/until/limit, a statement that targets
    another statement meets a filter when the target does.
    """
    return set(target_keys)


def activities_with_definitions(statement: dict) -> Iterator[dict]:
    """Every Activity object in a statement that carries a definition (for GET activities)."""
    obj = statement.get("object") or {}
    if _is_activity(obj) and isinstance(obj.get("definition"), dict):
        yield obj
    if obj.get("objectType") == "SubStatement":
        yield from activities_with_definitions(obj)
    for value in ((statement.get("context") or {}).get("contextActivities") or {}).values():
        for activity in value if isinstance(value, list) else [value]:
            if isinstance(activity, dict) and isinstance(activity.get("definition"), dict):
                yield activity
