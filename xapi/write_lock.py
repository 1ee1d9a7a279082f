"""Taking SQLite's write lock for the LRS's writes in short steps, not in SQLite's long sleeps.

SQLite lets one connection write at a time. A writer that finds the lock taken calls the busy
handler that `busy_timeout` installs, and that handler sleeps 1, 2, 5, 10, ... ms between its
attempts. A single-statement POST holds the lock for about half a millisecond. With three
gunicorn workers storing single statements, a worker slept in that handler about once per two
POSTs, 2 ms each time on average: a third of the run, while the lock came free and was taken
again, and the processors stood idle.

`begin_writing` opens the transaction with BEGIN IMMEDIATE, which takes the write lock or fails
at once while `busy_timeout` is 0, and tries again after 0.1 ms, doubling to at most 1 ms, for
as long as the connection's `busy_timeout` would have waited. On PostgreSQL it does nothing,
and so it does on a connection whose SQLite transaction is already open: that one keeps its
snapshot, and SQLite's own handler takes its lock.
"""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

FIRST_STEP = 0.0001  # seconds
LAST_STEP = 0.001
_SQLITE_BUSY = 5


def begin_writing(connection: Connection) -> None:
    """Open the SQLite transaction of `connection` holding the write lock (see the module)."""
    if connection.dialect.name != "sqlite":
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.in_transaction:
        return
    driver_error = connection.dialect.loaded_dbapi.Error
    cursor = dbapi_connection.cursor()
    try:
        (timeout_ms,) = cursor.execute("PRAGMA busy_timeout").fetchone()
        cursor.execute("PRAGMA busy_timeout=0")
        try:
            _begin_immediate(cursor, deadline=time.monotonic() + timeout_ms / 1000)
        finally:
            cursor.execute(f"PRAGMA busy_timeout={int(timeout_ms)}")
    except driver_error as exc:
        # "database is locked" once the wait is over, as SQLite's own handler would end it.
        raise DBAPIError.instance("BEGIN IMMEDIATE", {}, exc, driver_error, dialect=connection.dialect) from exc
    finally:
        cursor.close()


def _begin_immediate(cursor, deadline: float) -> None:
    step = FIRST_STEP
    while True:
        try:
            cursor.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            # The primary code: SQLITE_BUSY_RECOVERY (another connection recovering the log) waits too.
            if exc.sqlite_errorcode & 0xFF != _SQLITE_BUSY or time.monotonic() >= deadline:
                raise
        time.sleep(step)
        step = min(step * 2, LAST_STEP)
