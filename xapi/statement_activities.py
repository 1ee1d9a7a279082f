"""The LRS's canonical Activity definitions, merged from the statements it stores.

Data 2.4.4.1: an LRS may consider the most recent definition canonical; we merge language maps
(so a definition in a new language adds to the known ones) and take other properties from the
newest definition. Only credentials with the `define` scope update them (Communication 4.2).
"""

from __future__ import annotations

import threading
from typing import Iterable

from sqlalchemy import Connection, bindparam, event, select, update
from sqlalchemy.orm import Session

from xapi.direct_sql import DirectStatement
from xapi.models import Activity, insert_ignoring_conflicts
from xapi.statement_keys import activity_key

_LANGUAGE_MAPS = ("name", "description")


class _KnownDefinitions:
    """What this process last stored per activity, so repeats of it cost no queries.

    Content sends the same definition with every statement; merging a definition into one that
    already contains it changes nothing, so it is skipped. Other processes only ever add to a
    stored definition, which keeps the skip correct for language maps; a changed non-language
    property is written when it differs from what this process knows.
    """

    max_entries = 20000

    def __init__(self):
        self._known: dict[tuple[int, str], dict] = {}
        self._lock = threading.Lock()

    def adds_nothing(self, tenant_id: int, key: str, definition: dict) -> bool:
        with self._lock:
            known = self._known.get((tenant_id, key))
        return known is not None and merge_definition(known, definition) == known

    def remember(self, tenant_id: int, key: str, definition: dict) -> None:
        with self._lock:
            if len(self._known) >= self.max_entries:
                self._known.clear()
            self._known[(tenant_id, key)] = definition


_known = _KnownDefinitions()
_PENDING = "xapi.pending_definitions"


def _remember_after_commit(session: Session, tenant_id: int, key: str, definition: dict) -> None:
    """Remember a definition only once it is committed; a rollback forgets it."""
    session.info.setdefault(_PENDING, []).append((tenant_id, key, definition))


# Listeners on the Session class, registered once: adding a pair to each session that records
# a definition cost about 0.1 ms, more than the rest of recording it.
@event.listens_for(Session, "after_commit")
def _remember_committed(session: Session) -> None:
    for args in session.info.pop(_PENDING, ()):
        _known.remember(*args)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, _previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def merge_definition(known: dict | None, new: dict) -> dict:
    """Merge a newly seen definition into the known one."""
    if not known:
        return dict(new)
    merged = {**known, **new}
    for name in _LANGUAGE_MAPS:
        if isinstance(known.get(name), dict) and isinstance(new.get(name), dict):
            merged[name] = {**known[name], **new[name]}
    return merged


def record_definitions(session: Session, tenant_id: int, activities: Iterable[dict]) -> None:
    """Merge the definitions of these Activity objects into the canonical ones of the tenant."""
    definitions: dict[str, tuple[str, dict]] = {}
    for activity in activities:
        key = activity_key(activity["id"])
        previous = definitions.get(key, (activity["id"], None))[1]
        definitions[key] = (activity["id"], merge_definition(previous, activity["definition"]))
    definitions = {
        key: value for key, value in definitions.items() if not _known.adds_nothing(tenant_id, key, value[1])
    }
    if not definitions:
        return
    keys = sorted(definitions)
    connection = session.connection()
    existing = dict(_known_rows(connection, tenant_id, keys))
    new_rows = []
    for key, (activity_id, definition) in definitions.items():
        stored = existing.get(key)
        if stored is None:
            new_rows.append({"tenant_id": tenant_id, "activity_key": key, "activity_id": activity_id, "definition": definition})
            merged = definition
        else:
            merged = merge_definition(stored, definition)
            if merged != stored:
                connection.execute(_UPDATE_DEFINITION, {"tenant": tenant_id, "key": key, "merged": merged})
        _remember_after_commit(session, tenant_id, key, merged)
    if len(new_rows) == 1:
        # Two requests may define a new activity at once: the loser keeps its statement.
        _insert_ignoring_conflicts(connection).run(connection, new_rows[0])
    elif new_rows:
        connection.execute(_insert_ignoring_conflicts(connection).statement, new_rows)  # one executemany


# Built once: constructing statements costs more CPU than running them (see statement_store).
ACTIVITIES = Activity.__table__
_KNOWN_ONE = DirectStatement(
    select(ACTIVITIES.c.activity_key, ACTIVITIES.c.definition).where(
        ACTIVITIES.c.tenant_id == bindparam("tenant"), ACTIVITIES.c.activity_key == bindparam("key")
    )
)
_KNOWN_MANY = select(ACTIVITIES.c.activity_key, ACTIVITIES.c.definition).where(
    ACTIVITIES.c.tenant_id == bindparam("tenant"), ACTIVITIES.c.activity_key.in_(bindparam("keys", expanding=True))
)
_UPDATE_DEFINITION = (
    update(ACTIVITIES)
    .where(ACTIVITIES.c.tenant_id == bindparam("tenant"), ACTIVITIES.c.activity_key == bindparam("key"))
    # Parameter names differ from column names: an UPDATE reserves those for its SET clause.
    .values(definition=bindparam("merged", type_=ACTIVITIES.c.definition.type))
)
_INSERTS: dict[str, DirectStatement] = {}


def _known_rows(connection: Connection, tenant_id: int, keys: list[str]) -> list[tuple]:
    """(activity key, definition) of those of these keys the tenant has stored."""
    if len(keys) == 1:
        return _KNOWN_ONE.rows(connection, {"tenant": tenant_id, "key": keys[0]})
    return [tuple(row) for row in connection.execute(_KNOWN_MANY, {"tenant": tenant_id, "keys": keys})]


def _insert_ignoring_conflicts(connection: Connection) -> DirectStatement:
    dialect = connection.dialect.name
    if dialect not in _INSERTS:
        # On the table, not the entity: an ORM-enabled insert adds a bulk-persistence pass.
        _INSERTS[dialect] = DirectStatement(insert_ignoring_conflicts(connection, ACTIVITIES))
    return _INSERTS[dialect]


def canonical_definitions(session: Session, tenant_id: int, activity_ids: Iterable[str]) -> dict[str, dict]:
    """Return the canonical definitions of these activities, by activity id."""
    keys = {activity_key(activity_id) for activity_id in activity_ids}
    if not keys:
        return {}
    rows = session.execute(
        select(Activity.activity_id, Activity.definition).where(
            Activity.tenant_id == tenant_id, Activity.activity_key.in_(list(keys))
        )
    )
    return {activity_id: definition for activity_id, definition in rows}
