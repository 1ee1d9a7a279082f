"""Database engine, one session per request, and the declarative base of the application."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


WAL_AUTOCHECKPOINT_PAGES = 10_000


def json_text(value) -> str:
    """JSON columns as the database stores them: letters as letters ("cliënt"), not as escapes
    ("cli\\u00ebnt"), so a search in the stored text (a reflection's content) finds them."""
    text = json.dumps(value, ensure_ascii=False)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (JSON allows "\\ud800") has no UTF-8 spelling: keep the escapes.
            return json.dumps(value)
    return text


def build_engine(database_url: str) -> Engine:
    """Create an engine with the pragmas SQLite needs for concurrent use."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, json_serializer=json_text
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Checkpoint once the log holds 10,000 pages (about 40 MB), not SQLite's 1,000. With
            # several processes writing, a checkpoint rarely finishes (a reader still uses the
            # log), and every commit past the threshold tries again: at 1,000 pages, one commit
            # in five of a single-statement POST stream copied pages and synced both files.
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            cursor.close()
            # SQLite's own lower() folds only A-Z, so a search for "özdemir" missed "Özdemir" here
            # while PostgreSQL found it. Python's folds every script, as PostgreSQL's does in a
            # UTF-8 database. No index is built on lower(), so replacing it changes no stored data.
            dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

        @event.listens_for(engine, "savepoint")
        def _begin_before_savepoint(connection, _name):
            # The sqlite3 driver opens a transaction only before INSERT/UPDATE/DELETE, not before
            # SAVEPOINT: a savepoint as the first write would then *be* the transaction, and its
            # RELEASE would commit at once, out of reach of the request's rollback.
            if not connection.connection.dbapi_connection.in_transaction:
                connection.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, json_serializer=json_text)


def _unicode_lower(value):
    """SQL lower() for SQLite, with Unicode case folding; NULL stays NULL, as in SQLite's own."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).lower()


def init_app(app: Flask, database_url: str) -> None:
    engine = build_engine(database_url)
    app.extensions["leerpaspoort.engine"] = engine
    app.extensions["leerpaspoort.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def session_factory(app: Flask | None = None) -> sessionmaker[Session]:
    return (app or current_app).extensions["leerpaspoort.sessionmaker"]


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """Yield a session outside a request (CLI, worker) that commits on success."""
    session = session_factory(app)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
