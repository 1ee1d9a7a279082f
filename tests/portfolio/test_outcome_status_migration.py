"""Migration 0018 copies each evidence item's outcome status out of its JSON into the indexed column."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, text

from lti_tool import migrate
from tests.portfolio.conftest import make_evidence


def _evidence_columns(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        return {column["name"] for column in inspect(engine).get_columns("evidence")}
    finally:
        engine.dispose()


def test_evidence_projected_before_the_column_gets_its_status(app, db, database_url, learner):
    passed = make_evidence(db, learner, kind="formal", type="module", source="xapi", title="Passed module",
                           outcome={"status": "passed", "score_scaled": 0.9})
    note = make_evidence(db, learner, title="A note")
    db.close()
    app.extensions["leerpaspoort.engine"].dispose()  # the downgrade rebuilds the table on SQLite

    command.downgrade(migrate.alembic_config(database_url), "0017_actor_links")
    try:
        assert "outcome_status" not in _evidence_columns(database_url)
    finally:
        migrate.upgrade(database_url)

    engine = create_engine(database_url)
    with engine.connect() as connection:
        statuses = dict(connection.execute(text("SELECT id, outcome_status FROM evidence")).all())
    engine.dispose()
    assert statuses == {passed.id: "passed", note.id: None}
