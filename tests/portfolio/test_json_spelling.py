"""JSON columns keep their letters ("cliënt", not "cli\\u00ebnt"), in rows written before
(migration 0022) and after, and reflections are found by Dutch words with accents."""

from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import text

from lti_tool import migrate
from lti_tool.db import json_text
from lti_tool.portfolio.models import Reflection
from tests.portfolio.conftest import make_reflection
from tests.portfolio.test_timeline import titles

CONTENT = {"body": "<p>Één keer per week met de cliënt; ideeën van de patiënt</p>"}


def _stored_text(db, reflection_id: int) -> str:
    column = "content::text" if db.bind.dialect.name == "postgresql" else "content"
    return db.execute(text(f"SELECT {column} FROM reflections WHERE id = :id"), {"id": reflection_id}).scalar_one()


@pytest.mark.parametrize("query", ["q=cliënt", "q=ÉÉN+KEER", "q=ideeën", "q=PATIËNT"])
def test_a_reflection_is_found_by_a_word_with_accents(learner, db, query):
    make_reflection(db, learner, title="Gesprek", content=CONTENT)
    assert titles(learner.get(f"/portfolio?{query}")) == ["Gesprek"]


def test_json_is_stored_with_its_letters(learner, db):
    reflection = make_reflection(db, learner, title="Gesprek", content=CONTENT)
    assert "cliënt" in _stored_text(db, reflection.id)


def test_the_migration_respells_rows_written_with_escapes(learner, db, database_url):
    reflection = make_reflection(db, learner, title="Gesprek", content=CONTENT)
    odd = make_reflection(db, learner, title="Vreemd", content={"body": "é and half a pair: \ud800"})
    cast = "CAST(:value AS json)" if db.bind.dialect.name == "postgresql" else ":value"
    for row in (reflection, odd):  # as rows were written before: "cli\u00ebnt"
        escaped = json.dumps(row.content)
        db.execute(text(f"UPDATE reflections SET content = {cast} WHERE id = :id"), {"value": escaped, "id": row.id})
    db.commit()
    assert "cliënt" not in _stored_text(db, reflection.id)
    db.close()

    command.downgrade(migrate.alembic_config(database_url), "0021_feed_claim_index")
    migrate.upgrade(database_url)

    assert "cliënt" in _stored_text(db, reflection.id)
    assert db.get(Reflection, reflection.id).content == CONTENT
    assert titles(learner.get("/portfolio?q=cliënt")) == ["Gesprek"]
    # A value with no UTF-8 spelling is left as it was.
    assert "\\ud800" in _stored_text(db, odd.id)
    assert db.get(Reflection, odd.id).content == {"body": "é and half a pair: \ud800"}


def test_a_lone_surrogate_keeps_its_escape_and_the_row_is_stored(learner, db):
    # JSON allows "\ud800", which has no UTF-8 spelling: that value stays escaped, and is kept.
    assert json_text({"name": "José \ud800"}) == '{"name": "Jos\\u00e9 \\ud800"}'
    assert json_text({"name": "José"}) == '{"name": "José"}'
    odd = {"body": "<p>half a pair: \ud800</p>"}
    reflection = make_reflection(db, learner, title="Vreemd", content=odd)
    db.expire_all()
    assert db.get(Reflection, reflection.id).content == odd
