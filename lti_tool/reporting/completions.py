"""One row per learner × placed module unit, aggregated by the database (never in Python loops).

A course's modules are the module links placed in it; its learners are the memberships with
the Learner role (from launches and from the names and roles service, so learners who never
opened anything are listed as not started).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import String, and_, case, cast, func, select
from sqlalchemy.orm import Session

from lti_tool.lti.ags import score_ordering_key
from lti_tool.lti.models import Platform
from lti_tool.modules.models import ModulePackage, ModuleRegistration, ModuleUnit
from lti_tool.modules.offers import KIND_MODULE, MODULE_PARAM
from lti_tool.outbox.models import OutboxMessage
from lti_tool.people.models import Context, Membership, ResourceLink, User
from lti_tool.portfolio.models import SOURCE_XAPI, Evidence, Portfolio

STATUSES = ("not_started", "in_progress", "completed", "passed", "failed")
LEARNER_ROLE = "membership#Learner"


@dataclass(frozen=True)
class CompletionRow:
    platform_issuer: str
    course_id: str
    course_title: str
    learner_sub: str
    learner_name: str
    activity_id: str
    module_title: str
    status: str
    score_scaled: float | None
    completed_at: str | None
    # The course link's gradebook column, if it has one (where the grade is sent).
    line_item_url: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "platform_issuer": self.platform_issuer,
            "learner_sub": self.learner_sub,
            "learner_name": self.learner_name,
            "course_id": self.course_id,
            "activity_id": self.activity_id,
            "module_title": self.module_title,
            "status": self.status,
            "score_scaled": self.score_scaled,
            "completed_at": self.completed_at,
        }


def _placed_units(platform_id: int):
    """(context, unit) for every module link placed in a course of the platform."""
    return (
        select(
            ResourceLink.context_id.label("context_id"),
            ModuleUnit.package_id.label("package_id"),
            ModuleUnit.lms_activity_id.label("activity_id"),
            ModuleUnit.title.label("title"),
            ModuleUnit.position.label("position"),
            ResourceLink.lineitem_url.label("lineitem_url"),
        )
        .join(ModulePackage, cast(ModulePackage.id, String) == ResourceLink.custom[MODULE_PARAM].as_string())
        .join(ModuleUnit, ModuleUnit.package_id == ModulePackage.id)
        .where(
            ResourceLink.platform_id == platform_id,
            ResourceLink.kind == KIND_MODULE,
            ResourceLink.context_id.is_not(None),
            ModulePackage.platform_id == platform_id,
        )
        .distinct()
        .subquery()
    )


def completion_query(platform_id: int, *, context_id: int | None = None, status: str | None = None):
    placed = _placed_units(platform_id)
    outcome_status = Evidence.outcome["status"].as_string()
    status_column = case(
        (outcome_status.in_(("completed", "passed", "failed")), outcome_status),
        (ModuleRegistration.id.is_not(None), "in_progress"),
        (Evidence.id.is_not(None), "in_progress"),
        else_="not_started",
    ).label("status")
    query = (
        select(
            Platform.issuer,
            Context.context_id,
            Context.title.label("course_title"),
            User.sub,
            User.name,
            User.given_name,
            User.family_name,
            placed.c.activity_id,
            placed.c.title,
            status_column,
            Evidence.outcome["score_scaled"].as_float().label("score_scaled"),
            Evidence.outcome["achieved_at"].as_string().label("achieved_at"),
            placed.c.lineitem_url,
        )
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .join(Context, Context.id == Membership.context_id)
        .join(Platform, Platform.id == Context.platform_id)
        .join(placed, placed.c.context_id == Membership.context_id)
        .outerjoin(Portfolio, Portfolio.owner_id == User.id)
        .outerjoin(
            Evidence,
            and_(
                Evidence.portfolio_id == Portfolio.id,
                Evidence.source == SOURCE_XAPI,
                Evidence.activity_id == placed.c.activity_id,
                Evidence.deleted_at.is_(None),
            ),
        )
        .outerjoin(
            ModuleRegistration,
            and_(ModuleRegistration.user_id == User.id, ModuleRegistration.package_id == placed.c.package_id),
        )
        .where(
            Context.platform_id == platform_id,
            User.platform_id == platform_id,
            Membership.status == "Active",
            # Roles are a JSON list of normalised URIs; this test reads the same on SQLite and PostgreSQL.
            cast(Membership.roles, String).like(f"%{LEARNER_ROLE}%"),
        )
        .order_by(Context.context_id, User.family_name, User.name, User.sub, placed.c.position, placed.c.activity_id)
    )
    if context_id is not None:
        query = query.where(Context.id == context_id)
    if status is not None:
        query = query.where(status_column == status)
    return query


def completion_rows(session: Session, platform_id: int, *, context_id: int | None = None, status: str | None = None) -> Iterator[CompletionRow]:
    for row in session.execute(completion_query(platform_id, context_id=context_id, status=status)):
        name = row.name or " ".join(p for p in (row.given_name, row.family_name) if p)
        done = row.status in ("completed", "passed", "failed")
        yield CompletionRow(
            platform_issuer=row.issuer,
            course_id=row.context_id,
            course_title=row.course_title or "",
            learner_sub=row.sub,
            learner_name=name,
            activity_id=row.activity_id,
            module_title=row.title,
            status=row.status,
            score_scaled=row.score_scaled,
            completed_at=row.achieved_at if done else None,
            line_item_url=row.lineitem_url,
        )


def grade_sync_states(session: Session, platform_id: int, rows: list[CompletionRow]) -> dict[tuple[str, str], str]:
    """(learner sub, activity id) → state of the latest grade sent for it: pending, delivered or failed.

    One query for the whole table: the outbox's ordering key names platform, line item and learner.
    """
    keys = {
        score_ordering_key(platform_id, row.line_item_url, row.learner_sub): (row.learner_sub, row.activity_id)
        for row in rows
        if row.line_item_url and row.status in ("completed", "passed", "failed")
    }
    states: dict[tuple[str, str], str] = {}
    if not keys:
        return states
    latest = (
        select(func.max(OutboxMessage.id))
        .where(OutboxMessage.platform_id == platform_id, OutboxMessage.ordering_key.in_(list(keys)))
        .group_by(OutboxMessage.ordering_key)
    )
    for ordering_key, status in session.execute(
        select(OutboxMessage.ordering_key, OutboxMessage.status).where(OutboxMessage.id.in_(latest))
    ):
        states[keys[ordering_key]] = status
    return states


def status_counts(session: Session, platform_id: int, *, context_id: int) -> dict[str, dict[str, int]]:
    """Per module activity: how many learners are in each status (counted by the database)."""
    rows = completion_query(platform_id, context_id=context_id).order_by(None).subquery()
    counted = session.execute(
        select(rows.c.activity_id, rows.c.status, func.count()).group_by(rows.c.activity_id, rows.c.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for activity_id, status, number in counted:
        counts.setdefault(activity_id, dict.fromkeys(STATUSES, 0))[status] = number
    return counts
