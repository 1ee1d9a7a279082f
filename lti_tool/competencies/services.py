"""The learner's competency overview ("kwaliteitspaspoort"), self-assessment and one-page summary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lti_tool.competencies.models import Competency, CompetencyFramework, EvidenceCompetency, SelfAssessment
from lti_tool.db import utcnow
from lti_tool.errors import DomainError, NotFoundError
from lti_tool.policy import owns
from lti_tool.portfolio.models import FORMAL, INFORMAL, Evidence, Portfolio


class SelfAssessmentError(DomainError):
    status = 400


@dataclass
class CompetencyRow:
    """One competency as the learner sees it: where it sits in the tree, their level, their evidence."""

    competency: Competency
    depth: int
    has_children: bool
    level: int | None
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class FrameworkView:
    framework: CompetencyFramework
    rows: list[CompetencyRow]

    @property
    def assessed(self) -> int:
        return sum(1 for row in self.rows if row.level is not None)


def frameworks_of(session: Session, platform_id: int) -> list[CompetencyFramework]:
    """The tenant's frameworks, by name."""
    return list(
        session.scalars(
            select(CompetencyFramework)
            .where(CompetencyFramework.platform_id == platform_id)
            .order_by(CompetencyFramework.name)
        )
    )


def framework_of_tenant(session: Session, platform_id: int, framework_id: int) -> CompetencyFramework:
    framework = session.get(CompetencyFramework, framework_id)
    if framework is None or framework.platform_id != platform_id:
        raise NotFoundError(_("This competency framework does not exist."))
    return framework


def _tree_order(competencies: list[Competency]) -> list[tuple[Competency, int, bool]]:
    """Depth-first, children after their parent, file order among siblings."""
    children: dict[int | None, list[Competency]] = defaultdict(list)
    for competency in sorted(competencies, key=lambda c: (c.position, c.id)):
        children[competency.parent_id].append(competency)
    ordered: list[tuple[Competency, int, bool]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for competency in children.get(parent_id, []):
            ordered.append((competency, depth, bool(children.get(competency.id))))
            walk(competency.id, depth + 1)

    walk(None, 0)
    return ordered


def overview(session: Session, portfolio: Portfolio) -> list[FrameworkView]:
    """Every framework of the learner's tenant with their levels and the evidence linked per competency."""
    frameworks = frameworks_of(session, portfolio.platform_id)
    if not frameworks:
        return []
    framework_ids = [f.id for f in frameworks]
    competencies = list(session.scalars(select(Competency).where(Competency.framework_id.in_(framework_ids))))
    levels = dict(
        session.execute(
            select(SelfAssessment.competency_id, SelfAssessment.level).where(
                SelfAssessment.portfolio_id == portfolio.id
            )
        ).all()
    )
    evidence_by_competency: dict[int, list[Evidence]] = defaultdict(list)
    for competency_id, evidence in session.execute(
        select(EvidenceCompetency.competency_id, Evidence)
        .join(Evidence, Evidence.id == EvidenceCompetency.evidence_id)
        .where(
            Evidence.portfolio_id == portfolio.id,
            Evidence.platform_id == portfolio.platform_id,
            Evidence.deleted_at.is_(None),
        )
        .order_by(Evidence.occurred_on.desc(), Evidence.id.desc())
    ).all():
        evidence_by_competency[competency_id].append(evidence)
    by_framework: dict[int, list[Competency]] = defaultdict(list)
    for competency in competencies:
        by_framework[competency.framework_id].append(competency)
    return [
        FrameworkView(
            framework,
            [
                CompetencyRow(c, depth, has_children, levels.get(c.id), evidence_by_competency.get(c.id, []))
                for c, depth, has_children in _tree_order(by_framework[framework.id])
            ],
        )
        for framework in frameworks
    ]


def assess_levels(session: Session, portfolio: Portfolio, framework: CompetencyFramework, levels: dict[int, int | None]) -> int:
    """Set the learner's own levels for competencies of one framework (None clears one); return how many changed.

    Every id must belong to the framework and every level to its scale, or nothing changes.
    """
    if framework.platform_id != portfolio.platform_id:
        raise NotFoundError(_("This competency framework does not exist."))
    known = set(session.scalars(select(Competency.id).where(Competency.framework_id == framework.id)))
    scale = len(framework.levels)
    for competency_id, level in levels.items():
        if competency_id not in known:
            raise SelfAssessmentError(_("A competency in the form is not part of this framework. Reload the page."))
        if level is not None and not 1 <= level <= scale:
            raise SelfAssessmentError(_("Choose a level from the framework's scale."))
    existing = {
        row.competency_id: row
        for row in session.scalars(
            select(SelfAssessment).where(
                SelfAssessment.portfolio_id == portfolio.id, SelfAssessment.competency_id.in_(list(levels))
            )
        )
    }
    changed = 0
    now = utcnow()
    for competency_id, level in levels.items():
        row = existing.get(competency_id)
        if level is None:
            if row is not None:
                session.execute(delete(SelfAssessment).where(SelfAssessment.id == row.id))
                changed += 1
        elif row is None:
            session.add(SelfAssessment(portfolio_id=portfolio.id, competency_id=competency_id, level=level, updated_at=now))
            changed += 1
        elif row.level != level:
            row.level = level
            row.updated_at = now
            changed += 1
    session.flush()
    return changed


def link_evidence(session: Session, user, evidence: Evidence, competency_ids: list[int]) -> None:
    """Make exactly these competencies (of the learner's tenant) the ones the evidence shows."""
    if not owns(session, user, evidence):
        raise NotFoundError(_("This evidence does not exist or is not yours."))
    wanted = set(competency_ids)
    if wanted:
        allowed = set(
            session.scalars(
                select(Competency.id)
                .join(CompetencyFramework, CompetencyFramework.id == Competency.framework_id)
                .where(Competency.id.in_(wanted), CompetencyFramework.platform_id == evidence.platform_id)
            )
        )
        if allowed != wanted:
            raise SelfAssessmentError(_("One of the chosen competencies does not exist."))
    current = set(
        session.scalars(select(EvidenceCompetency.competency_id).where(EvidenceCompetency.evidence_id == evidence.id))
    )
    if current - wanted:
        session.execute(
            delete(EvidenceCompetency).where(
                EvidenceCompetency.evidence_id == evidence.id, EvidenceCompetency.competency_id.in_(current - wanted)
            )
        )
    for competency_id in sorted(wanted - current):
        session.add(EvidenceCompetency(evidence_id=evidence.id, competency_id=competency_id))
    session.flush()


@dataclass
class Summary:
    """What the one-page summary shows."""

    formal: list[Evidence]
    informal: list[Evidence]
    frameworks: list[FrameworkView]


def summary(session: Session, portfolio: Portfolio) -> Summary:
    """Formal qualifications, informal experience (newest first) and the assessed competencies."""
    items = list(
        session.scalars(
            select(Evidence)
            .where(
                Evidence.portfolio_id == portfolio.id,
                Evidence.platform_id == portfolio.platform_id,
                Evidence.deleted_at.is_(None),
            )
            .order_by(Evidence.occurred_on.desc(), Evidence.id.desc())
        )
    )
    frameworks = [
        FrameworkView(view.framework, [row for row in view.rows if row.level is not None or row.evidence])
        for view in overview(session, portfolio)
    ]
    return Summary(
        formal=[e for e in items if e.kind == FORMAL],
        informal=[e for e in items if e.kind == INFORMAL],
        frameworks=[view for view in frameworks if view.rows],
    )
