"""Forwarding new statements to an external LRS (a second instance of ours) through the outbox."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from lti_tool.db import session_factory, utcnow
from lti_tool.lrs_forward import FORWARD_KIND
from lti_tool.lrs_pull import pull, pull_authority
from lti_tool.lti.models import Platform
from lti_tool.outbox.models import DELIVERED, FAILED, PENDING, OutboxMessage
from lti_tool.outbox.worker import OutboxWorker
from lti_tool.settings import SettingsError, load_settings
from tests.support.remote_lrs import (  # noqa: F401  (fixtures)
    faulty_proxy,
    remote_database_url,
    remote_lrs,
    remote_migrated_database,
)
from xapi.client import RemoteLRSClient

VERBS = "http://adlnet.gov/expapi/verbs/"


def statement(verb: str = "experienced", **extra) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:ali@example.nl"},
        "verb": {"id": VERBS + verb},
        "object": {"objectType": "Activity", "id": "https://leerpaspoort.example/modules/ehbo"},
    }
    body.update(extra)
    return body


@pytest.fixture
def settings_overrides(settings_overrides, faulty_proxy, remote_lrs):
    """Our application forwards to the external LRS, reached through the fault-injecting proxy."""
    return {
        **settings_overrides,
        "lrs_forward_endpoint": faulty_proxy.endpoint(),
        "lrs_forward_key": remote_lrs.key,
        "lrs_forward_secret": remote_lrs.secret,
    }


@pytest.fixture
def tenant(db, platform) -> Platform:
    return db.scalars(select(Platform).where(Platform.issuer == platform.issuer)).one()


@pytest.fixture
def post(app, db, client, tenant):
    from xapi.auth import credential_pepper
    from xapi.credentials import create_credential

    made = create_credential(db, tenant_id=tenant.id, name="module", scopes=("all",), pepper=credential_pepper(app))
    db.commit()
    token = base64.b64encode(f"{made.key}:{made.secret}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}

    def send(*statements, expect=200):
        response = client.post("/xapi/statements", data=json.dumps(list(statements)), headers=headers, content_type="application/json")
        assert response.status_code == expect, response.get_data(as_text=True)

    return send


def forwards(db) -> list[OutboxMessage]:
    db.expire_all()
    return db.scalars(select(OutboxMessage).where(OutboxMessage.kind == FORWARD_KIND).order_by(OutboxMessage.id)).all()


def make_due(db) -> None:
    """Let the backoff pass, as if the retry delay had gone by."""
    db.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.commit()


def test_new_statements_are_queued_with_the_store_and_delivered_as_one_batch(app, post, db, tenant, remote_lrs, faulty_proxy):
    sent = [statement() for _ in range(3)]
    post(*sent)

    (message,) = forwards(db)
    assert message.payload == {"tenant_id": tenant.id, "statement_ids": [s["id"] for s in sent]}
    assert (message.status, message.platform_id) == (PENDING, tenant.id)

    OutboxWorker(app).drain()

    assert forwards(db)[0].status == DELIVERED
    assert remote_lrs.statement_ids() == [s["id"] for s in sent]
    assert faulty_proxy.count("POST") == 1


def test_a_refused_store_queues_nothing(post, db):
    kept = statement()
    post(kept)
    post({**statement("failed"), "id": kept["id"]}, statement(), expect=409)
    assert len(forwards(db)) == 1  # only the first request's


def test_a_repeated_statement_is_not_forwarded_twice(post, db):
    same = statement()
    post(same)
    post(same)
    assert len(forwards(db)) == 1


def test_a_5xx_is_retried_with_backoff_and_then_delivered(app, post, db, remote_lrs, faulty_proxy):
    sent = statement()
    post(sent)
    faulty_proxy.fail_next = 1

    OutboxWorker(app).drain()
    (message,) = forwards(db)
    assert (message.status, message.attempts, message.last_status_code) == (PENDING, 1, 503)
    assert message.next_attempt_at > utcnow()
    assert remote_lrs.statement_ids() == []

    make_due(db)
    OutboxWorker(app).drain()
    assert forwards(db)[0].status == DELIVERED
    assert remote_lrs.statement_ids() == [sent["id"]]


def test_a_4xx_fails_for_good_without_retrying(app, post, db, faulty_proxy):
    post(statement())
    faulty_proxy.fail_next, faulty_proxy.fail_status = 1, 400
    OutboxWorker(app).drain()
    (message,) = forwards(db)
    assert (message.status, message.attempts, message.last_status_code) == (FAILED, 1, 400)
    assert "injected failure" in message.last_error


def test_one_statement_the_remote_refuses_does_not_hold_back_the_rest_of_its_batch(app, post, db, remote_lrs, faulty_proxy):
    sent = [statement() for _ in range(5)]
    refused = sent[3]
    refused["context"] = {"extensions": {"https://leerpaspoort.example/x/note": "not-for-that-lrs"}}
    post(*sent)
    faulty_proxy.refuse_marker = b"not-for-that-lrs"  # a rule of the external LRS's own

    OutboxWorker(app).drain()

    (message,) = forwards(db)
    assert (message.status, message.attempts, message.last_status_code) == (FAILED, 1, 400)
    assert "4 of 5 statements were forwarded" in message.last_error
    assert refused["id"] in message.last_error and "injected failure" in message.last_error
    assert sorted(remote_lrs.statement_ids()) == sorted(s["id"] for s in sent if s is not refused)
    assert faulty_proxy.count("POST") <= 2 * len(sent) - 1


def _split_under_a_lease_of_nothing(post, faulty_proxy, monkeypatch) -> None:
    """Five statements of which the remote refuses one, so the batch is split over several
    POSTs, with a lease so short that each request of the split finds it half gone."""
    import lti_tool.lrs_forward

    sent = [statement() for _ in range(5)]
    sent[3]["context"] = {"extensions": {"https://leerpaspoort.example/x/note": "not-for-that-lrs"}}
    post(*sent)
    faulty_proxy.refuse_marker = b"not-for-that-lrs"
    monkeypatch.setattr(lti_tool.lrs_forward, "lease_for", lambda _settings: timedelta(0))


def test_a_long_split_renews_the_lease_before_each_request(app, post, db, remote_lrs, faulty_proxy, monkeypatch):
    import lti_tool.outbox.services

    _split_under_a_lease_of_nothing(post, faulty_proxy, monkeypatch)
    renewals = []
    renew = lti_tool.outbox.services.renew_lease
    monkeypatch.setattr(lti_tool.outbox.services, "renew_lease", lambda *args, **kw: (renewals.append(args[1]), renew(*args, **kw)))

    OutboxWorker(app).drain()

    (message,) = forwards(db)
    assert (message.status, message.attempts) == (FAILED, 1)  # the outcome was recorded, not lost
    assert "4 of 5 statements were forwarded" in message.last_error
    assert len(renewals) == faulty_proxy.count("POST") > 1 and set(renewals) == {message.id}


def test_a_split_stops_when_another_worker_took_the_message_over(app, post, db, remote_lrs, faulty_proxy, monkeypatch):
    _split_under_a_lease_of_nothing(post, faulty_proxy, monkeypatch)

    def taken_over(method, _path):
        if method == "POST" and faulty_proxy.count("POST") == 1:  # the lease ran out during the first request
            with session_factory(app)() as other:
                other.execute(update(OutboxMessage).values(locked_by="worker-b", locked_until=utcnow() + timedelta(minutes=5)))
                other.commit()

    faulty_proxy.on_request = taken_over
    OutboxWorker(app).drain()

    (message,) = forwards(db)
    assert (message.status, message.locked_by, message.attempts) == (PENDING, "worker-b", 0)
    assert faulty_proxy.count("POST") == 1  # no second request once the lease was gone


def test_a_batch_too_large_for_the_remote_is_sent_in_smaller_parts(app, post, db, remote_lrs, faulty_proxy):
    sent = [statement(result={"response": "x" * 400}) for _ in range(6)]
    post(*sent)
    faulty_proxy.max_body = 1500  # room for two of these statements, not six

    OutboxWorker(app).drain()

    (message,) = forwards(db)
    assert message.status == DELIVERED, message.last_error
    assert sorted(remote_lrs.statement_ids()) == sorted(s["id"] for s in sent)
    assert faulty_proxy.count("POST") > 1


def test_a_429_is_retried_after_the_time_the_remote_asks_for(app, post, db, remote_lrs, faulty_proxy):
    sent = statement()
    post(sent)
    faulty_proxy.fail_next, faulty_proxy.fail_status, faulty_proxy.retry_after = 1, 429, "600"

    before = utcnow()
    OutboxWorker(app).drain()

    (message,) = forwards(db)
    assert (message.status, message.last_status_code) == (PENDING, 429)
    wait = (message.next_attempt_at.replace(tzinfo=before.tzinfo) - before).total_seconds()
    assert 595 <= wait <= 610, wait  # the remote's 600 s, not the outbox's own backoff
    assert remote_lrs.statement_ids() == []

    make_due(db)
    OutboxWorker(app).drain()
    assert forwards(db)[0].status == DELIVERED
    assert remote_lrs.statement_ids() == [sent["id"]]


def test_two_workers_deliver_each_batch_exactly_once(app, post, db, remote_lrs, faulty_proxy):
    sent = [statement() for _ in range(4)]
    for one in sent:
        post(one)
    workers = [OutboxWorker(app, worker_id=f"worker-{n}") for n in (1, 2)]
    threads = [threading.Thread(target=worker.drain) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [m.status for m in forwards(db)] == [DELIVERED] * 4
    assert faulty_proxy.count("POST") == 4
    assert sorted(remote_lrs.statement_ids()) == sorted(s["id"] for s in sent)


def test_a_statement_the_remote_already_has_counts_as_delivered(app, post, db, remote_lrs):
    # With its own timestamp: without one, each LRS would fill in its own `stored` time.
    known = statement(timestamp="2026-11-02T09:00:00.000Z")
    RemoteLRSClient(remote_lrs.endpoint, key=remote_lrs.key, secret=remote_lrs.secret).post_statements([known])
    post(known, statement())
    OutboxWorker(app).drain()
    (message,) = forwards(db)
    assert message.status == DELIVERED, message.last_error
    assert len(remote_lrs.statement_ids()) == 2


def test_a_409_from_an_lrs_that_refuses_repeats_delivers_what_it_lacks(app, post, db, remote_lrs, faulty_proxy):
    first, second = statement(), statement()
    post(first)
    OutboxWorker(app).drain()
    post(second)
    # Send the first again in the second batch, as after an answer lost on the way back.
    message = forwards(db)[1]
    message.payload = {**message.payload, "statement_ids": [first["id"], second["id"]]}
    db.commit()
    faulty_proxy.fail_next, faulty_proxy.fail_status = 1, 409  # some LRSs answer a known id with 409

    OutboxWorker(app).drain()

    assert [m.status for m in forwards(db)] == [DELIVERED, DELIVERED]
    assert remote_lrs.statement_ids() == [first["id"], second["id"]]


def test_an_lrs_that_answers_every_post_with_409_fails_the_batch_instead_of_looping(app, post, db, remote_lrs, faulty_proxy):
    post(statement(), statement())
    # It has none of them (GET answers 404), yet refuses every POST of them.
    faulty_proxy.fail_next, faulty_proxy.fail_status, faulty_proxy.fail_method = 1000, 409, "POST"

    OutboxWorker(app).drain()

    (message,) = forwards(db)
    assert (message.status, message.last_status_code) == (FAILED, 409)
    assert faulty_proxy.count("POST") == 2  # the batch, then once more only what it lacks


def test_a_different_statement_under_the_same_id_at_the_remote_is_reported_and_the_rest_delivered(app, post, db, remote_lrs):
    clash, fine = statement("completed"), statement()
    RemoteLRSClient(remote_lrs.endpoint, key=remote_lrs.key, secret=remote_lrs.secret).post_statements([{**clash, "verb": {"id": VERBS + "failed"}}])
    post(clash, fine)

    OutboxWorker(app).drain()

    (message,) = forwards(db)
    assert (message.status, message.last_status_code) == (FAILED, 409)
    assert clash["id"] in message.last_error
    assert sorted(remote_lrs.statement_ids()) == sorted([clash["id"], fine["id"]])


def test_statements_pulled_from_the_forward_target_are_not_sent_back(app, db, tenant, remote_lrs, faulty_proxy):
    remote = RemoteLRSClient(remote_lrs.endpoint, key=remote_lrs.key, secret=remote_lrs.secret)
    remote.post_statements([statement(), statement()])
    through_target = RemoteLRSClient(faulty_proxy.endpoint(), key=remote_lrs.key, secret=remote_lrs.secret)
    with app.app_context():
        report = pull(app, through_target, tenant_id=tenant.id, authority=pull_authority(through_target.endpoint))
    assert report.imported == 2
    assert forwards(db) == []

    # From another LRS (here: the same one under another URL), pulled statements are forwarded.
    remote.post_statements([statement()])
    with app.app_context():
        pull(app, remote, tenant_id=tenant.id, authority=pull_authority(remote.endpoint))
    assert len(forwards(db)) == 1


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"lrs_forward_endpoint": "lrs.example.nl/xapi"}, "http:// or https://"),
        ({"lrs_forward_endpoint": "https://lrs.example.nl/xapi/?tenant=1"}, "query string"),
        ({"lrs_forward_endpoint": "https://lrs.example.nl/xapi/"}, "LEERPASPOORT_LRS_FORWARD_SECRET"),
        ({"lrs_forward_endpoint": "https://lrs.example.nl/xapi/", "lrs_forward_key": "k", "lrs_forward_secret": "s", "lrs_forward_version": "0.9"}, "lrs_forward_version"),
    ],
)
def test_forward_settings_are_checked_at_start(overrides, message):
    with pytest.raises(SettingsError, match=message):
        load_settings({"env": "test", **overrides}, environ={})


def test_forwarding_is_off_by_default():
    assert load_settings({"env": "test"}, environ={}).lrs_forward_endpoint == ""


def test_a_failure_inside_the_storing_transaction_stores_nothing(app, client, post, db):
    import xapi

    def broken(session, tenant_id, statement_ids):
        raise RuntimeError("the outbox is unavailable")

    xapi.hooks.on_statements_storing(broken)
    try:
        post(statement(), expect=500)
    finally:
        xapi.hooks.remove_storing_callback(broken)
    from xapi.models import Statement

    db.expire_all()
    assert db.scalars(select(Statement)).all() == []
    assert forwards(db) == []


def test_an_administrator_can_retry_a_failed_batch_after_newer_ones_went_out(app, post, db, tenant, remote_lrs, faulty_proxy):
    from lti_tool.outbox.services import retry_now

    failing, later = statement(), statement()
    post(failing)
    faulty_proxy.fail_next, faulty_proxy.fail_status = 1, 400
    OutboxWorker(app).drain()
    post(later)
    OutboxWorker(app).drain()
    assert [m.status for m in forwards(db)] == [FAILED, DELIVERED]

    assert retry_now(db, platform_id=tenant.id, message_id=forwards(db)[0].id) is not None
    db.commit()
    OutboxWorker(app).drain()

    assert [m.status for m in forwards(db)] == [DELIVERED, DELIVERED]
    assert sorted(remote_lrs.statement_ids()) == sorted([failing["id"], later["id"]])


def test_a_tenant_without_a_platform_still_forwards(app, db, remote_lrs):
    from lti_tool.lrs_forward import enqueue_forward

    (message,) = enqueue_forward(db, app.extensions["leerpaspoort.settings"], 424242, [str(uuid.uuid4())])
    db.commit()
    assert (message.platform_id, message.status) == (None, PENDING)



def test_the_administrator_s_outbox_page_names_forwarded_statements(app, post, db, launcher, faulty_proxy):
    post(statement())
    faulty_proxy.fail_next, faulty_proxy.fail_status = 1, 400
    OutboxWorker(app).drain()
    launcher.enter("launch-site-admin-resource-link")

    html = launcher.client.get("/admin/outbox").get_data(as_text=True)

    assert "Statements to the external LRS" in html
    assert "<code>400</code>" in html
