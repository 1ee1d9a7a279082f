"""begin_writing: the store takes SQLite's write lock in short steps and gives up as SQLite would."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy.exc import OperationalError

from lti_tool.db import build_engine
from xapi import write_lock
from xapi.write_lock import begin_writing


@pytest.fixture
def sqlite_engine(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's; PostgreSQL locks rows")
    engine = build_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def other_writer(sqlite_engine, database_url):
    """A second connection to the same file, as another gunicorn worker would hold."""
    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")  # as the app's connections leave the file
    connection.execute("PRAGMA busy_timeout=0")
    yield connection
    if connection.in_transaction:
        connection.rollback()
    connection.close()


def _busy_timeout(connection) -> int:
    return connection.exec_driver_sql("PRAGMA busy_timeout").scalar()


def test_the_transaction_holds_the_write_lock_until_it_ends(sqlite_engine, other_writer):
    with sqlite_engine.connect() as connection:
        begin_writing(connection)
        assert connection.connection.dbapi_connection.in_transaction
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other_writer.execute("BEGIN IMMEDIATE")
        connection.commit()
    other_writer.execute("BEGIN IMMEDIATE")  # free again


def test_it_waits_in_short_steps_and_takes_the_lock_once_it_is_free(sqlite_engine, other_writer, monkeypatch):
    other_writer.execute("BEGIN IMMEDIATE")
    steps = []
    real_sleep = write_lock.time.sleep

    def sleep(seconds):
        steps.append(seconds)
        if len(steps) == 7:
            other_writer.commit()  # the other worker finishes while this one waits
        real_sleep(seconds)

    monkeypatch.setattr(write_lock.time, "sleep", sleep)
    with sqlite_engine.connect() as connection:
        begin_writing(connection)
        assert connection.connection.dbapi_connection.in_transaction
        assert steps == [0.0001, 0.0002, 0.0004, 0.0008, 0.001, 0.001, 0.001]
        assert _busy_timeout(connection) == 30000  # the connection's own wait is back for later statements
        connection.rollback()


def test_it_gives_up_when_busy_timeout_would_have(sqlite_engine, other_writer):
    other_writer.execute("BEGIN IMMEDIATE")
    with sqlite_engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA busy_timeout=50")
        with pytest.raises(OperationalError, match="database is locked"):
            begin_writing(connection)
        assert not connection.connection.dbapi_connection.in_transaction
        assert _busy_timeout(connection) == 50


def test_a_transaction_that_already_began_is_left_alone(sqlite_engine, other_writer):
    with sqlite_engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")  # SQLAlchemy's transaction, not yet SQLite's
        connection.exec_driver_sql("CREATE TABLE scratch (n INTEGER)")
        connection.exec_driver_sql("INSERT INTO scratch VALUES (1)")  # the driver's BEGIN, lock taken
        begin_writing(connection)  # no second BEGIN, which SQLite would refuse
        connection.commit()
    other_writer.execute("BEGIN IMMEDIATE")


def test_concurrent_writers_all_get_their_turn(sqlite_engine):
    with sqlite_engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE turns (writer INTEGER, n INTEGER)")
    errors = []

    def writer(number: int) -> None:
        try:
            for n in range(50):
                with sqlite_engine.connect() as connection:
                    begin_writing(connection)
                    connection.exec_driver_sql(f"INSERT INTO turns VALUES ({number}, {n})")
                    connection.commit()
        except Exception as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM turns").scalar() == 200


def test_postgresql_is_left_to_its_own_locks(app, db):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    connection = db.connection()
    begin_writing(connection)  # nothing to do, and nothing run
    assert connection.exec_driver_sql("SELECT 1").scalar() == 1


def test_a_document_write_waits_for_the_lock_in_short_steps_before_it_reads(db, other_writer, monkeypatch):
    from xapi import documents

    scope = documents.DocumentScope(documents.STATE, activity_id="https://leerpaspoort.example/a", agent_key="mbox:x", registration=None)
    anything = documents.Preconditions()
    now = datetime.now(timezone.utc)
    documents.put_document(db, 1, scope, "bookmark", b'{"page": 1}', "application/json", anything, now=now, require_precondition=False)
    db.commit()
    other_writer.execute("BEGIN IMMEDIATE")  # another worker is writing
    other_writer.execute("UPDATE xapi_documents SET content = X'7b2270616765223a20327d'")  # {"page": 2}
    steps = []
    real_sleep = write_lock.time.sleep

    def sleep(seconds):
        steps.append(seconds)
        if len(steps) == 3:
            other_writer.commit()
        real_sleep(seconds)

    monkeypatch.setattr(write_lock.time, "sleep", sleep)
    documents.post_document(db, 1, scope, "bookmark", b'{"score": 9}', "application/json", anything, now=now)
    db.commit()

    assert steps == [0.0001, 0.0002, 0.0004]
    # Merged into what the other writer committed while this one waited: it read after the lock.
    assert json.loads(documents.get_document(db, 1, scope, "bookmark").content) == {"page": 2, "score": 9}
