"""The durable outbox: scores are queued in the caller's transaction and delivered by workers."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from lti_tool.db import session_factory, utcnow
from lti_tool.lti.ags import SCORE_KIND, ScoreError, enqueue_score, next_score_stamp, scores_url
from lti_tool.lti.models import LoginState, Platform
from lti_tool.lti.service_client import ServiceClient
from lti_tool.outbox.models import DELIVERED, FAILED, PENDING, OutboxMessage
from lti_tool.outbox.services import RetryPolicy, claim_due
from lti_tool.outbox.worker import OutboxWorker, run_worker
from tests.integration.test_service_clients import ServedApp, ScriptedPlatform, closed_port_url
from tests.support.serving import free_port

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


def _message(platform_id: int, **fields) -> OutboxMessage:
    """An outbox row as the admin page and housekeeping see it (not queued through enqueue_score)."""
    values = dict(kind="ags.score", platform_id=platform_id, target_url="http://lms/s", payload={}, ordering_key="k")
    values.update(fields)
    return OutboxMessage(**values)


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


# --- delivery to the demo platform over real HTTP ----------------------------------------------


@pytest.fixture
def demo_app(settings_overrides):
    """A second app on the same database, served on 127.0.0.1 with its demo platform."""
    from lti_tool import create_app
    from lti_tool.demo.services import ensure_demo_platform

    server = ServedApp()
    application = create_app({**settings_overrides, "base_url": server.base_url, "demo_enabled": True})
    server.app = application
    with session_factory(application)() as session:
        demo = ensure_demo_platform(session, application.extensions["leerpaspoort.settings"])
        session.commit()
    application.extensions["test.demo"] = demo
    application.extensions["test.server"] = server
    yield application
    server.close()
    application.extensions["leerpaspoort.engine"].dispose()


def _demo_line_item_url(db, demo_app) -> str:
    from lti_tool.demo.models import DemoLineItem
    from lti_tool.demo.services import line_item_url

    demo = demo_app.extensions["test.demo"]
    column = db.scalars(select(DemoLineItem).where(DemoLineItem.demo_platform_id == demo.id)).one()
    return line_item_url(demo_app.extensions["leerpaspoort.settings"].base_url, column.id)


@pytest.fixture
def demo_target(db, demo_app):
    """The demo platform's row and the URL of its gradebook column."""
    return db.get(Platform, demo_app.extensions["test.demo"].platform_id), _demo_line_item_url(db, demo_app)


def _demo_score(db, demo_app, user_sub="4"):
    from lti_tool.demo.models import DemoScore

    db.expire_all()
    return db.scalars(select(DemoScore).where(DemoScore.user_id == user_sub)).one()


def test_a_queued_score_reaches_the_demo_gradebook(db, demo_app, demo_target):
    platform, url = demo_target
    message = _score(db, platform, line_item_url=url, comment="Good reflection")
    db.commit()

    attempted = OutboxWorker(demo_app).drain()

    assert attempted == 1
    db.expire_all()
    delivered = db.get(OutboxMessage, message.id)
    assert (delivered.status, delivered.attempts, delivered.last_status_code) == (DELIVERED, 1, 204)
    assert delivered.delivered_at is not None and delivered.locked_by is None
    stored = _demo_score(db, demo_app)
    assert (stored.score_given, stored.score_maximum, stored.grading_progress, stored.comment) == (8, 10, "FullyGraded", "Good reflection")
    assert stored.timestamp == delivered.sent_stamp


def test_two_scores_in_the_same_second_are_both_accepted_with_timestamps_a_second_apart(db, demo_app, demo_target):
    platform, url = demo_target
    first = _score(db, platform, line_item_url=url, score_given=6)
    second = _score(db, platform, line_item_url=url, score_given=9)
    db.commit()

    OutboxWorker(demo_app).drain()

    db.expire_all()
    sent = [db.get(OutboxMessage, m.id) for m in (first, second)]
    assert [m.status for m in sent] == [DELIVERED, DELIVERED]
    assert [m.stamp_conflicts for m in sent] == [0, 0]
    assert int(sent[1].sent_stamp.timestamp()) > int(sent[0].sent_stamp.timestamp())
    assert _demo_score(db, demo_app).score_given == 9


# --- retries, failures and ordering against a scripted platform ---------------------------------


@pytest.fixture
def scripted_platform(db):
    with ScriptedPlatform() as scripted:
        scripted.platform = scripted.register_in(db)
        yield scripted


@pytest.fixture
def worker(app):
    return OutboxWorker(app, worker_id="worker-a", client=ServiceClient(session_factory(app), timeout=2.0))


@pytest.fixture
def scores_arrive(scripted_platform):
    """An event set when the scripted platform has answered a score POST (a hook may run first)."""
    arrived = threading.Event()
    original = scripted_platform._handle

    def note_scores(request):
        response = original(request)
        if request.path.endswith("/scores"):
            arrived.set()
        return response

    scripted_platform._handle = note_scores
    return arrived


def _process_env(settings_overrides, tmp_path, **settings) -> dict[str, str]:
    """The environment of a `leerpaspoort`/gunicorn process on the test database, without the demo."""
    import os

    env = dict(
        os.environ,
        LEERPASPOORT_ENV="test",
        LEERPASPOORT_DATABASE_URL=settings_overrides["database_url"],
        LEERPASPOORT_INSTANCE_PATH=str(tmp_path / "instance"),
        LEERPASPOORT_DEMO_ENABLED="false",
        LEERPASPOORT_OUTBOX_POLL_INTERVAL="0.2",
    )
    env.update({f"LEERPASPOORT_{name.upper()}": value for name, value in settings.items()})
    return env


def _queue(db, scripted, user_sub="4", score_given=8):
    message = _score(db, scripted.platform, line_item_url=scripted.base_url + "/lineitems/1/lineitem", user_sub=user_sub, score_given=score_given)
    db.commit()
    return message


def _reload(db, message) -> OutboxMessage:
    db.expire_all()
    return db.get(OutboxMessage, message.id)


def _make_due(db):
    db.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.commit()


def _sent_scores(scripted) -> list[dict]:
    return [json.loads(r["body"]) for r in scripted.requests_to("/lineitems/1/lineitem/scores")]


def test_a_score_is_posted_as_the_ags_score_media_type_with_a_bearer_token(db, scripted_platform, worker):
    _queue(db, scripted_platform)

    worker.drain()

    [request] = scripted_platform.requests_to("/lineitems/1/lineitem/scores")
    assert request["headers"]["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    assert request["headers"]["Authorization"] == "Bearer token-1"
    body = json.loads(request["body"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", body["timestamp"])
    assert body["userId"] == "4" and body["scoreGiven"] == 8


def test_a_5xx_is_retried_later_with_backoff_and_then_delivered(db, scripted_platform, worker):
    message = _queue(db, scripted_platform)
    scripted_platform.service_answers.append((503, "Moodle is being upgraded", {}))

    worker.drain()
    waiting = _reload(db, message)

    assert (waiting.status, waiting.attempts, waiting.last_status_code) == (PENDING, 1, 503)
    assert "Moodle is being upgraded" in waiting.last_error
    delay = (waiting.next_attempt_at - utcnow()).total_seconds()
    assert 10 < delay <= 30
    assert worker.drain() == 0

    _make_due(db)
    worker.drain()

    delivered = _reload(db, message)
    assert (delivered.status, delivered.attempts, delivered.last_status_code) == (DELIVERED, 2, 204)
    assert delivered.delivered_at is not None


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap():
    import random

    policy = RetryPolicy(max_attempts=10, base_delay=30, max_delay=600)
    rng = random.Random(7)
    delays = [policy.delay(n, rng).total_seconds() for n in range(1, 8)]

    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(600, 30 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(d) for d in delays}) == len(delays)


def test_a_4xx_fails_at_once_with_the_platforms_answer(db, scripted_platform, worker):
    message = _queue(db, scripted_platform)
    scripted_platform.service_answers.append((400, '{"error": "userId is not an enrolled learner"}', {}))

    worker.drain()
    _make_due(db)
    worker.drain()

    failed = _reload(db, message)
    assert (failed.status, failed.attempts, failed.last_status_code) == (FAILED, 1, 400)
    assert "not an enrolled learner" in failed.last_error
    assert len(_sent_scores(scripted_platform)) == 1


def test_a_429_waits_as_long_as_retry_after_says(db, scripted_platform, worker):
    message = _queue(db, scripted_platform)
    scripted_platform.service_answers.append((429, "slow down", {"Retry-After": "120"}))

    worker.drain()

    waiting = _reload(db, message)
    assert (waiting.status, waiting.last_status_code) == (PENDING, 429)
    assert 110 < (waiting.next_attempt_at - utcnow()).total_seconds() <= 120


def test_an_unreachable_platform_is_retried(db, scripted_platform, worker):
    message = _score(db, scripted_platform.platform, line_item_url=closed_port_url().replace("/token", "/lineitem"))
    db.commit()

    worker.drain()

    waiting = _reload(db, message)
    assert (waiting.status, waiting.attempts, waiting.last_status_code) == (PENDING, 1, None)
    assert "Could not reach" in waiting.last_error


def test_a_token_endpoint_that_refuses_us_fails_the_score_with_its_answer(db, scripted_platform, worker):
    message = _queue(db, scripted_platform)
    scripted_platform.token_answers.append((401, '{"error": "invalid_client"}', {"Content-Type": "application/json"}))

    worker.drain()

    failed = _reload(db, message)
    assert (failed.status, failed.last_status_code) == (FAILED, 401)
    assert "invalid_client" in failed.last_error
    assert _sent_scores(scripted_platform) == []


def test_a_message_is_given_up_after_the_last_attempt(db, scripted_platform, worker):
    message = _queue(db, scripted_platform)
    worker.policy = RetryPolicy(max_attempts=2, base_delay=30, max_delay=60)
    scripted_platform.service_answers.extend([(502, "bad gateway", {}), (502, "bad gateway", {})])

    worker.drain()
    _make_due(db)
    worker.drain()

    failed = _reload(db, message)
    assert (failed.status, failed.attempts) == (FAILED, 2)
    assert failed.last_error.startswith("Gave up after 2 attempts.")


def test_a_409_on_the_timestamp_is_sent_again_once_with_a_later_timestamp(db, scripted_platform, worker):
    message = _queue(db, scripted_platform)
    scripted_platform.service_answers.append((409, "a score with this or a later timestamp is already stored", {}))

    worker.drain()

    delivered = _reload(db, message)
    assert (delivered.status, delivered.attempts, delivered.stamp_conflicts) == (DELIVERED, 2, 1)
    first, second = (datetime.fromisoformat(s["timestamp"]) for s in _sent_scores(scripted_platform))
    assert int(second.timestamp()) > int(first.timestamp())


def test_a_second_409_fails_the_score(db, scripted_platform, worker):
    message = _queue(db, scripted_platform)
    scripted_platform.service_answers.extend([(409, "clash", {}), (409, "clash again", {})])

    worker.drain()

    failed = _reload(db, message)
    assert (failed.status, failed.last_status_code, failed.attempts) == (FAILED, 409, 2)
    assert len(_sent_scores(scripted_platform)) == 2


def test_a_newer_score_waits_while_an_older_one_for_the_same_learner_is_pending(db, scripted_platform, worker):
    older = _queue(db, scripted_platform, score_given=5)
    newer = _queue(db, scripted_platform, score_given=7)
    other_learner = _queue(db, scripted_platform, user_sub="5", score_given=9)
    scripted_platform.service_answers.append((503, "busy", {}))

    worker.drain()

    assert [_reload(db, m).status for m in (older, newer, other_learner)] == [PENDING, PENDING, DELIVERED]
    assert [s["scoreGiven"] for s in _sent_scores(scripted_platform)] == [5, 9]

    _make_due(db)
    worker.drain()

    assert [_reload(db, m).status for m in (older, newer)] == [DELIVERED, DELIVERED]
    assert [s["scoreGiven"] for s in _sent_scores(scripted_platform)] == [5, 9, 5, 7]


def test_a_failed_older_score_does_not_block_the_newer_one(db, scripted_platform, worker):
    older = _queue(db, scripted_platform, score_given=5)
    newer = _queue(db, scripted_platform, score_given=7)
    scripted_platform.service_answers.append((400, "refused", {}))

    worker.drain()

    assert [_reload(db, m).status for m in (older, newer)] == [FAILED, DELIVERED]


def test_a_message_of_an_unknown_kind_fails_with_a_clear_reason(db, scripted_platform, worker):
    message = _message(scripted_platform.platform.id, kind="carrier.pigeon", target_url="http://x")
    db.add(message)
    db.commit()

    worker.drain()

    failed = _reload(db, message)
    assert failed.status == FAILED
    assert "carrier.pigeon" in failed.last_error


# --- claiming: one message, one worker ---------------------------------------------------------


def test_a_claimed_message_is_not_claimed_by_a_second_worker_until_its_lease_expires(app, db, scripted_platform):
    message = _queue(db, scripted_platform)
    sessions = session_factory(app)

    with sessions() as first, sessions() as second:
        assert claim_due(first, "worker-a", lease=timedelta(seconds=60)) == [message.id]
        assert claim_due(second, "worker-b", lease=timedelta(seconds=60)) == []
        later = utcnow() + timedelta(seconds=61)
        assert claim_due(second, "worker-b", lease=timedelta(seconds=60), now=later) == [message.id]

    assert _reload(db, message).locked_by == "worker-b"


def test_a_worker_that_lost_its_lease_does_not_record_an_outcome(app, db, scripted_platform):
    from lti_tool.outbox.services import Outcome, record_outcome

    message = _queue(db, scripted_platform)
    sessions = session_factory(app)
    with sessions() as session:
        claim_due(session, "worker-a", lease=timedelta(seconds=60))
        claim_due(session, "worker-b", lease=timedelta(seconds=60), now=utcnow() + timedelta(seconds=61))
        assert record_outcome(session, message.id, "worker-a", Outcome(delivered=True), RetryPolicy()) is None

    assert _reload(db, message).status == PENDING


def test_each_message_of_a_round_gets_a_fresh_lease_as_its_delivery_starts(app, db, scripted_platform):
    from lti_tool.outbox.services import Outcome

    first, second = _queue(db, scripted_platform, user_sub="31"), _queue(db, scripted_platform, user_sub="32")
    seen = []

    def slow_delivery(session, _client, message):
        seen.append((message.id, message.locked_until, utcnow()))
        threading.Event().wait(0.4)  # longer than the whole lease below
        return Outcome(status_code=200, delivered=True)

    worker = OutboxWorker(app, worker_id="worker-a", deliverers={SCORE_KIND: slow_delivery})
    worker.lease = timedelta(seconds=0.3)
    assert worker.run_round() == 2  # both claimed at once, with a lease that ends before the second starts

    assert [message_id for message_id, _, _ in seen] == [first.id, second.id]
    for _message_id, locked_until, started in seen:
        assert locked_until.replace(tzinfo=started.tzinfo) > started  # still leased when delivery began
    assert [_reload(db, m).status for m in (first, second)] == [DELIVERED, DELIVERED]


def test_a_delivery_whose_lease_was_taken_over_stops_and_records_nothing(app, db, scripted_platform):
    from lti_tool.outbox.services import LeaseKeeper, Outcome

    message = _queue(db, scripted_platform)
    sessions = session_factory(app)
    requests_made = []

    def long_delivery(session, _client, delivering):
        lease = LeaseKeeper(session, delivering.id, delivering.locked_by, timedelta(0))  # renews before every request
        for number in range(3):
            lease.keep()
            requests_made.append(number)
            if number == 0:  # the lease ran out meanwhile, and another worker claimed the message
                with sessions() as other:
                    other.execute(update(OutboxMessage).values(locked_by="worker-b", locked_until=utcnow() + timedelta(minutes=5)))
                    other.commit()
        return Outcome(status_code=200, delivered=True)

    worker = OutboxWorker(app, worker_id="worker-a", deliverers={SCORE_KIND: long_delivery})
    assert worker.run_round() == 1

    assert requests_made == [0]  # it stopped at the next request
    reloaded = _reload(db, message)
    assert (reloaded.status, reloaded.locked_by, reloaded.attempts) == (PENDING, "worker-b", 0)


def test_two_workers_at_once_deliver_every_message_exactly_once_and_in_order_per_learner(app, db, scripted_platform):
    learners = [str(n) for n in range(10, 25)]
    for round_number in (1, 2):
        for learner in learners:
            _queue(db, scripted_platform, user_sub=learner, score_given=round_number)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(name):
        try:
            runner = OutboxWorker(app, worker_id=name, client=ServiceClient(session_factory(app), timeout=5.0))
            start.wait()
            runner.drain()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    sent = [(s["userId"], s["scoreGiven"]) for s in _sent_scores(scripted_platform)]
    assert sorted(sent) == sorted((learner, n) for learner in learners for n in (1, 2))
    for learner in learners:
        assert [n for who, n in sent if who == learner] == [1, 2]
    assert db.scalar(select(func.count()).where(OutboxMessage.status != DELIVERED)) == 0
    assert db.scalar(select(func.max(OutboxMessage.attempts))) == 1


# --- the worker loop ---------------------------------------------------------------------------


def test_the_worker_loop_delivers_runs_housekeeping_and_stops_when_told(app, db, scripted_platform, scores_arrive):
    stale = LoginState(state="stale", nonce="stale-nonce", platform_id=scripted_platform.platform.id, created_at=utcnow() - timedelta(days=1))
    db.add(stale)
    message = _queue(db, scripted_platform)

    # Told to stop as soon as the platform has answered the score.
    finished = threading.Thread(target=run_worker, args=(app,), kwargs={"stop": scores_arrive})
    finished.start()
    finished.join(30)

    assert not finished.is_alive()
    assert _reload(db, message).status == DELIVERED
    assert db.get(LoginState, "stale") is None


def test_worker_once_delivers_what_is_due_and_returns_the_count(app, db, scripted_platform):
    _queue(db, scripted_platform)
    _queue(db, scripted_platform, user_sub="5")

    assert run_worker(app, once=True) == 2
    assert run_worker(app, once=True) == 0


# --- the administrator's page --------------------------------------------------------------------


def _tenant_messages(db, platform_row) -> dict[str, OutboxMessage]:
    other = _platform(db, issuer="https://other.example", client_id="other")
    rows = {
        "delivered": _message(platform_row.id, payload={"userId": "4"}, ordering_key="a", status=DELIVERED, attempts=1, last_status_code=204, delivered_at=utcnow()),
        "failed": _message(platform_row.id, payload={"userId": "5"}, ordering_key="b", status=FAILED, attempts=1, last_status_code=400, last_error="userId is not an enrolled learner"),
        "pending": _message(platform_row.id, payload={"userId": "6"}, ordering_key="c", attempts=2, last_status_code=503, last_error="maintenance"),
        "other": _message(other.id, target_url="http://other/s", payload={"userId": "7"}, ordering_key="d", status=FAILED, last_error="OTHER TENANT ERROR"),
    }
    db.add_all(rows.values())
    db.commit()
    return rows


@pytest.fixture
def admin_rows(db, launcher, platform) -> dict[str, OutboxMessage]:
    """An administrator of the test platform is signed in; its deliveries and another tenant's exist."""
    launcher.enter("launch-site-admin-resource-link")
    return _tenant_messages(db, _platform_row(db, platform))


def _admin_token(client) -> str:
    return _csrf(client.get("/admin/outbox").get_data(as_text=True))


def _platform_row(db, test_platform) -> Platform:
    return db.scalars(select(Platform).where(Platform.issuer == test_platform.issuer)).one()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_an_administrator_sees_the_deliveries_of_their_own_platform_with_the_platforms_answer(client, admin_rows):
    page = client.get("/admin/outbox")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert sorted(re.findall(r'data-status="(\w+)"', html)) == ["delivered", "failed", "pending"]
    assert "userId is not an enrolled learner" in html and "maintenance" in html
    assert "OTHER TENANT ERROR" not in html
    assert html.count("Retry now") == 1
    assert f'data-message-id="{admin_rows["other"].id}"' not in html


def test_the_page_says_how_many_stores_of_its_own_platform_wait_for_the_feed_reader(client, db, admin_rows, platform):
    from xapi import feed

    assert 'data-testid="statements-waiting"' not in client.get("/admin/outbox").get_data(as_text=True)
    own = _platform_row(db, platform).id
    feed.record(db, own, ["a"], [])
    feed.record(db, own, ["b", "c"], [])
    feed.record(db, admin_rows["other"].platform_id, ["d"], [])
    db.commit()

    html = client.get("/admin/outbox").get_data(as_text=True)
    waiting = re.search(r'data-testid="statements-waiting">([^<]*)<', html).group(1)
    assert waiting.startswith("2 deliveries of xAPI statements are waiting")


def test_the_page_filters_by_status(client, admin_rows):
    failed = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    unknown = client.get("/admin/outbox?status=everything").get_data(as_text=True)

    assert re.findall(r'data-status="(\w+)"', failed) == ["failed"]
    assert len(re.findall(r'data-status="(\w+)"', unknown)) == 3


def test_a_learner_may_not_see_or_retry_deliveries(client, db, launcher, platform):
    launcher.enter("launch-learner-resource-link")
    rows = _tenant_messages(db, _platform_row(db, platform))

    token = _csrf(client.get("/home").get_data(as_text=True))

    assert client.get("/admin/outbox").status_code == 403
    assert client.post(f"/admin/outbox/{rows['failed'].id}/retry", data={"csrf_token": token}).status_code == 403
    assert _reload(db, rows["failed"]).status == FAILED


def test_without_a_session_the_page_is_refused(client):
    assert client.get("/admin/outbox").status_code == 401


def test_retry_without_a_csrf_token_is_refused_and_changes_nothing(client, db, admin_rows):
    response = client.post(f"/admin/outbox/{admin_rows['failed'].id}/retry", data={"csrf_token": "forged"})

    assert response.status_code == 400
    assert _reload(db, admin_rows["failed"]).status == FAILED


def test_retry_now_puts_a_failed_delivery_back_in_the_queue(client, db, admin_rows):
    response = client.post(f"/admin/outbox/{admin_rows['failed'].id}/retry", data={"csrf_token": _admin_token(client)})

    assert response.status_code == 302
    retried = _reload(db, admin_rows["failed"])
    assert (retried.status, retried.attempts) == (PENDING, 0)
    assert retried.next_attempt_at <= utcnow()
    assert "tried again" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("which", ["other", "delivered", "pending"])
def test_retry_refuses_another_tenants_or_a_not_failed_delivery(client, db, admin_rows, which):
    before = _reload(db, admin_rows[which]).status

    response = client.post(f"/admin/outbox/{admin_rows[which].id}/retry", data={"csrf_token": _admin_token(client)})

    assert response.status_code == 404
    assert _reload(db, admin_rows[which]).status == before


# --- the embedded worker (leerpaspoort serve) ----------------------------------------------------


def test_of_two_embedded_workers_one_delivers_and_the_other_takes_over_when_it_stops(app, db, scripted_platform, scores_arrive, tmp_path):
    from lti_tool.outbox.embedded import EmbeddedWorker

    lock = tmp_path / "outbox-worker.lock"
    first = EmbeddedWorker(app, lock, standby=0.05).start()
    assert first.active.wait(10)
    second = EmbeddedWorker(app, lock, standby=0.05).start()
    try:
        message = _queue(db, scripted_platform)
        assert scores_arrive.wait(20)
        assert not second.active.is_set()

        first.stop()
        assert second.active.wait(10)
    finally:
        first.stop()
        second.stop()

    assert not first._thread.is_alive() and not second._thread.is_alive()
    assert _reload(db, message).status == DELIVERED
    assert len(_sent_scores(scripted_platform)) == 1


def test_no_embedded_worker_starts_when_the_setting_is_off(app):
    from lti_tool.outbox.embedded import start_embedded_worker

    assert app.extensions["leerpaspoort.settings"].outbox_embedded_worker is False
    assert start_embedded_worker(app) is None


def test_gunicorn_with_the_embedded_worker_delivers_the_outbox_and_stops_on_sigterm(db, scripted_platform, scores_arrive, settings_overrides, tmp_path):
    import signal
    import subprocess
    import sys

    from lti_tool.settings import PROJECT_DIR

    message = _queue(db, scripted_platform)
    port = free_port()
    env = _process_env(settings_overrides, tmp_path, outbox_embedded_worker="true", bind=f"127.0.0.1:{port}", workers="2")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_DIR / "config" / "gunicorn.conf.py"), "lti_tool.wsgi:app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        delivered = scores_arrive.wait(60)
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)

    assert delivered, stderr.decode()[-2000:]
    assert server.returncode == 0, stderr.decode()[-2000:]
    assert _reload(db, message).status == DELIVERED
    assert len(_sent_scores(scripted_platform)) == 1


def test_housekeeping_removes_old_delivered_messages_and_expired_tokens_but_keeps_failures(app, db):
    from lti_tool.housekeeping import run_housekeeping
    from lti_tool.lti.models import ServiceToken

    platform = _platform(db)
    old = utcnow() - timedelta(days=31)
    db.add_all([
        _message(platform.id, ordering_key="a", status=DELIVERED, delivered_at=old, created_at=old),
        _message(platform.id, ordering_key="b", status=DELIVERED, delivered_at=utcnow()),
        _message(platform.id, ordering_key="c", status=FAILED, created_at=old),
    ])
    db.add_all([
        ServiceToken(platform_id=platform.id, scope_key="expired", access_token="x", expires_at=utcnow() - timedelta(minutes=1)),
        ServiceToken(platform_id=platform.id, scope_key="valid", access_token="y", expires_at=utcnow() + timedelta(minutes=30)),
    ])
    db.commit()

    removed = run_housekeeping(db, app.extensions["leerpaspoort.settings"])
    db.commit()

    assert (removed["outbox_delivered"], removed["service_tokens"]) == (1, 1)
    left = {m.ordering_key for m in db.scalars(select(OutboxMessage))}
    assert left == {"b", "c"}
    assert [t.scope_key for t in db.scalars(select(ServiceToken))] == ["valid"]


def test_the_worker_command_delivers_and_stops_cleanly_on_sigterm(db, scripted_platform, scores_arrive, settings_overrides, tmp_path):
    import signal
    import subprocess
    import sys
    from pathlib import Path

    message = _queue(db, scripted_platform)
    env = _process_env(settings_overrides, tmp_path)
    command = Path(sys.executable).with_name("leerpaspoort")
    worker_process = subprocess.Popen([str(command), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        delivered = scores_arrive.wait(60)
    finally:
        worker_process.send_signal(signal.SIGTERM)
        _, stderr = worker_process.communicate(timeout=60)

    log = stderr.decode()
    assert delivered, log[-2000:]
    assert worker_process.returncode == 0, log[-2000:]
    assert "stopping after the current message" in log
    assert _reload(db, message).status == DELIVERED


@pytest.mark.parametrize(
    "overrides",
    [
        {"outbox_retry_base_delay": 0},
        {"outbox_retry_base_delay": 600, "outbox_retry_max_delay": 60},
        {"outbox_max_attempts": 0},
        {"outbox_poll_interval": -1},
        {"outbox_housekeeping_interval": 0},
    ],
)
def test_outbox_settings_that_would_stall_or_hammer_the_queue_are_refused(overrides):
    from lti_tool.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="outbox_"):
        load_settings(overrides, environ={})


def test_the_production_example_runs_the_worker_as_its_own_service():
    import tomllib

    from lti_tool.settings import PROJECT_DIR

    production = tomllib.loads((PROJECT_DIR / "config" / "production.example.toml").read_text())
    default = tomllib.loads((PROJECT_DIR / "config" / "default.toml").read_text())

    assert production["outbox"]["embedded_worker"] is False
    assert default["outbox"]["embedded_worker"] is True


def test_retry_refuses_a_failed_score_that_a_newer_one_has_replaced(client, db, launcher, platform):
    launcher.enter("launch-site-admin-resource-link")
    tenant = _platform_row(db, platform)
    older = _message(tenant.id, payload={"userId": "5", "scoreGiven": 3}, status=FAILED, last_status_code=400)
    newer = _message(tenant.id, payload={"userId": "5", "scoreGiven": 9}, status=DELIVERED, delivered_at=utcnow())
    db.add(older)
    db.flush()
    db.add(newer)
    db.commit()

    response = client.post(f"/admin/outbox/{older.id}/retry", data={"csrf_token": _admin_token(client)})

    assert response.status_code == 302
    assert _reload(db, older).status == FAILED
    assert "outdated" in client.get(response.headers["Location"]).get_data(as_text=True)
