"""What the statements in one cmi5 registration say: verbs per activity, AU status, moveOn."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.modules.cmi5_move_on import AUProgress, all_satisfied, au_satisfied
from lti_tool.modules.cmi5_statements import COMPLETED, FAILED, PASSED, SATISFIED
from lti_tool.modules.models import ModulePackage
from xapi.models import Statement, StatementFilter
from xapi.statement_index import REGISTRATION
from xapi.statement_keys import registration_key

NOT_ATTEMPTED = "not-attempted"
IN_PROGRESS = "in-progress"


def verbs_by_activity(
    session: Session, tenant_id: int, registration: str, actor_key: str, activity_ids: list[str]
) -> dict[str, set[str]]:
    """The standing verbs the learner has on each activity within the registration."""
    found: dict[str, set[str]] = defaultdict(set)
    if not activity_ids:
        return found
    # Through the LRS's registration filter keys: an index lookup of this one registration's
    # statements, where the registration column alone would scan the tenant's statements.
    rows = session.execute(
        select(Statement.object_activity_id, Statement.verb_id)
        .join(StatementFilter, StatementFilter.statement_seq == Statement.seq)
        .where(
            StatementFilter.tenant_id == tenant_id,
            StatementFilter.kind == REGISTRATION,
            StatementFilter.value_key == registration_key(registration),
            Statement.tenant_id == tenant_id,
            Statement.actor_key == actor_key,
            Statement.object_activity_id.in_(activity_ids),
            Statement.voided.is_(False),
        )
        .distinct()
    )
    for activity_id, verb_id in rows:
        found[activity_id].add(verb_id)
    return found


def package_activity_ids(package: ModulePackage) -> list[str]:
    return [
        *(unit.lms_activity_id for unit in package.units),
        *(block.lms_block_id for block in package.blocks),
        package.lms_course_id,
    ]


def au_status(verbs: set[str]) -> str:
    """The status a learner sees next to an AU on the course page."""
    if PASSED in verbs:
        return "passed"
    if COMPLETED in verbs:
        return "completed"
    if FAILED in verbs:
        return "failed"
    if verbs:
        return IN_PROGRESS
    return NOT_ATTEMPTED


def satisfaction(package: ModulePackage, verbs: dict[str, set[str]]) -> dict[str, bool]:
    """Which of the package's AUs, blocks and the course meet their moveOn criteria, by LMS id."""
    result: dict[str, bool] = {}
    for unit in package.units:
        unit_verbs = verbs.get(unit.lms_activity_id, set())
        progress = AUProgress(completed=COMPLETED in unit_verbs, passed=PASSED in unit_verbs)
        result[unit.lms_activity_id] = au_satisfied(unit.move_on, progress)
    by_au = dict(result)
    for block in package.blocks:
        members = [u.lms_activity_id for u in package.units if block.block_id in (u.block_ids or [])]
        result[block.lms_block_id] = all_satisfied(members, by_au)
    result[package.lms_course_id] = all_satisfied([u.lms_activity_id for u in package.units], by_au)
    return result


def already_satisfied(verbs: dict[str, set[str]]) -> set[str]:
    return {activity_id for activity_id, found in verbs.items() if SATISFIED in found}
