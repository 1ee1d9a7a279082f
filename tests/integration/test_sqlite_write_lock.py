"""SQLite writers queue on a lock file in the kernel: held from a transaction's first write to
its end, never by readers, and honoured across processes (lti_tool/sqlite_write_lock.py)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
import threading

import pytest
from sqlalchemy import text

from lti_tool import sqlite_write_lock
from lti_tool.db import build_engine


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "lock.db"
    engine = build_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    yield path, engine
    engine.dispose()


def lock_is_free(path) -> bool:
    """Whether another open file could take the write lock now (without waiting)."""
    descriptor = os.open(sqlite_write_lock.lock_path(str(path)), os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO notes (body) VALUES ('a')",
        "  insert into notes (body) values ('a')",
        "UPDATE notes SET body = 'b'",
        "DELETE FROM notes",
        "REPLACE INTO notes (id, body) VALUES (1, 'c')",
        "CREATE TABLE other (id INTEGER)",
        "BEGIN IMMEDIATE",
        "WITH recent AS (SELECT 1 AS id) DELETE FROM notes WHERE id IN (SELECT id FROM recent)",
    ],
)
def test_statements_that_write_take_the_lock(sql):
    assert sqlite_write_lock.writes(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM notes",
        "WITH recent AS (SELECT 1 AS id) SELECT id FROM recent",
        "PRAGMA journal_mode",
        "BEGIN",
        "SAVEPOINT sa_savepoint_1",
        "RELEASE SAVEPOINT sa_savepoint_1",
        "SELECT updated_at FROM notes",
    ],
)
def test_statements_that_only_read_do_not(sql):
    assert not sqlite_write_lock.writes(sql)


def test_a_write_holds_the_lock_until_commit(database):
    path, engine = database
    with engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM notes"))
        assert lock_is_free(path)
        connection.execute(text("INSERT INTO notes (body) VALUES ('first')"))
        assert not lock_is_free(path)
        connection.execute(text("SELECT count(*) FROM notes"))
        assert not lock_is_free(path)
        connection.commit()
        assert lock_is_free(path)


def test_rollback_and_close_give_the_lock_back(database):
    path, engine = database
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO notes (body) VALUES ('dropped')"))
        connection.rollback()
        assert lock_is_free(path)
        connection.execute(text("INSERT INTO notes (body) VALUES ('abandoned')"))
        assert not lock_is_free(path)
    # Returned to the pool: the pool rolls back.
    assert lock_is_free(path)

    raw = sqlite_write_lock.connection_factory(str(path))
    connection = raw(str(path), isolation_level="")
    connection.execute("INSERT INTO notes (body) VALUES ('closed')")
    assert not lock_is_free(path)
    connection.close()
    assert lock_is_free(path)
    with engine.connect() as check:
        bodies = check.execute(text("SELECT body FROM notes")).scalars().all()
    assert bodies == []


def test_a_write_outside_a_transaction_gives_the_lock_back_at_once(database):
    path, _engine = database
    connection = sqlite_write_lock.connection_factory(str(path))(str(path), isolation_level=None)
    try:
        connection.execute("WITH one AS (SELECT 'autocommitted' AS body) INSERT INTO notes (body) SELECT body FROM one")
        assert lock_is_free(path)
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO notes (body) VALUES (?)", [("a",), ("b",)])
        assert not lock_is_free(path)
        connection.execute("COMMIT")
        assert lock_is_free(path)
    finally:
        connection.close()


def test_a_failed_write_keeps_the_lock_until_the_transaction_ends(database):
    path, engine = database
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO notes (id, body) VALUES (1, 'one')"))
        with pytest.raises(Exception, match="UNIQUE"):
            connection.execute(text("INSERT INTO notes (id, body) VALUES (1, 'again')"))
        assert not lock_is_free(path)
        connection.rollback()
    assert lock_is_free(path)


def test_a_second_writer_waits_for_the_first_and_loses_nothing(database):
    path, engine = database
    first = engine.connect()
    first.execute(text("INSERT INTO notes (body) VALUES ('first')"))
    finished = threading.Event()

    def second_writer():
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO notes (body) VALUES ('second')"))
        finished.set()

    writer = threading.Thread(target=second_writer)
    writer.start()
    assert not finished.wait(0.3), "the second writer did not wait for the first"
    first.commit()
    first.close()
    writer.join(10)
    assert finished.is_set()
    with engine.connect() as check:
        assert check.execute(text("SELECT body FROM notes ORDER BY id")).scalars().all() == ["first", "second"]


def test_another_process_waits_for_the_lock(database, tmp_path):
    path, engine = database
    script = textwrap.dedent(
        f"""
        import sys
        from sqlalchemy import text
        from lti_tool.db import build_engine
        engine = build_engine({f"sqlite:///{path}"!r})
        with engine.connect() as connection:
            connection.execute(text("INSERT INTO notes (body) VALUES ('other process')"))
            print("writing", flush=True)
            sys.stdin.readline()
            connection.commit()
        print("committed", flush=True)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout.readline().strip() == "writing"
            assert not lock_is_free(path)
            child.stdin.write("\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "committed"
            assert lock_is_free(path)
        finally:
            child.kill()
    with engine.connect() as check:
        assert check.execute(text("SELECT body FROM notes")).scalars().all() == ["other process"]


def test_in_memory_databases_need_no_lock_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = build_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
    engine.dispose()
    assert list(tmp_path.iterdir()) == []
    assert not sqlite_write_lock.uses_file(":memory:", {})
    assert not sqlite_write_lock.uses_file("file", {"mode": "memory"})
