"""The durable outbox: scores are queued in the caller's transaction and delivered by workers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from lti_tool.lti.ags import ScoreError, enqueue_score, next_score_stamp, scores_url
from lti_tool.lti.models import Platform
from lti_tool.outbox.models import PENDING, OutboxMessage

LINE_ITEM = "https://moodle.example.nl/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1"


def _platform(db, issuer="https://moodle.example.nl", client_id="client-a") -> Platform:
    platform = Platform(
        issuer=issuer,
        client_id=client_id,
        auth_login_url=issuer + "/mod/lti/auth.php",
        auth_token_url=issuer + "/mod/lti/token.php",
    )
    db.add(platform)
    db.flush()
    return platform


def _score(db, platform, **changes):
    arguments = dict(
        platform=platform,
        line_item_url=LINE_ITEM,
        user_sub="4",
        score_given=8,
        score_maximum=10,
        activity_progress="Completed",
        grading_progress="FullyGraded",
    )
    arguments.update(changes)
    return enqueue_score(db, **arguments)


# --- enqueue_score ---------------------------------------------------------------------


def test_enqueue_score_writes_a_pending_message_for_the_scores_endpoint_without_a_timestamp(db):
    platform = _platform(db)

    message = _score(db, platform, comment="Well done")
    db.commit()

    stored = db.get(OutboxMessage, message.id)
    assert stored.status == PENDING
    assert stored.kind == "ags.score"
    assert stored.platform_id == platform.id
    assert stored.target_url == "https://moodle.example.nl/mod/lti/services.php/2/lineitems/2/lineitem/scores?type_id=1"
    assert stored.payload == {
        "userId": "4",
        "scoreGiven": 8,
        "scoreMaximum": 10,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "comment": "Well done",
    }
    assert "timestamp" not in stored.payload


def test_enqueue_score_is_part_of_the_callers_transaction(db):
    platform = _platform(db)
    db.commit()

    _score(db, platform)
    db.rollback()

    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_scores_of_one_learner_on_one_line_item_share_an_ordering_key_and_others_do_not(db):
    platform = _platform(db)

    first = _score(db, platform)
    second = _score(db, platform, score_given=9)
    other_learner = _score(db, platform, user_sub="5")
    other_item = _score(db, platform, line_item_url=LINE_ITEM.replace("/2/lineitem", "/3/lineitem"))

    assert first.ordering_key == second.ordering_key
    assert len({first.ordering_key, other_learner.ordering_key, other_item.ordering_key}) == 3


@pytest.mark.parametrize(
    "changes, complaint",
    [
        ({"activity_progress": "Done"}, "activityProgress"),
        ({"grading_progress": "Graded"}, "gradingProgress"),
        ({"score_given": -1}, "scoreGiven"),
        ({"score_given": float("nan")}, "scoreGiven"),
        ({"score_given": True}, "scoreGiven"),
        ({"score_maximum": None}, "scoreMaximum"),
        ({"score_maximum": 0}, "scoreMaximum"),
        ({"user_sub": ""}, "sub"),
        ({"line_item_url": "javascript:alert(1)"}, "http"),
        ({"comment": "x" * 4001}, "comment"),
    ],
)
def test_enqueue_score_refuses_an_invalid_score_and_writes_nothing(db, changes, complaint):
    platform = _platform(db)
    db.commit()

    with pytest.raises(ScoreError, match=complaint):
        _score(db, platform, **changes)

    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_progress_without_a_score_is_accepted(db):
    message = _score(_db := db, _platform(db), score_given=None, score_maximum=None, grading_progress="Pending")

    assert message.payload == {"userId": "4", "activityProgress": "Completed", "gradingProgress": "Pending"}


def test_scores_url_keeps_the_query_after_the_path():
    assert scores_url("https://lms/ags/lineitems/7/lineitem?type_id=1") == "https://lms/ags/lineitems/7/lineitem/scores?type_id=1"
    assert scores_url("https://lms/ags/lineitems/7/lineitem/") == "https://lms/ags/lineitems/7/lineitem/scores"


# --- timestamps --------------------------------------------------------------------------


def test_next_score_stamp_is_now_when_nothing_was_sent_before():
    now = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=timezone.utc)

    assert next_score_stamp(None, now) == datetime(2026, 11, 23, 10, 0, 0, 123000, tzinfo=timezone.utc)


def test_next_score_stamp_moves_to_the_next_whole_second_within_the_same_second():
    previous = datetime(2026, 11, 23, 10, 0, 0, 100000, tzinfo=timezone.utc)

    stamp = next_score_stamp(previous, previous + timedelta(milliseconds=500))

    assert stamp == datetime(2026, 11, 23, 10, 0, 1, tzinfo=timezone.utc)
    assert int(stamp.timestamp()) > int(previous.timestamp())


def test_next_score_stamp_never_goes_back_when_the_previous_one_is_ahead_of_the_clock():
    previous = datetime(2026, 11, 23, 10, 0, 5, 900000, tzinfo=timezone.utc)

    stamp = next_score_stamp(previous, previous - timedelta(seconds=3))

    assert stamp == datetime(2026, 11, 23, 10, 0, 6, tzinfo=timezone.utc)
