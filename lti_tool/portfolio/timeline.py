"""One timeline of evidence (formal and informal) and reflections, newest first.

The page is chosen by one UNION query over both tables (filters and search applied in SQL,
LIMIT/OFFSET on the union), then the rows of that page are loaded with what their cards show of
files and tags, and their courses, in a handful of IN queries: the number of queries does not
grow with the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Integer, and_, bindparam, case, exists, false, func, literal, or_, select, type_coerce, union, union_all
from sqlalchemy.orm import Session, defer

from lti_tool.competencies.models import Competency, CompetencyFramework, EvidenceCompetency
from lti_tool.people.models import Context
from lti_tool.portfolio.models import FORMAL, INFORMAL, Evidence, EvidenceFile, EvidenceTag, Reflection
from lti_tool.search import like_pattern

PAGE_SIZE = 25
REFLECTION = "reflection"
KINDS = (FORMAL, INFORMAL, REFLECTION)
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class TimelineFilter:
    """What the learner narrowed the timeline to; None means "any"."""

    course_id: int | None = None
    kind: str | None = None
    type: str | None = None
    tag: str | None = None
    competency_id: int | None = None
    query: str | None = None
    page: int = 1

    @property
    def is_active(self) -> bool:
        return any(v for v in (self.course_id, self.kind, self.type, self.tag, self.competency_id, self.query))

    def as_args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for a link to this view with some values changed."""
        values = {
            "course": self.course_id, "kind": self.kind, "type": self.type, "tag": self.tag,
            "competency": self.competency_id, "q": self.query, "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}


@dataclass
class Entry:
    """One line of the timeline: an evidence item or a reflection."""

    kind: str
    day: date
    evidence: Evidence | None = None
    reflection: Reflection | None = None
    course: Context | None = None
    # What an evidence card shows of its files and tags (read as plain rows, see _card_details).
    file_count: int = 0
    thumbnail_file_id: int | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class TimelinePage:
    entries: list[Entry]
    page: int
    has_next: bool
    filters: TimelineFilter = field(default_factory=TimelineFilter)


@dataclass(frozen=True)
class _Shape:
    """Which filters are set: the page query differs by these, not by their values."""

    course: bool
    kind: str | None
    type: bool
    tag: bool
    competency: bool
    query: bool

    @classmethod
    def of(cls, filters: TimelineFilter) -> "_Shape":
        return cls(
            filters.course_id is not None, filters.kind, bool(filters.type), bool(filters.tag),
            filters.competency_id is not None, bool(filters.query),
        )


def _evidence_rows(shape: _Shape):
    conditions = [Evidence.portfolio_id == bindparam("portfolio_id"), Evidence.deleted_at.is_(None)]
    if shape.course:
        conditions.append(Evidence.context_id == bindparam("course_id"))
    if shape.kind in (FORMAL, INFORMAL):
        conditions.append(Evidence.kind == shape.kind)
    elif shape.kind == REFLECTION:
        conditions.append(false())
    if shape.type:
        conditions.append(Evidence.type == bindparam("type"))
    if shape.tag:
        conditions.append(
            exists().where(EvidenceTag.evidence_id == Evidence.id, func.lower(EvidenceTag.tag) == bindparam("tag"))
        )
    if shape.competency:
        conditions.append(
            exists().where(
                EvidenceCompetency.evidence_id == Evidence.id,
                EvidenceCompetency.competency_id == bindparam("competency_id"),
            )
        )
    if shape.query:
        pattern = bindparam("pattern")
        conditions.append(
            or_(
                func.lower(Evidence.title).like(pattern, escape="\\"),
                func.lower(Evidence.search_text).like(pattern, escape="\\"),
                func.lower(func.coalesce(Evidence.issuer, "")).like(pattern, escape="\\"),
                exists().where(EvidenceTag.evidence_id == Evidence.id, func.lower(EvidenceTag.tag).like(pattern, escape="\\")),
            )
        )
    return select(
        literal("evidence").label("entry_kind"),
        Evidence.id.label("id"),
        Evidence.occurred_on.label("day"),
        Evidence.created_at.label("created"),
    ).where(and_(*conditions))


def _reflection_rows(shape: _Shape):
    conditions = [Reflection.portfolio_id == bindparam("portfolio_id"), Reflection.deleted_at.is_(None)]
    # Filters that only evidence has leave reflections out.
    if shape.kind in (FORMAL, INFORMAL) or shape.type or shape.tag or shape.competency:
        conditions.append(false())
    if shape.course:
        conditions.append(Reflection.context_id == bindparam("course_id"))
    if shape.query:
        pattern = bindparam("pattern")
        conditions.append(
            or_(
                func.lower(Reflection.title).like(pattern, escape="\\"),
                func.lower(Reflection.search_text).like(pattern, escape="\\"),
            )
        )
    return select(
        literal(REFLECTION).label("entry_kind"),
        Reflection.id.label("id"),
        type_coerce(func.date(Reflection.created_at), Date).label("day"),
        Reflection.created_at.label("created"),
    ).where(and_(*conditions))


@lru_cache(maxsize=128)
def _page_query(shape: _Shape):
    """The page query for one combination of filters, built once with its values left as
    parameters: building a statement of this size cost more CPU than SQLite took to run it."""
    # Each side contributes at most the rows that can reach this page, read in index order
    # (ix_evidence_timeline), so the union sorts a page's worth instead of the whole portfolio.
    window = bindparam("window", type_=Integer)
    evidence_side = (
        _evidence_rows(shape)
        .order_by(Evidence.occurred_on.desc(), Evidence.created_at.desc(), Evidence.id.desc())
        .limit(window)
        .subquery()
    )
    reflection_side = (
        _reflection_rows(shape)
        .order_by(Reflection.created_at.desc(), Reflection.id.desc())
        .limit(window)
        .subquery()
    )
    both = union_all(select(evidence_side), select(reflection_side)).subquery()
    return (
        select(both.c.entry_kind, both.c.id, both.c.day)
        .order_by(both.c.day.desc(), both.c.created.desc(), both.c.entry_kind, both.c.id.desc())
        .limit(bindparam("rows", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


def _page_parameters(portfolio_id: int, filters: TimelineFilter, offset: int, page_size: int) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "portfolio_id": portfolio_id, "window": offset + page_size + 1, "rows": page_size + 1, "offset": offset,
    }
    if filters.course_id is not None:
        parameters["course_id"] = filters.course_id
    if filters.type:
        parameters["type"] = filters.type
    if filters.tag:
        parameters["tag"] = filters.tag.lower()  # as SQL lower() folds the stored tag
    if filters.competency_id is not None:
        parameters["competency_id"] = filters.competency_id
    if filters.query:
        parameters["pattern"] = like_pattern(filters.query)
    return parameters


def timeline(session: Session, portfolio_id: int, filters: TimelineFilter, page_size: int = PAGE_SIZE) -> TimelinePage:
    """One page of the portfolio's timeline, newest first."""
    page = max(1, filters.page)
    offset = (page - 1) * page_size
    rows = session.execute(
        _page_query(_Shape.of(filters)), _page_parameters(portfolio_id, filters, offset, page_size)
    ).all()
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    evidence_ids = [row.id for row in rows if row.entry_kind == "evidence"]
    reflection_ids = [row.id for row in rows if row.entry_kind == REFLECTION]
    evidence = {
        item.id: item
        for item in session.scalars(
            select(Evidence)
            .where(Evidence.id.in_(evidence_ids))
            # The card never shows the description: leave it in the database. A module's outcome
            # (a small JSON object) gives the card its status and score.
            .options(defer(Evidence.description))
        )
    } if evidence_ids else {}
    files, tags = _card_details(session, evidence_ids)
    reflections = (
        {item.id: item for item in session.scalars(select(Reflection).where(Reflection.id.in_(reflection_ids)))}
        if reflection_ids
        else {}
    )
    context_ids = {e.context_id for e in evidence.values()} | {r.context_id for r in reflections.values()}
    context_ids.discard(None)
    courses = (
        {c.id: c for c in session.scalars(select(Context).where(Context.id.in_(context_ids)))} if context_ids else {}
    )
    entries = []
    for row in rows:
        if row.entry_kind == "evidence" and row.id in evidence:
            item = evidence[row.id]
            count, thumbnail_id = files.get(item.id, (0, None))
            entries.append(
                Entry(
                    "evidence", row.day, evidence=item, course=courses.get(item.context_id),
                    file_count=count, thumbnail_file_id=thumbnail_id, tags=tags.get(item.id, []),
                )
            )
        elif row.id in reflections:
            item = reflections[row.id]
            entries.append(Entry(REFLECTION, row.day, reflection=item, course=courses.get(item.context_id)))
    return TimelinePage(entries, page, has_next, filters)


def _card_details(session: Session, evidence_ids: list[int]) -> tuple[dict[int, tuple[int, int | None]], dict[int, list[str]]]:
    """Per item: (number of files, the first file with a thumbnail), and the tags in order.

    Plain rows rather than the ORM relationships: a card needs a count, one id and some words,
    and building the File and Tag objects cost more than the rest of the page's queries together.
    """
    if not evidence_ids:
        return {}, {}
    files = {
        row.evidence_id: (row.count, row.thumbnail_id)
        for row in session.execute(
            select(
                EvidenceFile.evidence_id,
                func.count().label("count"),
                func.min(case((EvidenceFile.thumbnail_key.is_not(None), EvidenceFile.id))).label("thumbnail_id"),
            )
            .where(EvidenceFile.evidence_id.in_(evidence_ids))
            .group_by(EvidenceFile.evidence_id)
        )
    }
    tags: dict[int, list[str]] = {}
    for evidence_id, tag in session.execute(
        select(EvidenceTag.evidence_id, EvidenceTag.tag)
        .where(EvidenceTag.evidence_id.in_(evidence_ids))
        .order_by(EvidenceTag.evidence_id, EvidenceTag.tag)
    ):
        tags.setdefault(evidence_id, []).append(tag)
    return files, tags


@dataclass
class FilterChoices:
    courses: list[Context]
    types: list[str]
    tags: list[str]
    competencies: list[tuple[Competency, str]]


@lru_cache(maxsize=1)
def _choice_queries():
    """The two queries every timeline page asks, built once (values bound at execution)."""
    from lti_tool.people.models import Membership

    # One grouped pass over the learner's evidence gives both the types and the courses used.
    used = (
        select(Evidence.type, Evidence.context_id)
        .where(Evidence.portfolio_id == bindparam("portfolio_id"), Evidence.deleted_at.is_(None))
        .group_by(Evidence.type, Evidence.context_id)
    )
    course_ids = union(
        select(Reflection.context_id).where(
            Reflection.portfolio_id == bindparam("portfolio_id"), Reflection.context_id.is_not(None)
        ),
        select(Membership.context_id).where(Membership.user_id == bindparam("user_id")),
    )
    courses = (
        select(Context)
        .where(
            or_(Context.id.in_(course_ids), Context.id.in_(bindparam("evidence_courses", expanding=True))),
            Context.platform_id == bindparam("platform_id"),
        )
        .order_by(Context.title)
    )
    return used, courses


def filter_choices(session: Session, portfolio_id: int, platform_id: int, user_id: int) -> FilterChoices:
    """What the filters can offer: only values the learner's portfolio actually uses."""
    used_query, courses_query = _choice_queries()
    used = session.execute(used_query, {"portfolio_id": portfolio_id}).all()
    types = sorted({row.type for row in used})
    evidence_courses = sorted({row.context_id for row in used if row.context_id is not None})
    values = {"portfolio_id": portfolio_id, "user_id": user_id, "platform_id": platform_id, "evidence_courses": evidence_courses}
    courses = list(session.scalars(courses_query, values))
    if not used:
        # Tags and competencies hang off evidence: a portfolio without any (a first launch) has none.
        return FilterChoices(courses, types, [], [])
    live = and_(Evidence.portfolio_id == portfolio_id, Evidence.deleted_at.is_(None))
    tags = sorted(
        set(
            session.scalars(
                select(EvidenceTag.tag).join(Evidence, EvidenceTag.evidence_id == Evidence.id).where(live).distinct()
            )
        ),
        key=str.casefold,
    )
    competencies = [
        (competency, framework_name)
        for competency, framework_name in session.execute(
            select(Competency, CompetencyFramework.name)
            .join(CompetencyFramework, Competency.framework_id == CompetencyFramework.id)
            .where(
                Competency.id.in_(
                    select(EvidenceCompetency.competency_id)
                    .join(Evidence, EvidenceCompetency.evidence_id == Evidence.id)
                    .where(live)
                )
            )
            .order_by(CompetencyFramework.name, Competency.code)
        ).all()
    ]
    return FilterChoices(courses, types, tags, competencies)
