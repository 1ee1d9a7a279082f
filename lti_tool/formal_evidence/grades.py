"""Send a module's outcome to the gradebook of the course it was opened from (AGS, via the outbox)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.lti.ags import enqueue_score
from lti_tool.lti.models import Platform
from lti_tool.modules.models import ModulePackage, ModuleRegistration, ModuleUnit
from lti_tool.people.models import ResourceLink, User
from lti_tool.portfolio.models import Evidence

SCORE_MAXIMUM = 100.0
GRADED_STATUSES = ("completed", "passed", "failed")


def _graded_part(outcome: dict[str, Any] | None) -> tuple[Any, ...]:
    outcome = outcome or {}
    return (outcome.get("status"), outcome.get("score_scaled"))


def score_for(outcome: dict[str, Any]) -> float:
    """0-100: the scaled score when the module reports one, else full marks for a pass or a
    completion and none for a failure."""
    scaled = outcome.get("score_scaled")
    if isinstance(scaled, (int, float)):
        return round(max(0.0, min(1.0, float(scaled))) * SCORE_MAXIMUM, 2)
    return 0.0 if outcome.get("status") == "failed" else SCORE_MAXIMUM


def _graded_package_id(session: Session, outcome: dict[str, Any]) -> int | None:
    """The package whose link an outcome grades: a Tin Can module's unit, or a whole cmi5 course.

    A cmi5 link is one gradebook column for the course, so its AUs' own outcomes are not sent;
    the course outcome (from the LMS's Satisfied statement) is."""
    unit_id = outcome.get("module_unit_id")
    if unit_id:
        unit = session.get(ModuleUnit, unit_id)
        if unit is None or unit.package.kind == "cmi5":
            return None
        return unit.package_id
    package_id = outcome.get("module_package_id")
    package = session.get(ModulePackage, package_id) if package_id else None
    return package.id if package is not None and package.kind == "cmi5" else None


def _line_item_link(session: Session, learner: User, evidence: Evidence) -> ResourceLink | None:
    package_id = _graded_package_id(session, evidence.outcome or {})
    if package_id is None:
        return None
    registration = session.scalars(
        select(ModuleRegistration).where(
            ModuleRegistration.user_id == learner.id, ModuleRegistration.package_id == package_id
        )
    ).first()
    if registration is None or registration.resource_link_id is None:
        return None
    link = session.get(ResourceLink, registration.resource_link_id)
    if link is None or not link.lineitem_url or link.platform_id != learner.platform_id:
        return None
    return link


def queue_grade_if_changed(session: Session, learner: User, evidence: Evidence, before: dict[str, Any] | None) -> bool:
    """Queue a score when status or score changed to something gradable; True when one was queued."""
    outcome = evidence.outcome or {}
    if outcome.get("status") not in GRADED_STATUSES or _graded_part(outcome) == _graded_part(before):
        return False
    link = _line_item_link(session, learner, evidence)
    if link is None:
        return False
    enqueue_score(
        session,
        platform=session.get(Platform, learner.platform_id),
        line_item_url=link.lineitem_url,
        user_sub=learner.sub,
        score_given=score_for(outcome),
        score_maximum=SCORE_MAXIMUM,
        activity_progress="Completed",
        grading_progress="FullyGraded",
    )
    return True
