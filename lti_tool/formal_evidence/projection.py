"""Project statements onto formal evidence: one Evidence row per learner × activity with an outcome."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.formal_evidence.grades import queue_grade_if_changed
from lti_tool.formal_evidence.learners import learner_for, learners_for
from lti_tool.formal_evidence.models import LearnerActor
from lti_tool.formal_evidence.outcome import OUTCOME_VERBS, Outcome, StatementFact, summarise
from lti_tool.lti.models import Platform
from lti_tool.modules.models import ModulePackage, ModuleRegistration, ModuleUnit
from lti_tool.people.models import ResourceLink, User
from lti_tool.portfolio.models import FORMAL, SOURCE_XAPI, Evidence, Portfolio
from lti_tool.portfolio.ownership import portfolio_of
from xapi.models import Activity as LRSActivity
from xapi.models import Statement, StatementFilter
from xapi.statement_index import AGENT

log = logging.getLogger(__name__)

Pair = tuple[str, str]  # (actor_key, activity_id)


def projection_key(user: User, activity_id: str) -> str:
    digest = hashlib.sha256(activity_id.encode("utf-8")).hexdigest()[:40]
    return f"xapi:{user.id}:{digest}"


@dataclass
class Affected:
    """What some statements say about one (actor, activity) pair."""

    actor: dict[str, Any]  # as sent
    outcome: bool = False  # one of them is an outcome statement (or voided one)


def _affected_pairs(session: Session, tenant_id: int, statement_ids: Iterable[str]) -> dict[Pair, Affected]:
    """The (actor, activity) pairs the statements are about."""
    ids = sorted({i.lower() for i in statement_ids})
    pairs: dict[Pair, Affected] = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        if len(chunk) == 1:
            rows = session.execute(_PAIR_OF_ONE, {"tenant": tenant_id, "id": chunk[0]})
        else:
            rows = session.execute(_PAIRS_OF_MANY, {"tenant": tenant_id, "ids": chunk})
        for actor_key, activity_id, payload in rows:
            statement = json.loads(payload)
            affected = pairs.setdefault((actor_key, activity_id), Affected(statement["actor"]))
            affected.outcome = affected.outcome or _is_outcome(statement)
    return pairs


def _pairs_of(match):
    statements = Statement.__table__
    return select(statements.c.actor_key, statements.c.object_activity_id, statements.c.payload).where(
        statements.c.tenant_id == bindparam("tenant"),
        match(statements.c.statement_id),
        statements.c.actor_key.is_not(None),
        statements.c.object_activity_id.is_not(None),
    )


# Built once: this runs after every stored statement, and building a select (with an expanding
# IN) costs more CPU than SQLite takes to answer it.
_PAIR_OF_ONE = _pairs_of(lambda column: column == bindparam("id"))
_PAIRS_OF_MANY = _pairs_of(lambda column: column.in_(bindparam("ids", expanding=True)))


def _facts(payloads: list[dict[str, Any]], stored_rows) -> list[StatementFact]:
    return [
        StatementFact(verb_id=row.verb_id, when=row.timestamp, result=payload.get("result") or {})
        for row, payload in zip(stored_rows, payloads)
    ]


def _is_outcome(payload: dict[str, Any]) -> bool:
    result = payload.get("result") or {}
    verb = (payload.get("verb") or {}).get("id")
    return verb in OUTCOME_VERBS or (
        isinstance(result, dict) and (result.get("completion") is True or "success" in result or "score" in result)
    )


def _language_value(language_map: Any) -> str | None:
    if not isinstance(language_map, dict) or not language_map:
        return None
    for preferred in ("nl-NL", "nl", "en-GB", "en-US", "en"):
        if isinstance(language_map.get(preferred), str):
            return language_map[preferred]
    return next((v for v in language_map.values() if isinstance(v, str)), None)


def _title(session: Session, tenant_id: int, activity_id: str, latest: dict[str, Any]) -> tuple[str, ModuleUnit | None]:
    # Statements name a unit by the id the LMS gave it (for a cmi5 AU a generated one, cmi5 8.1).
    unit = session.scalars(
        select(ModuleUnit)
        .join(ModulePackage, ModulePackage.id == ModuleUnit.package_id)
        .where(ModulePackage.platform_id == tenant_id, ModuleUnit.lms_activity_id == activity_id)
    ).first()
    if unit is not None:
        return unit.title, unit
    package = _course_package(session, tenant_id, activity_id)
    if package is not None:
        return package.title, None
    canonical = session.scalars(
        select(LRSActivity.definition).where(LRSActivity.tenant_id == tenant_id, LRSActivity.activity_id == activity_id)
    ).first()
    name = _language_value((canonical or {}).get("name")) or _language_value(
        ((latest.get("object") or {}).get("definition") or {}).get("name")
    )
    return (name or activity_id)[:300], None


def _course_package(session: Session, tenant_id: int, activity_id: str) -> ModulePackage | None:
    """The package a course-level activity id names: a cmi5 course's generated id or the publisher's."""
    return session.scalars(
        select(ModulePackage).where(
            ModulePackage.platform_id == tenant_id,
            (ModulePackage.lms_course_id == activity_id) | (ModulePackage.course_activity_id == activity_id),
        )
    ).first()


def _standing_statements(session: Session, tenant_id: int, actor_keys: list[str], activity_id: str) -> list[Statement]:
    # Through the LRS's agent index: a learner has far fewer statements than an activity has.
    return session.scalars(
        select(Statement)
        .join(StatementFilter, StatementFilter.statement_seq == Statement.seq)
        .where(
            StatementFilter.tenant_id == tenant_id,
            StatementFilter.kind == AGENT,
            StatementFilter.value_key.in_(actor_keys),
            Statement.actor_key.in_(actor_keys),
            Statement.object_activity_id == activity_id,
            Statement.voided.is_(False),
            Statement.voiding.is_(False),
        )
        .order_by(Statement.seq)
    ).all()


def project_pair(
    session: Session, platform: Platform, actor_key: str, activity_id: str, actor: dict[str, Any], *, send_grades: bool = True
) -> Evidence | None:
    """Recompute a learner's evidence for one activity from every statement still standing.

    A learner may appear as several actors (the account we issued, an e-mail address another
    system used); the evidence draws on the statements of all of them.
    """
    learner = learner_for(session, platform, actor_key, actor)
    if learner is None:
        return None
    return project_learner_pair(session, platform, learner, actor_key, activity_id, send_grades=send_grades)


def project_learner_pair(
    session: Session, platform: Platform, learner: User, actor_key: str, activity_id: str, *, send_grades: bool
) -> Evidence | None:
    """project_pair once the learner behind the actor is known."""
    actor_keys = session.scalars(
        select(LearnerActor.actor_key).where(LearnerActor.platform_id == platform.id, LearnerActor.user_id == learner.id)
    ).all()
    rows = _standing_statements(session, platform.id, sorted(set(actor_keys) | {actor_key}), activity_id)
    payloads = [json.loads(row.payload) for row in rows]
    key = projection_key(learner, activity_id)
    existing = session.scalars(select(Evidence).where(Evidence.projection_key == key)).first()
    if not any(_is_outcome(p) for p in payloads):
        if existing is not None:
            session.delete(existing)
        return None
    outcome = summarise(_facts(payloads, rows))
    title, unit = _title(session, platform.id, activity_id, payloads[-1])
    before = dict(existing.outcome or {}) if existing is not None else None
    course = _course_package(session, platform.id, activity_id) if unit is None else None
    context_id = _course_of(session, learner, unit.package_id if unit else course.id if course else None)
    if existing is not None:
        _fill(existing, outcome, title, unit, context_id, course)
        evidence = existing
    else:
        evidence = _add_evidence(
            session, learner, key, activity_id, lambda item: _fill(item, outcome, title, unit, context_id, course)
        )
    if send_grades:
        queue_grade_if_changed(session, learner, evidence, before)
    return evidence


def _add_evidence(session: Session, learner: User, key: str, activity_id: str, fill) -> Evidence:
    portfolio = portfolio_of(session, learner)
    evidence = Evidence(
        portfolio_id=portfolio.id,
        platform_id=learner.platform_id,
        kind=FORMAL,
        type="module",
        source=SOURCE_XAPI,
        activity_id=activity_id,
        projection_key=key,
    )
    fill(evidence)
    try:
        with session.begin_nested():
            session.add(evidence)
    except IntegrityError:
        # A concurrent projection created it first: bring that row up to date instead.
        evidence = session.scalars(select(Evidence).where(Evidence.projection_key == key)).one()
        fill(evidence)
    return evidence


def _course_of(session: Session, learner: User, package_id: int | None) -> int | None:
    """The course the learner opened the module from, so the evidence shows up in that course."""
    if package_id is None:
        return None
    return session.scalar(
        select(ResourceLink.context_id)
        .join(ModuleRegistration, ModuleRegistration.resource_link_id == ResourceLink.id)
        .where(ModuleRegistration.user_id == learner.id, ModuleRegistration.package_id == package_id)
    )


def _fill(
    evidence: Evidence,
    outcome: Outcome,
    title: str,
    unit: ModuleUnit | None,
    context_id: int | None,
    course: ModulePackage | None = None,
) -> None:
    evidence.title = title
    if context_id is not None:
        evidence.context_id = context_id
    evidence.outcome = {
        **outcome.as_json(),
        "module_unit_id": unit.id if unit else None,
        # A whole cmi5 course (its Satisfied statement): graded on the course link's line item.
        "module_package_id": course.id if course else None,
    }
    evidence.outcome_status = evidence.outcome.get("status")
    evidence.occurred_on = outcome.achieved_at.date()


def project_statements(session: Session, tenant_id: int, statement_ids: Iterable[str], voided_ids: Iterable[str] = ()) -> int:
    """Project what newly stored (and newly voided) statements change; returns the pairs projected."""
    platform = session.get(Platform, tenant_id)
    if platform is None:
        log.warning("statements stored for unknown tenant %s; no evidence projected", tenant_id)
        return 0
    pairs = _affected_pairs(session, tenant_id, [*statement_ids, *voided_ids])
    # Who each actor is, once per actor and in one query, however many activities it touched.
    actors = {actor_key: affected.actor for (actor_key, _), affected in pairs.items()}
    learners, rematched = learners_for(session, platform, actors)
    matched = [(pair, affected, learners[pair[0]]) for pair, affected in sorted(pairs.items()) if learners[pair[0]] is not None]
    # Evidence exists exactly when a standing statement is an outcome. Without a new (or voided)
    # outcome statement a pair without evidence stays without: no need to read its statements.
    # With evidence, any statement may change it (a Terminated's duration is time spent). An
    # actor that has just been matched brings its earlier statements along: always recomputed.
    def must_project(actor_key: str, affected: Affected) -> bool:
        return affected.outcome or actor_key in rematched

    quiet = [
        projection_key(learner, activity_id)
        for (actor_key, activity_id), affected, learner in matched
        if not must_project(actor_key, affected)
    ]
    held = _keys_with_evidence(session, quiet)
    for (actor_key, activity_id), affected, learner in matched:
        if must_project(actor_key, affected) or projection_key(learner, activity_id) in held:
            project_learner_pair(session, platform, learner, actor_key, activity_id, send_grades=True)
    return len(pairs)


def _keys_with_evidence(session: Session, keys: list[str]) -> set[str]:
    held: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        held.update(session.scalars(select(Evidence.projection_key).where(Evidence.projection_key.in_(chunk))))
    return held


def rebuild(session: Session, tenant_id: int) -> int:
    """Recreate a tenant's formal evidence from the statement log; the result equals live projection.

    Grades are not sent again: the gradebook already has what live projection sent."""
    session.execute(delete(Evidence).where(Evidence.platform_id == tenant_id, Evidence.source == SOURCE_XAPI))
    platform = session.get(Platform, tenant_id)
    # One statement per pair is enough to know the actor; the pair is then recomputed in full.
    latest = (
        select(func.max(Statement.seq))
        .where(
            Statement.tenant_id == tenant_id,
            Statement.actor_key.is_not(None),
            Statement.object_activity_id.is_not(None),
            Statement.voided.is_(False),
            Statement.voiding.is_(False),
        )
        .group_by(Statement.actor_key, Statement.object_activity_id)
    )
    rows = session.execute(
        select(Statement.actor_key, Statement.object_activity_id, Statement.payload).where(Statement.seq.in_(latest))
    ).all()
    for actor_key, activity_id, payload in sorted(rows, key=lambda row: (row[0], row[1])):
        project_pair(session, platform, actor_key, activity_id, json.loads(payload)["actor"], send_grades=False)
    return len(rows)


def statements_behind(session: Session, evidence: Evidence, limit: int = 200) -> list[dict[str, Any]]:
    """The standing statements a formal evidence item was computed from, newest first."""
    portfolio = session.get(Portfolio, evidence.portfolio_id)
    actor_keys = session.scalars(
        select(LearnerActor.actor_key).where(
            LearnerActor.platform_id == evidence.platform_id, LearnerActor.user_id == portfolio.owner_id
        )
    ).all()
    if not actor_keys or not evidence.activity_id:
        return []
    rows = _standing_statements(session, evidence.platform_id, sorted(actor_keys), evidence.activity_id)
    return [json.loads(row.payload) for row in reversed(rows[-limit:])]
