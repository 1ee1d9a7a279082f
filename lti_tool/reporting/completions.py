"""One row per learner × placed module unit, aggregated by the database (never in Python loops).

A course's modules are the modules placed in it through deep linking (and any module link
launched in it), whether or not anyone opened them yet; its learners are the memberships with
the Learner role (from launches and from the names and roles service, so learners who never
opened anything are listed as not started).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import String, and_, case, cast, func, null, or_, select, union_all
from sqlalchemy.orm import Session

from lti_tool.lti.ags import score_ordering_key
from lti_tool.lti.deep_linking import PlacedItem
from lti_tool.lti.models import Platform
from lti_tool.modules.models import ModulePackage, ModuleRegistration, ModuleUnit
from lti_tool.modules.offers import KIND_MODULE, MODULE_PARAM
from lti_tool.outbox.models import OutboxMessage
from lti_tool.people.models import Context, Membership, ResourceLink, User
from lti_tool.portfolio.models import SOURCE_XAPI, Evidence, Portfolio
from lti_tool.search import like_pattern

STATUSES = ("not_started", "in_progress", "completed", "passed", "failed")
DONE_STATUSES = ("completed", "passed", "failed")
LEARNER_ROLE = "membership#Learner"
# The view shows the whole course a page of learners at a time (every module on each page);
# the CSV export and `report completions` give every row at once.
LEARNERS_PER_PAGE = 50


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


def _placed_units(platform_id: int, context_id: int | None = None, activity_id: str | None = None):
    """(context, unit) for every module placed in a course of the platform.

    A module is in a course as soon as it is placed through deep linking (PlacedItem), before
    anyone opens it; links seen at launch count too (a course copied in the LMS keeps its links'
    custom parameters but has no placed item of its own). The line item comes from the launches.
    """
    module_param = ResourceLink.custom[MODULE_PARAM].as_string()
    launched = select(
        ResourceLink.context_id.label("context_id"),
        module_param.label("package_ref"),
        ResourceLink.lineitem_url.label("lineitem_url"),
    ).where(
        ResourceLink.platform_id == platform_id,
        ResourceLink.kind == KIND_MODULE,
        ResourceLink.context_id.is_not(None),
    )
    placed = select(
        PlacedItem.context_id.label("context_id"),
        PlacedItem.custom[MODULE_PARAM].as_string().label("package_ref"),
        null().label("lineitem_url"),
    ).where(
        PlacedItem.platform_id == platform_id,
        PlacedItem.kind == KIND_MODULE,
        PlacedItem.context_id.is_not(None),
    )
    if context_id is not None:
        launched = launched.where(ResourceLink.context_id == context_id)
        placed = placed.where(PlacedItem.context_id == context_id)
    links = union_all(launched, placed).subquery()
    query = (
        select(
            links.c.context_id,
            ModuleUnit.package_id.label("package_id"),
            ModuleUnit.lms_activity_id.label("activity_id"),
            ModuleUnit.title.label("title"),
            ModuleUnit.position.label("position"),
            # One column per unit even when it is placed twice; any launched link's line item.
            func.max(links.c.lineitem_url).label("lineitem_url"),
        )
        .join(ModulePackage, cast(ModulePackage.id, String) == links.c.package_ref)
        .join(ModuleUnit, ModuleUnit.package_id == ModulePackage.id)
        .where(ModulePackage.platform_id == platform_id)
        .group_by(links.c.context_id, ModuleUnit.package_id, ModuleUnit.lms_activity_id, ModuleUnit.title, ModuleUnit.position)
    )
    if activity_id is not None:
        query = query.where(ModuleUnit.lms_activity_id == activity_id)
    return query.subquery()


def _learner_memberships(platform_id: int, context_id: int | None):
    """The active Learner memberships of the platform's courses (from launches and NRPS)."""
    query = (
        select(Membership.user_id, Membership.context_id)
        .join(User, User.id == Membership.user_id)
        .join(Context, Context.id == Membership.context_id)
        .where(
            Context.platform_id == platform_id,
            User.platform_id == platform_id,
            Membership.status == "Active",
            # Roles are a JSON list of normalised URIs; this test reads the same on SQLite and PostgreSQL.
            cast(Membership.roles, String).like(f"%{LEARNER_ROLE}%"),
        )
    )
    if context_id is not None:
        query = query.where(Membership.context_id == context_id)
    return query


def _cells(platform_id: int, context_id: int | None, user_ids: list[int] | None = None, activity_id: str | None = None):
    """Learner x placed unit with its status, as a subquery (user_id, context_id, unit columns, status, ...)."""
    placed = _placed_units(platform_id, context_id, activity_id)
    learners = _learner_memberships(platform_id, context_id)
    if user_ids is not None:
        learners = learners.where(Membership.user_id.in_(user_ids))
    learners = learners.subquery()
    outcome_status = Evidence.outcome_status
    status_column = case(
        (outcome_status.in_(("completed", "passed", "failed")), outcome_status),
        (ModuleRegistration.id.is_not(None), "in_progress"),
        (Evidence.id.is_not(None), "in_progress"),
        else_="not_started",
    )
    return (
        select(
            learners.c.user_id,
            learners.c.context_id,
            placed.c.package_id,
            placed.c.activity_id,
            placed.c.title,
            placed.c.position,
            placed.c.lineitem_url,
            status_column.label("status"),
            Evidence.outcome["score_scaled"].as_float().label("score_scaled"),
            Evidence.outcome["achieved_at"].as_string().label("achieved_at"),
        )
        .select_from(learners)
        .join(placed, placed.c.context_id == learners.c.context_id)
        .outerjoin(Portfolio, Portfolio.owner_id == learners.c.user_id)
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
            and_(ModuleRegistration.user_id == learners.c.user_id, ModuleRegistration.package_id == placed.c.package_id),
        )
        .subquery()
    )


def completion_query(
    platform_id: int,
    *,
    context_id: int | None = None,
    status: str | None = None,
    activity_id: str | None = None,
    user_ids: list[int] | None = None,
):
    """Rows of learner x placed module unit, ordered by course, learner and module position."""
    cells = _cells(platform_id, context_id, user_ids, activity_id)
    query = (
        select(
            Platform.issuer,
            Context.context_id,
            Context.title.label("course_title"),
            User.id.label("user_id"),
            User.sub,
            User.name,
            User.given_name,
            User.family_name,
            cells.c.activity_id,
            cells.c.title,
            cells.c.status,
            cells.c.score_scaled,
            cells.c.achieved_at,
            cells.c.lineitem_url,
        )
        .select_from(cells)
        .join(User, User.id == cells.c.user_id)
        .join(Context, Context.id == cells.c.context_id)
        .join(Platform, Platform.id == Context.platform_id)
        .order_by(Context.context_id, User.family_name, User.name, User.sub, cells.c.position, cells.c.activity_id)
    )
    if status is not None:
        query = query.where(cells.c.status == status)
    if activity_id is not None:
        query = query.where(cells.c.activity_id == activity_id)
    return query


def _row(row) -> CompletionRow:
    name = row.name or " ".join(p for p in (row.given_name, row.family_name) if p)
    done = row.status in ("completed", "passed", "failed")
    return CompletionRow(
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


ROWS_PER_FETCH = 1000


def completion_rows(
    session: Session,
    platform_id: int,
    *,
    context_id: int | None = None,
    status: str | None = None,
    activity_id: str | None = None,
    user_ids: list[int] | None = None,
) -> Iterator[CompletionRow]:
    query = completion_query(platform_id, context_id=context_id, status=status, activity_id=activity_id, user_ids=user_ids)
    # In batches from the database (a server-side cursor on PostgreSQL), not the whole result at once.
    for row in session.execute(query.execution_options(yield_per=ROWS_PER_FETCH)):
        yield _row(row)


def placed_modules(session: Session, platform_id: int, context_id: int) -> list[tuple[str, str]]:
    """(activity id, title) of every module unit placed in the course, in course order."""
    placed = _placed_units(platform_id, context_id)
    return [
        (row.activity_id, row.title)
        for row in session.execute(
            select(placed.c.activity_id, placed.c.title)
            .where(placed.c.context_id == context_id)
            .order_by(placed.c.title, placed.c.package_id, placed.c.position, placed.c.activity_id)
        )
    ]


@dataclass(frozen=True)
class LearnerPage:
    """One page of a course's learners (ids in display order) and how many match in all."""

    user_ids: list[int]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def learner_page(
    session: Session,
    platform_id: int,
    context_id: int,
    *,
    search: str | None = None,
    status: str | None = None,
    activity_id: str | None = None,
    page: int = 1,
    per_page: int = LEARNERS_PER_PAGE,
) -> LearnerPage:
    """The course's learners that match the filters, one page of them, ordered by name.

    With a status (and optionally a module) only learners with a module in that status match."""
    learners = _learner_memberships(platform_id, context_id)
    if search:
        pattern = like_pattern(search)
        learners = learners.where(
            or_(*(func.lower(c).like(pattern, escape="\\") for c in (User.name, User.given_name, User.family_name, User.email, User.sub)))
        )
    if status in DONE_STATUSES and activity_id is None:
        # Any module: read the learners' evidence once instead of every learner x module cell.
        learners = learners.where(Membership.user_id.in_(_learners_with_outcome(platform_id, context_id, status)))
    elif status is not None or activity_id is not None:
        cells = _cells(platform_id, context_id, activity_id=activity_id)
        matching = select(cells.c.user_id)
        if status is not None:
            matching = matching.where(cells.c.status == status)
        learners = learners.where(Membership.user_id.in_(matching))
    # One query for the count and the page: the filters are the expensive part, evaluated once.
    # A course's learner ids (a few thousand integers) are cheap to hold.
    learners = learners.subquery()
    ids = session.scalars(
        select(User.id).join(learners, learners.c.user_id == User.id).order_by(User.family_name, User.name, User.sub, User.id)
    ).all()
    total = len(ids)
    ids = ids[(page - 1) * per_page : page * per_page]
    return LearnerPage(user_ids=list(ids), total=total, page=page, per_page=per_page)


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


def _learners_with_outcome(platform_id: int, context_id: int, status: str):
    placed = _placed_units(platform_id, context_id)
    return (
        select(Portfolio.owner_id)
        .join(Evidence, Evidence.portfolio_id == Portfolio.id)
        .join(placed, placed.c.activity_id == Evidence.activity_id)
        .where(
            Evidence.platform_id == platform_id,
            Evidence.source == SOURCE_XAPI,
            Evidence.deleted_at.is_(None),
            Evidence.outcome_status == status,
        )
    )


def status_counts(session: Session, platform_id: int, *, context_id: int) -> dict[str, dict[str, int]]:
    """Per module activity: how many of the course's learners are in each status (counted by the database).

    Counted from the learners' evidence and registrations rather than from every learner x
    module cell: a course of 5,000 learners and 40 modules has 200,000 cells but the database
    only reads the rows that exist. Everyone else has not started.
    """
    placed = _placed_units(platform_id, context_id).alias("placed")
    units = session.execute(select(placed.c.activity_id, placed.c.package_id)).all()
    if not units:
        return {}
    learners = _learner_memberships(platform_id, context_id).subquery()
    total = session.scalar(select(func.count()).select_from(learners)) or 0
    registered = (
        select(ModuleRegistration.id)
        .where(ModuleRegistration.user_id == learners.c.user_id, ModuleRegistration.package_id == placed.c.package_id)
        .exists()
    )
    outcome_status = Evidence.outcome_status
    # Each evidence row's status and registration once, then counted (PostgreSQL cannot group by EXISTS).
    per_row = (
        select(
            Evidence.activity_id.label("activity_id"),
            outcome_status.label("status"),
            case((registered, 1), else_=0).label("registered"),
        )
        .select_from(learners)
        .join(Portfolio, Portfolio.owner_id == learners.c.user_id)
        .join(Evidence, Evidence.portfolio_id == Portfolio.id)
        .join(placed, placed.c.activity_id == Evidence.activity_id)
        .where(Evidence.source == SOURCE_XAPI, Evidence.deleted_at.is_(None), Evidence.platform_id == platform_id)
        .subquery()
    )
    with_evidence = session.execute(
        select(per_row.c.activity_id, per_row.c.status, per_row.c.registered, func.count()).group_by(
            per_row.c.activity_id, per_row.c.status, per_row.c.registered
        )
    ).all()
    registrations = dict(
        session.execute(
            select(ModuleRegistration.package_id, func.count())
            .join(learners, learners.c.user_id == ModuleRegistration.user_id)
            .where(ModuleRegistration.package_id.in_({package_id for _a, package_id in units}))
            .group_by(ModuleRegistration.package_id)
        ).all()
    )
    counts: dict[str, dict[str, int]] = {}
    for activity_id, package_id in units:
        counts[activity_id] = dict.fromkeys(STATUSES, 0)
        counts[activity_id]["started"] = registrations.get(package_id, 0)
    for activity_id, status, is_registered, number in with_evidence:
        cell = counts[activity_id]
        if status in DONE_STATUSES:
            cell[status] += number
        if not is_registered:
            cell["started"] += number  # evidence from statements, but never launched here
    for cell in counts.values():
        started = cell.pop("started")
        cell["in_progress"] = started - sum(cell[s] for s in DONE_STATUSES)
        cell["not_started"] = total - started
    return counts
