"""cmi5 moveOn (section 13.1.4): when an AU, a block and a course count as satisfied. Pure logic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

PASSED = "Passed"
COMPLETED = "Completed"
COMPLETED_AND_PASSED = "CompletedAndPassed"
COMPLETED_OR_PASSED = "CompletedOrPassed"
NOT_APPLICABLE = "NotApplicable"
MOVE_ON_VALUES = (PASSED, COMPLETED, COMPLETED_AND_PASSED, COMPLETED_OR_PASSED, NOT_APPLICABLE)


@dataclass(frozen=True)
class AUProgress:
    """What a learner's statements in one registration say about one AU."""

    completed: bool = False
    passed: bool = False


def au_satisfied(move_on: str, progress: AUProgress) -> bool:
    """Whether the AU's moveOn criterion is met. An unknown value never counts as met."""
    if move_on == NOT_APPLICABLE:
        return True
    if move_on == PASSED:
        return progress.passed
    if move_on == COMPLETED:
        return progress.completed
    if move_on == COMPLETED_AND_PASSED:
        return progress.completed and progress.passed
    if move_on == COMPLETED_OR_PASSED:
        return progress.completed or progress.passed
    return False


def all_satisfied(au_ids: Iterable[str], satisfied: Mapping[str, bool]) -> bool:
    """A block or course is satisfied when every AU in it is (an empty one never is)."""
    ids = list(au_ids)
    return bool(ids) and all(satisfied.get(au_id, False) for au_id in ids)
