"""Summarising a learner's statements about one activity into an outcome."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lti_tool.formal_evidence.outcome import (
    COMPLETED,
    FAILED,
    PASSED,
    SATISFIED,
    SCORED,
    StatementFact,
    duration_seconds,
    summarise,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"


def fact(verb: str, minutes: int, **result) -> StatementFact:
    return StatementFact(verb_id=verb, when=T0 + timedelta(minutes=minutes), result=result)


def test_nothing_is_not_started():
    outcome = summarise([])
    assert (outcome.status, outcome.achieved_at, outcome.has_result) == ("not_started", None, False)


def test_experiencing_is_in_progress_without_a_result():
    outcome = summarise([fact(EXPERIENCED, 0)])
    assert (outcome.status, outcome.completed, outcome.has_result) == ("in_progress", False, False)


def test_completion_by_verb_or_by_result():
    assert summarise([fact(COMPLETED, 3)]).status == "completed"
    assert summarise([fact(EXPERIENCED, 3, completion=True)]).status == "completed"


def test_a_pass_counts_from_its_first_moment_and_stays_after_a_failed_retake():
    outcome = summarise([fact(FAILED, 1, success=False), fact(PASSED, 5, success=True), fact(FAILED, 9, success=False)])
    assert (outcome.status, outcome.success) == ("passed", True)
    assert outcome.achieved_at == T0 + timedelta(minutes=5)


def test_failed_only_is_failed_and_dated_by_the_failure():
    outcome = summarise([fact(COMPLETED, 1), fact(FAILED, 2, success=False)])
    assert (outcome.status, outcome.success, outcome.completed) == ("failed", False, True)
    assert outcome.achieved_at == T0 + timedelta(minutes=2)


def test_cmi5_satisfied_counts_as_success():
    assert summarise([fact(SATISFIED, 0)]).status == "passed"


def test_the_best_score_wins_and_raw_max_is_scaled_when_scaled_is_missing():
    outcome = summarise(
        [
            fact(SCORED, 0, score={"scaled": 0.4}),
            fact(SCORED, 1, score={"raw": 18, "min": 0, "max": 20}),
            fact(SCORED, 2, score={"scaled": 0.7}),
        ]
    )
    assert outcome.score_scaled == 0.9
    assert (outcome.score_raw, outcome.score_max) == (18.0, 20.0)


def test_unusable_scores_are_ignored():
    outcome = summarise([fact(SCORED, 0, score={"raw": 5}), fact(SCORED, 1, score={"raw": 1, "min": 3, "max": 3})])
    assert outcome.score_scaled is None


def test_the_order_of_arrival_does_not_matter():
    facts = [fact(PASSED, 5, score={"scaled": 0.8}), fact(COMPLETED, 2), fact(EXPERIENCED, 0)]
    assert summarise(facts) == summarise(list(reversed(facts)))


def test_time_spent_is_the_longest_single_report():
    outcome = summarise([fact(COMPLETED, 1, duration="PT5M"), fact(PASSED, 2, duration="PT7M30S")])
    assert outcome.duration_seconds == 450


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("PT1M30.5S", 90.5), ("P1DT2H", 93600), ("PT0S", 0), ("P2W", 1209600), ("PT", None), ("P", None), ("1 hour", None), (None, None), (5, None)],
)
def test_iso_durations(value, seconds):
    assert duration_seconds(value) == seconds
