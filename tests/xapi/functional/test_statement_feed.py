"""The stored-statements feed: a row per storing commit, read after the commit, at least once."""

from __future__ import annotations

import gc
import runpy
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from tests.xapi.conftest import make_statement, new_id
from xapi import feed, hooks
from xapi.models import StoredBatch, utcnow
from xapi.statement_store import Writer, store_statements

PROJECT_DIR = Path(__file__).resolve().parents[3]


@pytest.fixture
def heard():
    """Every callback call: (tenant, ids, voided ids, the thread it ran in)."""
    calls = []

    def callback(tenant_id, statement_ids, voided_ids):
        calls.append((tenant_id, statement_ids, voided_ids, threading.current_thread()))

    hooks.on_statements_stored(callback)
    yield calls
    hooks.remove_callback(callback)


def _rows(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(StoredBatch))


def _store(db, *statements, tenant_id=1) -> list[str]:
    """Store and commit the way a process does that stops right after the commit."""
    writer = Writer(tenant_id=tenant_id, authority={"objectType": "Agent", "mbox": "mailto:lrs@example.com"})
    result = store_statements(db, writer, list(statements), version="1.0.3")
    db.commit()
    return result.stored_ids


def _wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def test_a_store_writes_its_feed_row_in_the_same_transaction(db):
    writer = Writer(tenant_id=1, authority={"objectType": "Agent", "mbox": "mailto:lrs@example.com"})
    store_statements(db, writer, [make_statement()], version="1.0.3")
    db.rollback()
    assert _rows(db) == 0
    _store(db, make_statement(), make_statement())
    assert _rows(db) == 1


def test_a_post_without_a_reader_runs_the_callbacks_before_it_answers_and_empties_the_feed(lrs, db, heard):
    statement_id = new_id()
    assert lrs.post("statements", json_body=make_statement(id=statement_id)).status_code == 200
    assert [(tenant, ids) for tenant, ids, _, _ in heard] == [(1, [statement_id])]
    assert heard[0][3] is threading.current_thread()
    assert _rows(db) == 0


def test_a_repeated_or_refused_post_leaves_no_row(lrs, db, heard):
    statement = make_statement(id=new_id())
    lrs.post("statements", json_body=statement)
    assert lrs.post("statements", json_body=statement).status_code == 200  # nothing new stored
    assert lrs.post("statements", json_body={**statement, "result": {"success": True}}).status_code == 409
    assert _rows(db) == 0
    assert len(heard) == 1


def test_rows_left_by_a_process_that_stopped_after_its_commit_are_read_by_the_next_drain(app, db, heard):
    first = _store(db, make_statement())
    second = _store(db, make_statement(), make_statement())
    assert heard == [] and _rows(db) == 2
    assert feed.drain(app) == 3
    # Commits of one tenant reach the callbacks together, in storing order.
    assert [(tenant, ids) for tenant, ids, _, _ in heard] == [(1, first + second)]
    assert _rows(db) == 0


def test_each_tenant_hears_only_its_own_statements(app, db, heard):
    ours = _store(db, make_statement(), tenant_id=1)
    theirs = _store(db, make_statement(), tenant_id=2)
    feed.drain(app)
    assert sorted((tenant, ids) for tenant, ids, _, _ in heard) == [(1, ours), (2, theirs)]


def test_voided_ids_travel_with_the_voiding_statement(app, db, heard):
    target = new_id()
    _store(db, make_statement(id=target))
    voider = make_statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"}, object={"objectType": "StatementRef", "id": target})
    _store(db, voider)
    feed.drain(app)
    assert heard[0][2] == [target]


def test_a_row_claimed_by_a_live_reader_is_left_alone_and_a_lapsed_claim_is_read_again(app, db, heard):
    _store(db, make_statement())
    db.execute(update(StoredBatch).values(claimed_by="another-reader", claimed_until=utcnow() + timedelta(minutes=1)))
    db.commit()
    assert feed.drain(app) == 0 and heard == []
    db.execute(update(StoredBatch).values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert feed.drain(app) == 1
    assert _rows(db) == 0


def test_a_failing_callback_still_consumes_the_row_and_the_others_run(app, db, heard):
    def broken(*_):
        raise RuntimeError("evidence builder is down")

    hooks.on_statements_stored(broken)
    try:
        stored = _store(db, make_statement())
        feed.drain(app)
    finally:
        hooks.remove_callback(broken)
    assert [ids for _, ids, _, _ in heard] == [stored]
    assert _rows(db) == 0


def test_with_a_reader_the_post_answers_first_and_the_reader_runs_the_callbacks(app, lrs, db, heard):
    reader = feed.start_reader(app)
    try:
        statement_id = new_id()
        assert lrs.post("statements", json_body=make_statement(id=statement_id)).status_code == 200
        _wait_for(lambda: heard)
        tenant, ids, _, thread = heard[0]
        assert (tenant, ids) == (1, [statement_id])
        assert thread.name == "leerpaspoort-statement-feed"
        _wait_for(lambda: _rows(db) == 0)
    finally:
        reader.stop()
    assert not reader.running


def test_a_new_reader_catches_up_with_rows_from_before_it_started(app, db, heard):
    stored = _store(db, make_statement())
    reader = feed.start_reader(app)
    try:
        _wait_for(lambda: heard)
    finally:
        reader.stop()
    assert heard[0][1] == stored


def test_once_the_reader_has_stopped_a_post_drains_the_feed_itself(app, lrs, db, heard):
    feed.start_reader(app).stop()
    lrs.post("statements", json_body=make_statement())
    assert len(heard) == 1 and heard[0][3] is threading.current_thread()


def test_the_worker_command_reads_rows_left_in_the_feed(app, db, heard):
    from lti_tool.outbox.worker import run_worker

    stored = _store(db, make_statement())
    run_worker(app, once=True)
    assert heard[0][1] == stored and _rows(db) == 0


def test_every_gunicorn_worker_starts_a_reader_and_stops_it_on_exit(settings_overrides, monkeypatch):
    for name, value in settings_overrides.items():
        monkeypatch.setenv(f"LEERPASPOORT_{name.upper()}", str(value))
    monkeypatch.delitem(sys.modules, "lti_tool.wsgi", raising=False)
    config = runpy.run_path(str(PROJECT_DIR / "config" / "gunicorn.conf.py"))
    worker = type("Worker", (), {})()
    try:
        config["post_worker_init"](worker)
        from lti_tool.wsgi import app

        assert app.extensions[feed.READER_KEY] is worker.leerpaspoort_feed
        assert worker.leerpaspoort_feed.running
    finally:
        config["worker_exit"](None, worker)
        sys.modules.pop("lti_tool.wsgi", None)
        gc.unfreeze()  # post_worker_init froze everything this test process holds
    assert not worker.leerpaspoort_feed.running


# --- how long a woken reader gathers commits ---------------------------------------------------


def _gather_while_committing(app, monkeypatch, *, step, limit, commits, every):
    """Run one reader's gathering while another thread announces a commit every `every` seconds;
    return (seconds it gathered, commits announced meanwhile)."""
    monkeypatch.setattr(feed, "GATHER_STEP", step)
    monkeypatch.setattr(feed, "GATHER_LIMIT", limit)
    monkeypatch.setattr(feed, "GATHER_COMMITS", commits)
    reader = feed.FeedReader(app)  # not started: _gather runs on this thread
    done = threading.Event()

    def committing():
        while every is not None and not done.wait(every):
            reader.wake()

    announcer = threading.Thread(target=committing, daemon=True)
    announcer.start()
    start = time.monotonic()
    before = reader._announced
    reader._gather()
    took, announced = time.monotonic() - start, reader._announced - before
    done.set()
    announcer.join()
    return took, announced


def test_a_lone_commit_is_read_after_one_gathering_step(app, monkeypatch):
    took, announced = _gather_while_committing(app, monkeypatch, step=0.05, limit=30.0, commits=1000, every=None)
    assert announced == 0
    assert 0.05 <= took < 5.0  # one step, far below the limit


def test_while_commits_keep_coming_the_reader_gathers_until_it_has_enough(app, monkeypatch):
    took, announced = _gather_while_committing(app, monkeypatch, step=0.2, limit=30.0, commits=20, every=0.005)
    assert announced >= 20
    assert took < 15.0  # stopped by the count, not the limit


def test_gathering_never_outlasts_its_limit(app, monkeypatch):
    took, announced = _gather_while_committing(app, monkeypatch, step=0.05, limit=0.3, commits=10**9, every=0.002)
    assert announced > 1
    assert 0.3 <= took < 5.0


def test_stopping_the_reader_ends_its_gathering(app, monkeypatch):
    monkeypatch.setattr(feed, "GATHER_STEP", 30.0)
    reader = feed.FeedReader(app)
    threading.Timer(0.1, reader._stopping.set).start()
    start = time.monotonic()
    reader._gather()
    assert time.monotonic() - start < 10.0


def test_a_reader_goes_on_reading_while_its_rounds_come_back_full(app, db, heard):
    stored = [_store(db, make_statement())[0] for _ in range(feed.ROWS_PER_CLAIM + 1)]
    reader = feed.FeedReader(app, poll_interval=600).start()  # only its start wakes it
    try:
        _wait_for(lambda: sum(len(ids) for _, ids, _, _ in heard) == len(stored), timeout=60)
    finally:
        reader.stop()
    assert [i for _, ids, _, _ in heard for i in ids] == stored
    assert _rows(db) == 0


def test_a_reader_finds_the_rows_it_claimed_through_an_index(db):
    dialect = db.get_bind().dialect
    if dialect.name != "sqlite":
        pytest.skip("the plan read here is SQLite's; PostgreSQL plans by its statistics")
    sql = str(feed._CLAIMED.compile(dialect=dialect))
    plan = [row[-1] for row in db.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, ("a-token",))]
    assert any("ix_xapi_stored_batches_claimed_by" in step for step in plan), plan
