"""What a learner achieved on one activity, summarised from their statements about it.

Choices (the spec leaves them to the LMS):
- success is sticky: once a learner passed (or mastered, or was satisfied), a later failed
  retake does not take it away, as in an LMS that keeps the best attempt;
- the score is the best scaled score reported (raw/max when no scaled score is given);
- the date is when the learner first reached the outcome that counts: the first pass, or
  else the first completion, or else the latest statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

VERBS = "http://adlnet.gov/expapi/verbs/"
COMPLETED = VERBS + "completed"
PASSED = VERBS + "passed"
FAILED = VERBS + "failed"
MASTERED = VERBS + "mastered"
SCORED = VERBS + "scored"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
VOIDED = VERBS + "voided"

SUCCESS_VERBS = {PASSED, MASTERED, SATISFIED}
# Statements with these verbs (or with a result saying completion, success or score) make an outcome.
OUTCOME_VERBS = {COMPLETED, PASSED, FAILED, MASTERED, SCORED, SATISFIED}

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
COMPLETED_STATUS = "completed"
PASSED_STATUS = "passed"
FAILED_STATUS = "failed"

_DURATION = re.compile(
    r"^P(?:(?P<years>\d+(?:\.\d+)?)Y)?(?:(?P<months>\d+(?:\.\d+)?)M)?(?:(?P<weeks>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<days>\d+(?:\.\d+)?)D)?(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_SECONDS = {"years": 365 * 86400, "months": 30 * 86400, "weeks": 7 * 86400, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


def duration_seconds(value: Any) -> float | None:
    """Seconds in an ISO 8601 duration ("PT1M30.5S" → 90.5); None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value)
    if not match or value in ("P", "PT"):
        return None
    return sum(float(amount) * _SECONDS[unit] for unit, amount in match.groupdict().items() if amount)


@dataclass(frozen=True)
class StatementFact:
    """The parts of one stored statement the summary needs."""

    verb_id: str
    when: datetime
    result: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    status: str
    completed: bool
    success: bool | None
    score_scaled: float | None
    score_raw: float | None
    score_max: float | None
    duration_seconds: float | None
    achieved_at: datetime | None
    last_activity_at: datetime | None
    statement_count: int

    @property
    def has_result(self) -> bool:
        return self.status in (COMPLETED_STATUS, PASSED_STATUS, FAILED_STATUS) or self.score_scaled is not None

    def as_json(self) -> dict[str, Any]:
        """The form kept in Evidence.outcome (JSON): plain values, ISO dates."""
        return {
            "status": self.status,
            "completed": self.completed,
            "success": self.success,
            "score_scaled": self.score_scaled,
            "score_raw": self.score_raw,
            "score_max": self.score_max,
            "duration_seconds": self.duration_seconds,
            "achieved_at": self.achieved_at.isoformat() if self.achieved_at else None,
            "last_activity_at": self.last_activity_at.isoformat() if self.last_activity_at else None,
            "statement_count": self.statement_count,
        }


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _scaled(score: dict[str, Any]) -> float | None:
    scaled = _number(score.get("scaled"))
    if scaled is not None:
        return scaled
    raw, minimum, maximum = (_number(score.get(k)) for k in ("raw", "min", "max"))
    if raw is None or maximum is None:
        return None
    minimum = minimum or 0.0
    return (raw - minimum) / (maximum - minimum) if maximum > minimum else None


def summarise(facts: Iterable[StatementFact]) -> Outcome:
    """Summarise one learner's standing statements about one activity (any order)."""
    ordered = sorted(facts, key=lambda fact: fact.when)
    completed_at = passed_at = failed_at = None
    best: tuple[float, dict[str, Any]] | None = None
    total_duration = 0.0
    saw_duration = False
    for fact in ordered:
        result = fact.result if isinstance(fact.result, dict) else {}
        if fact.verb_id == COMPLETED or result.get("completion") is True:
            completed_at = completed_at or fact.when
        if fact.verb_id in SUCCESS_VERBS or result.get("success") is True:
            passed_at = passed_at or fact.when
        elif fact.verb_id == FAILED or result.get("success") is False:
            failed_at = failed_at or fact.when
        score = result.get("score")
        if isinstance(score, dict):
            scaled = _scaled(score)
            if scaled is not None and (best is None or scaled > best[0]):
                best = (scaled, score)
        seconds = duration_seconds(result.get("duration"))
        if seconds is not None and fact.verb_id in OUTCOME_VERBS | {VERBS + "terminated"}:
            # Time spent: AUs report it per session on terminated, modules per attempt on
            # completed/passed; take the largest single report so a session is not counted twice.
            total_duration = max(total_duration, seconds)
            saw_duration = True
    if passed_at:
        status, success = PASSED_STATUS, True
    elif failed_at:
        status, success = FAILED_STATUS, False
    elif completed_at:
        status, success = COMPLETED_STATUS, None
    elif ordered:
        status, success = IN_PROGRESS, None
    else:
        status, success = NOT_STARTED, None
    return Outcome(
        status=status,
        completed=completed_at is not None,
        success=success,
        score_scaled=round(best[0], 4) if best else None,
        score_raw=_number(best[1].get("raw")) if best else None,
        score_max=_number(best[1].get("max")) if best else None,
        duration_seconds=total_duration if saw_duration else None,
        achieved_at=passed_at or failed_at or completed_at or (ordered[-1].when if ordered else None),
        last_activity_at=ordered[-1].when if ordered else None,
        statement_count=len(ordered),
    )
