"""Core statements run straight on the DB-API cursor of a session's connection.

Session.execute spends about 50 µs of Python on each statement (execution context, result
set-up, events, the session's bookkeeping); under load in a web worker it is nearer 100 µs.
SQLite answers the store's statements in about 5 µs, and a single-statement POST runs six
of them. A DirectStatement is compiled once per database dialect and parameter set, together
with SQLAlchemy's own conversions for each parameter and column type, and runs on the cursor
of the connection the session holds, inside the session's transaction.

What it does not do: expanding IN parameters, column defaults computed in Python (every
parameter must be given), and anything else that needs SQLAlchemy's execution context. Nor
does it flush the session first, as Session.execute would: a caller that added ORM objects
its statements depend on calls session.flush() before.

While anything listens to the engine's cursor events (tests that read which SQL runs, or
its query plans), statements go through SQLAlchemy's Connection.execute instead, so the
listeners see them.

A driver error comes out as SQLAlchemy's exception (IntegrityError for a duplicate), but
SQLAlchemy does not see it: a connection lost this way is not marked invalid. The pool's
check on checkout (pool_pre_ping, on for PostgreSQL) replaces it before its next use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

Converter = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]  # parameter names, in the order a positional paramstyle needs them
    positional: bool
    constants: dict  # values written into the statement, e.g. by .values(voided=True)
    binds: tuple[tuple[str, Converter], ...]  # names with a conversion to apply first
    columns: tuple[Converter, ...]  # per result column

    def arguments(self, parameters: dict) -> tuple | dict:
        if self.constants or self.binds:
            parameters = {**self.constants, **parameters}
            for name, convert in self.binds:
                parameters[name] = convert(parameters[name])
        if self.positional:
            return tuple(parameters[name] for name in self.names)
        return parameters

    def converted(self, rows: list) -> list[tuple]:
        if not any(self.columns):
            return [tuple(row) for row in rows]
        return [
            tuple(value if convert is None else convert(value) for convert, value in zip(self.columns, row))
            for row in rows
        ]


class DirectStatement:
    """A Core statement (SELECT, INSERT, UPDATE, DELETE; RETURNING allowed) to run often."""

    def __init__(self, statement: Executable):
        self.statement = statement
        self._plans: dict[tuple, _Plan] = {}

    def rows(self, on: Session | Connection, parameters: dict) -> list[tuple]:
        """Run with these parameters in the transaction of `on`; return the rows as tuples.

        Given a session, this asks it for its connection, which costs about as much as running
        the statement: a caller with several statements to run passes the connection."""
        connection = on.connection() if isinstance(on, Session) else on
        if connection.dispatch.before_cursor_execute or connection.dispatch.after_cursor_execute:
            result = connection.execute(self.statement, parameters)
            return [tuple(row) for row in result] if result.returns_rows else []
        return self._run(connection, parameters)

    def run(self, on: Session | Connection, parameters: dict) -> None:
        """Run for its effect only."""
        self.rows(on, parameters)

    def _run(self, connection: Connection, parameters: dict) -> list[tuple]:
        dialect = connection.dialect
        key = (dialect.name, tuple(parameters))
        plan = self._plans.get(key) or self._plans.setdefault(key, self._plan(dialect, parameters))
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(plan.sql, plan.arguments(parameters))
            fetched = cursor.fetchall() if cursor.description is not None else []
        except dialect.loaded_dbapi.Error as exc:
            # The exceptions SQLAlchemy would raise (IntegrityError for a duplicate, ...).
            raise DBAPIError.instance(plan.sql, parameters, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc
        finally:
            cursor.close()
        return plan.converted(fetched)

    def _plan(self, dialect: Dialect, parameters: dict) -> _Plan:
        compiled = self.statement.compile(dialect=dialect, column_keys=list(parameters))
        if compiled.insert_prefetch or compiled.update_prefetch:
            defaults = [column.name for column in compiled.insert_prefetch + compiled.update_prefetch]
            raise ValueError(f"DirectStatement needs every column's value; {defaults} would take a default")
        unbound = [name for name, bind in compiled.binds.items() if name not in parameters and bind.required]
        if unbound:
            raise ValueError(f"DirectStatement needs every parameter; missing {sorted(unbound)}")
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("DirectStatement cannot expand IN parameters; use Session.execute")
        constants = {name: bind.value for name, bind in compiled.binds.items() if name not in parameters}
        binds = []
        for name, bind in compiled.binds.items():
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if convert is not None:
                binds.append((name, convert))
        returned = getattr(self.statement, "exported_columns", None) or ()
        columns = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in returned)
        positional = compiled.positional
        names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
        return _Plan(compiled.string, names, positional, constants, tuple(binds), columns)


def run_many(connection: Connection, sql: str, rows: list[tuple]) -> None:
    """Run one SQL string in the driver's own syntax for many rows of positional parameters
    (plain values the driver takes as they are), on the cursor, like DirectStatement.run."""
    if connection.dispatch.before_cursor_execute or connection.dispatch.after_cursor_execute:
        connection.exec_driver_sql(sql, rows)
        return
    dialect = connection.dialect
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(sql, rows)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, rows, exc, dialect.loaded_dbapi.Error, dialect=dialect, ismulti=True) from exc
    finally:
        cursor.close()
