"""DirectStatement: the store's hot statements on the DB-API cursor, with SQLAlchemy's results."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import bindparam, delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from lti_tool.lti.models import Platform
from xapi.direct_sql import DirectStatement, run_many
from xapi.models import Activity, Statement

STATEMENTS = Statement.__table__
ACTIVITIES = Activity.__table__
STORED = datetime(2026, 3, 1, 12, 30, 15, 123000, tzinfo=timezone.utc)

INSERT_STATEMENT = DirectStatement(insert(STATEMENTS).returning(STATEMENTS.c.seq))
READ_STATEMENT = DirectStatement(
    select(STATEMENTS.c.statement_id, STATEMENTS.c.stored, STATEMENTS.c.voiding, STATEMENTS.c.voided).where(
        STATEMENTS.c.tenant_id == bindparam("tenant"), STATEMENTS.c.statement_id == bindparam("id")
    )
)
MARK_VOIDED = DirectStatement(
    update(STATEMENTS).where(STATEMENTS.c.statement_id == bindparam("id")).values(voided=True)
)


def _row(statement_id: str, tenant_id: int = 1) -> dict:
    return {
        "tenant_id": tenant_id,
        "statement_id": statement_id,
        "stored": STORED,
        "timestamp": STORED,
        "version": "1.0.0",
        "actor_key": "mbox:mailto:learner@example.nl",
        "verb_id": "http://adlnet.gov/expapi/verbs/completed",
        "object_activity_id": "https://example.nl/module",
        "object_ref_id": None,
        "registration": None,
        "voided": False,
        "voiding": True,
        "credential_id": None,
        "payload": "{}",
    }


def test_rows_come_back_as_the_session_would_return_them(db):
    statement_id = str(uuid.uuid4())
    [(seq,)] = INSERT_STATEMENT.rows(db, _row(statement_id))
    assert isinstance(seq, int)
    direct = READ_STATEMENT.rows(db, {"tenant": 1, "id": statement_id})
    through_session = [tuple(row) for row in db.execute(READ_STATEMENT.statement, {"tenant": 1, "id": statement_id})]
    assert direct == through_session == [(statement_id, STORED, True, False)]
    assert (db.get_bind().dialect.name, ("tenant", "id")) in READ_STATEMENT._plans  # it did run directly
    assert db.scalar(select(Statement.stored).where(Statement.seq == seq)) == STORED  # the ORM reads what it wrote


def test_values_written_into_the_statement_are_bound_too(db):
    statement_id = str(uuid.uuid4())
    INSERT_STATEMENT.run(db, _row(statement_id))
    MARK_VOIDED.run(db, {"id": statement_id})
    assert READ_STATEMENT.rows(db, {"tenant": 1, "id": statement_id})[0][3] is True


def test_json_columns_round_trip(db):
    definition = {"name": {"nl-NL": "Veilig werken", "en": "Working safely"}, "type": "http://adlnet.gov/expapi/activities/module"}
    DirectStatement(insert(ACTIVITIES)).run(
        db, {"tenant_id": 1, "activity_key": "k1", "activity_id": "https://example.nl/a", "definition": definition}
    )
    read = DirectStatement(select(ACTIVITIES.c.definition).where(ACTIVITIES.c.activity_key == bindparam("key")))
    assert read.rows(db, {"key": "k1"}) == [(definition,)]
    assert db.scalar(select(Activity.definition).where(Activity.activity_key == "k1")) == definition


def test_it_runs_inside_the_sessions_transaction(db):
    statement_id = str(uuid.uuid4())
    INSERT_STATEMENT.run(db, _row(statement_id))
    db.rollback()
    assert READ_STATEMENT.rows(db, {"tenant": 1, "id": statement_id}) == []
    INSERT_STATEMENT.run(db, _row(statement_id))
    db.commit()
    assert db.scalar(select(Statement.statement_id).where(Statement.statement_id == statement_id)) == statement_id


def test_a_duplicate_raises_sqlalchemys_integrity_error_and_the_transaction_can_roll_back(db):
    statement_id = str(uuid.uuid4())
    INSERT_STATEMENT.run(db, _row(statement_id))
    db.commit()
    with pytest.raises(IntegrityError):
        INSERT_STATEMENT.run(db, _row(statement_id))
    db.rollback()
    assert len(READ_STATEMENT.rows(db, {"tenant": 1, "id": statement_id})) == 1


def test_cursor_event_listeners_see_the_statement(app, db):
    engine = app.extensions["leerpaspoort.engine"]
    seen = []

    def record(_conn, _cursor, statement, _parameters, _context, _many):
        seen.append(statement)

    statement_id = str(uuid.uuid4())
    event.listen(engine, "before_cursor_execute", record)
    try:
        INSERT_STATEMENT.run(db, _row(statement_id))
        rows = READ_STATEMENT.rows(db, {"tenant": 1, "id": statement_id})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [s.split()[0] for s in seen] == ["INSERT", "SELECT"]
    assert rows == [(statement_id, STORED, True, False)]


def test_statements_it_cannot_run_are_refused_before_anything_runs(db):
    with pytest.raises(ValueError, match="missing"):
        READ_STATEMENT.rows(db, {"tenant": 1})
    with pytest.raises(ValueError, match="default"):
        DirectStatement(insert(Platform.__table__)).run(db, {"issuer": "https://moodle.example.nl"})
    with pytest.raises(ValueError, match="expand"):
        DirectStatement(delete(STATEMENTS).where(STATEMENTS.c.statement_id.in_(bindparam("ids", expanding=True)))).run(
            db, {"ids": ["a"]}
        )
    assert db.scalar(select(Platform.id).where(Platform.issuer == "https://moodle.example.nl")) is None


def test_many_rows_of_plain_sql_go_in_at_once_and_a_duplicate_is_sqlalchemys_error(app, db):
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("run_many takes the driver's own syntax; the store uses it for SQLite's qmark style")
    sql = "INSERT INTO xapi_activities (tenant_id, activity_key, activity_id, definition) VALUES (?, ?, ?, ?)"
    connection = db.connection()
    run_many(connection, sql, [(1, "k1", "https://example.nl/1", "{}"), (1, "k2", "https://example.nl/2", "{}")])
    assert db.scalars(select(Activity.activity_key).order_by(Activity.activity_key)).all() == ["k1", "k2"]
    with pytest.raises(IntegrityError):
        run_many(connection, sql, [(1, "k3", "https://example.nl/3", "{}"), (1, "k1", "https://example.nl/1", "{}")])
    db.rollback()
    assert db.scalars(select(Activity.activity_key)).all() == []
