"""A batch of statements is projected per actor once, and still onto every activity it is about."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.formal_evidence.models import LearnerActor
from tests.integration.test_formal_evidence import (  # noqa: F401  (fixtures)
    ACTIVITY,
    _evidence,
    issued,
    learner,
    post,
    statement,
    tenant,
)

OTHER_ACTIVITY = ACTIVITY + "-deel-2"
THIRD_ACTIVITY = ACTIVITY + "-deel-3"


def test_a_learners_batch_about_three_activities_makes_an_item_for_each_with_an_outcome(post, db, platform, learner):
    actor = issued(platform, learner)
    post(
        statement(actor, "completed", result={"completion": True}),
        statement(actor, "passed", activity=OTHER_ACTIVITY, result={"success": True}),
        statement(actor, "experienced", activity=THIRD_ACTIVITY),
    )
    items = {item.activity_id: item for item in _evidence(db)}
    assert set(items) == {ACTIVITY, OTHER_ACTIVITY}
    assert (items[ACTIVITY].outcome["status"], items[OTHER_ACTIVITY].outcome["status"]) == ("completed", "passed")


def test_a_batch_mixing_a_learner_and_a_stranger_gives_evidence_to_the_learner_only_and_records_both(post, db, platform, learner):
    stranger = {"objectType": "Agent", "mbox": "mailto:stranger@example.org"}
    post(
        statement(issued(platform, learner), "completed", result={"completion": True}),
        statement(stranger, "completed", result={"completion": True}),
        statement(stranger, "passed", activity=OTHER_ACTIVITY, result={"success": True}),
        statement(issued(platform, learner), "passed", activity=OTHER_ACTIVITY, result={"success": True}),
    )
    items = _evidence(db)
    assert sorted(item.activity_id for item in items) == sorted([ACTIVITY, OTHER_ACTIVITY])
    assert {item.portfolio_id for item in items} == {items[0].portfolio_id}
    recorded = {(row.user_id is None, (row.actor or {}).get("mbox")) for row in db.scalars(select(LearnerActor))}
    assert recorded == {(False, None), (True, "mailto:stranger@example.org")}
