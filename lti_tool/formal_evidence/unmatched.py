"""The actors of a tenant's statements that are no learner (yet), counted by the database.

Every actor the projection meets is recorded in `learner_actors` (matched or not); the
statements themselves stay in the LRS. This module lists those actors for an administrator,
with how many statements each has, when they were stored and what they were about, and finds
the tenant's people an actor can be linked to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from lti_tool.formal_evidence.models import BY_ADMINISTRATOR, LearnerActor
from lti_tool.people.models import User
from lti_tool.search import SEARCH_MAX, like_pattern
from xapi.models import Activity as LRSActivity
from xapi.models import Statement, StatementFilter
from xapi.statement_index import AGENT
from xapi.statement_keys import activity_key

PER_PAGE = 25
SAMPLE_ACTIVITIES = 3
UNMATCHED = "unmatched"
LINKED = "linked"


@dataclass(frozen=True)
class ActorRow:
    actor_key: str
    actor: dict[str, Any]
    statements: int
    first_stored: datetime | None
    last_stored: datetime | None
    learner_name: str | None = None
    linked_at: datetime | None = None
    activities: list[str] = field(default_factory=list)

    @property
    def ifi(self) -> tuple[str, str]:
        """(kind, value) of the actor's inverse functional identifier (xAPI 1.0.3 Data 2.4.2.3)."""
        return actor_ifi(self.actor)


@dataclass(frozen=True)
class ActorPage:
    rows: list[ActorRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def actor_ifi(actor: dict[str, Any]) -> tuple[str, str]:
    """The kind and a readable value of an actor's identifier; mbox without its mailto: scheme."""
    if isinstance(actor.get("mbox"), str):
        value = actor["mbox"]
        return "mbox", value[len("mailto:"):] if value.lower().startswith("mailto:") else value
    for kind in ("mbox_sha1sum", "openid"):
        if isinstance(actor.get(kind), str):
            return kind, actor[kind]
    account = actor.get("account")
    if isinstance(account, dict):
        return "account", f"{account.get('name', '')} @ {account.get('homePage', '')}"
    return "unknown", ""


def _actors(platform_id: int, which: str, search: str | None):
    query = select(LearnerActor).where(LearnerActor.platform_id == platform_id)
    if which == LINKED:
        query = query.where(LearnerActor.matched_by == BY_ADMINISTRATOR, LearnerActor.user_id.is_not(None))
    else:
        query = query.where(LearnerActor.user_id.is_(None))
    if search:
        # The actor as stored (JSON text): finds an address, an account name or a home page.
        stored = func.lower(cast(LearnerActor.actor, String))
        # JSON text keeps a name like "José" as "Jos\u00e9": look for that spelling too.
        spellings = {search.lower(), json.dumps(search.lower())[1:-1]}
        query = query.where(or_(*(stored.like(like_pattern(spelling), escape="\\") for spelling in sorted(spellings))))
    return query


def actor_page(
    session: Session, platform_id: int, *, which: str = UNMATCHED, search: str | None = None, page: int = 1, per_page: int = PER_PAGE
) -> ActorPage:
    """One page of the tenant's unmatched (or administrator-linked) actors, most recently active first."""
    search = (search or "").strip()[:SEARCH_MAX] or None
    actors = _actors(platform_id, which, search).subquery()
    total = session.scalar(select(func.count()).select_from(actors)) or 0
    # Statements through the LRS's agent index (tenant, kind, key), then only those the actor sent.
    stats = (
        select(
            actors.c.id.label("id"),
            func.count(Statement.seq).label("statements"),
            func.min(Statement.stored).label("first_stored"),
            func.max(Statement.stored).label("last_stored"),
        )
        .select_from(actors)
        .outerjoin(
            StatementFilter,
            (StatementFilter.tenant_id == platform_id)
            & (StatementFilter.kind == AGENT)
            & (StatementFilter.value_key == actors.c.actor_key),
        )
        .outerjoin(
            Statement,
            (Statement.seq == StatementFilter.statement_seq)
            & (Statement.actor_key == actors.c.actor_key)
            & Statement.voided.is_(False),
        )
        # Grouped by the key alone: PostgreSQL cannot group by a JSON column.
        .group_by(actors.c.id)
        .subquery()
    )
    counted = (
        select(
            LearnerActor.actor_key,
            LearnerActor.actor,
            LearnerActor.user_id,
            LearnerActor.linked_at,
            stats.c.statements,
            stats.c.first_stored,
            stats.c.last_stored,
        )
        .join(stats, stats.c.id == LearnerActor.id)
        .order_by(stats.c.last_stored.desc().nulls_last(), LearnerActor.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    found = session.execute(counted).all()
    keys = [row.actor_key for row in found]
    activities = _sample_activities(session, platform_id, keys)
    names = _learner_names(session, platform_id, [row.user_id for row in found if row.user_id])
    rows = [
        ActorRow(
            actor_key=row.actor_key,
            actor=row.actor or {},
            statements=row.statements,
            first_stored=row.first_stored,
            last_stored=row.last_stored,
            learner_name=names.get(row.user_id),
            linked_at=row.linked_at,
            activities=activities.get(row.actor_key, []),
        )
        for row in found
    ]
    return ActorPage(rows=rows, total=total, page=page, per_page=per_page)


def _sample_activities(session: Session, platform_id: int, actor_keys: list[str]) -> dict[str, list[str]]:
    """Up to three activity names per actor, the ones it sent most statements about first."""
    if not actor_keys:
        return {}
    counted = session.execute(
        select(
            Statement.actor_key,
            Statement.object_activity_id,
            func.count().label("number"),
            func.max(Statement.seq).label("latest"),
        )
        .join(StatementFilter, StatementFilter.statement_seq == Statement.seq)
        .where(
            StatementFilter.tenant_id == platform_id,
            StatementFilter.kind == AGENT,
            StatementFilter.value_key.in_(actor_keys),
            Statement.actor_key.in_(actor_keys),
            Statement.object_activity_id.is_not(None),
            Statement.voided.is_(False),
        )
        .group_by(Statement.actor_key, Statement.object_activity_id)
        .order_by(Statement.actor_key, func.count().desc(), Statement.object_activity_id)
    ).all()
    chosen: dict[str, list[tuple[str, int]]] = {}
    for actor, activity_id, _number, latest in counted:
        if len(chosen.setdefault(actor, [])) < SAMPLE_ACTIVITIES:
            chosen[actor].append((activity_id, latest))
    names = _activity_names(session, platform_id, [pair for pairs in chosen.values() for pair in pairs])
    return {actor: [names.get(a) or a for a, _latest in pairs] for actor, pairs in chosen.items()}


def _activity_names(session: Session, platform_id: int, pairs: list[tuple[str, int]]) -> dict[str, str]:
    """The LRS's canonical name of each activity, else the name its latest statement gave it."""
    names: dict[str, str] = {}
    for activity_id, definition in session.execute(
        select(LRSActivity.activity_id, LRSActivity.definition).where(
            LRSActivity.tenant_id == platform_id, LRSActivity.activity_key.in_({activity_key(a) for a, _ in pairs})
        )
    ):
        name = _language_value((definition or {}).get("name"))
        if name:
            names[activity_id] = name
    missing = [latest for activity_id, latest in pairs if activity_id not in names]
    if missing:
        for activity_id, payload in session.execute(
            select(Statement.object_activity_id, Statement.payload).where(
                Statement.tenant_id == platform_id, Statement.seq.in_(missing)
            )
        ):
            definition = (json.loads(payload).get("object") or {}).get("definition") or {}
            name = _language_value(definition.get("name"))
            if name:
                names.setdefault(activity_id, name)
    return names


def _language_value(language_map: Any) -> str | None:
    if not isinstance(language_map, dict):
        return None
    for preferred in ("nl-NL", "nl", "en-GB", "en-US", "en"):
        if isinstance(language_map.get(preferred), str):
            return language_map[preferred]
    return next((v for v in language_map.values() if isinstance(v, str)), None)


def _learner_names(session: Session, platform_id: int, user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    users = session.scalars(select(User).where(User.platform_id == platform_id, User.id.in_(user_ids)))
    return {user.id: user.display_name for user in users}


def recorded_actor(session: Session, platform_id: int, actor_key: str) -> LearnerActor | None:
    """The tenant's record of one actor, or None (also for another tenant's actor)."""
    return session.scalars(
        select(LearnerActor).where(LearnerActor.platform_id == platform_id, LearnerActor.actor_key == actor_key)
    ).first()


def people_matching(session: Session, platform_id: int, search: str, limit: int = 20) -> list[User]:
    """The tenant's people whose name, e-mail or LMS id contains the search text."""
    search = search.strip()[:SEARCH_MAX]
    if not search:
        return []
    pattern = like_pattern(search)
    columns = (User.name, User.given_name, User.family_name, User.email, User.sub)
    return list(
        session.scalars(
            select(User)
            .where(User.platform_id == platform_id, or_(*(func.lower(c).like(pattern, escape="\\") for c in columns)))
            .order_by(User.family_name, User.name, User.sub)
            .limit(limit)
        )
    )


def search_hint(actor: dict[str, Any]) -> str:
    """What to search the people list for first: the actor's name, else its address or account name."""
    if isinstance(actor.get("name"), str) and actor["name"].strip():
        return actor["name"].strip()[:SEARCH_MAX]
    kind, value = actor_ifi(actor)
    if kind == "mbox":
        return value.split("@", 1)[0]
    account = actor.get("account")
    if isinstance(account, dict) and isinstance(account.get("name"), str):
        return account["name"][:SEARCH_MAX]
    return ""
