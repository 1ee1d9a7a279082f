"""SQLite connections that queue for the write lock in the kernel instead of in SQLite's sleeps.

SQLite lets one connection write at a time. A writer that finds the lock taken calls SQLite's
busy handler, which sleeps 1, 2, 5, 10, ... ms between attempts; the lock is usually free again
after a fraction of a millisecond, so writers from several gunicorn workers spend most of their
wait asleep after the lock came free. Under the launch benchmark's load that sleeping, not the
CPU, set the latency: the workers slept about 1,800 times in 8 seconds.

Each connection made here takes an exclusive flock(2) on a file beside the database before the
first write of a transaction, and gives it back when the transaction ends. A waiting writer
sleeps in the kernel and wakes the moment the lock comes free. The lock only orders writers:
readers never take it (WAL lets them read beside a writer), and SQLite's own locking and
busy_timeout stay in force underneath, so a program that writes without this lock (the sqlite3
shell, a migration) is still safe; it only waits the old way.

Whoever holds this lock holds, or is about to take, SQLite's write lock, so it adds no wait
that SQLite would not impose anyway: a writer stuck in its transaction stalls the others either
way. Unlike busy_timeout, the wait has no limit; gunicorn's worker timeout ends a request
stuck in it.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3

# Statements that write, or open a transaction that writes. A statement that starts with WITH
# writes when the CTE feeds an INSERT, UPDATE or DELETE.
_WRITES = re.compile(
    r"\s*(?:INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|VACUUM|REINDEX|ANALYZE"
    r"|BEGIN\s+(?:IMMEDIATE|EXCLUSIVE))\b",
    re.IGNORECASE,
)
_COMMON_TABLE_EXPRESSION = re.compile(r"\s*WITH\b", re.IGNORECASE)
_DATA_CHANGE = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def writes(sql: str) -> bool:
    """Whether a statement needs SQLite's write lock (a false yes only holds the lock longer)."""
    if _WRITES.match(sql):
        return True
    return bool(_COMMON_TABLE_EXPRESSION.match(sql) and _DATA_CHANGE.search(sql))


def lock_path(database: str) -> str:
    """The lock file of a database file. Never the database itself: closing any descriptor of
    that file drops every POSIX lock SQLite holds on it in this process."""
    return f"{database}-write.lock"


def uses_file(database: str | None, query: dict) -> bool:
    """Whether a SQLAlchemy SQLite URL names a database file (not an in-memory database)."""
    return bool(database) and database != ":memory:" and query.get("mode") != "memory"


class _QueuedWriteCursor(sqlite3.Cursor):
    def execute(self, sql, *parameters):
        connection = self.connection
        connection.lock_before(sql)
        try:
            return super().execute(sql, *parameters)
        finally:
            connection.release_if_done()

    def executemany(self, sql, *parameters):
        connection = self.connection
        connection.lock_before(sql)
        try:
            return super().executemany(sql, *parameters)
        finally:
            connection.release_if_done()

    def executescript(self, script):
        connection = self.connection
        connection.lock_before(script)
        try:
            return super().executescript(script)
        finally:
            connection.release_if_done()


class QueuedWriteConnection(sqlite3.Connection):
    """A sqlite3 connection that holds the database's lock file from its first write in a
    transaction until the transaction ends. Pass as `factory` to sqlite3.connect with a
    subclass that sets `lock_file` (see connection_factory)."""

    lock_file: str

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One descriptor per connection: flock(2) locks belong to an open file, so two
        # connections of one process exclude each other as two processes do. Read-only is
        # enough for flock, and lets a process that may only read the lock file still use it.
        self._lock_descriptor = os.open(self.lock_file, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self._holds_lock = False

    def cursor(self, factory=_QueuedWriteCursor):
        return super().cursor(factory)

    # The C shortcuts would run the statement without passing through the cursor above.
    def execute(self, sql, *parameters):
        return self.cursor().execute(sql, *parameters)

    def executemany(self, sql, *parameters):
        return self.cursor().executemany(sql, *parameters)

    def executescript(self, script):
        return self.cursor().executescript(script)

    def lock_before(self, sql: str) -> None:
        """Take the lock before a statement that writes, unless this transaction holds it."""
        if not self._holds_lock and writes(sql):
            fcntl.flock(self._lock_descriptor, fcntl.LOCK_EX)
            self._holds_lock = True

    def release_if_done(self) -> None:
        """Give the lock back once no transaction is open (committed, rolled back, autocommit)."""
        if self._holds_lock and not self.in_transaction:
            self._holds_lock = False
            fcntl.flock(self._lock_descriptor, fcntl.LOCK_UN)

    def commit(self):
        try:
            super().commit()
        finally:
            self.release_if_done()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self.release_if_done()

    def close(self):
        try:
            super().close()
        finally:
            if self._lock_descriptor >= 0:
                self._holds_lock = False
                os.close(self._lock_descriptor)  # also gives back a lock still held
                self._lock_descriptor = -1


def connection_factory(database: str) -> type[QueuedWriteConnection]:
    """A QueuedWriteConnection class bound to this database's lock file."""
    return type("QueuedWriteConnection", (QueuedWriteConnection,), {"lock_file": lock_path(database)})
