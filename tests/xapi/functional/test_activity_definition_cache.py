"""The in-process cache of known activity definitions learns a definition only when it commits."""

from __future__ import annotations

from sqlalchemy import text

from xapi import statement_activities as activities

KEY = "https://leerpaspoort.example/activities/cache-test"
DEFINITION = {"name": {"en": "Cache test"}}


def test_a_rolled_back_definition_is_forgotten(db):
    db.execute(text("SELECT 1"))  # inside a transaction, as a storing request is
    activities._remember_after_commit(db, 1, KEY, DEFINITION)
    db.rollback()
    assert activities._PENDING not in db.info
    assert not activities._known.adds_nothing(1, KEY, DEFINITION)


def test_a_committed_definition_is_remembered(db):
    activities._remember_after_commit(db, 1, KEY + "/committed", DEFINITION)
    db.commit()
    assert activities._known.adds_nothing(1, KEY + "/committed", DEFINITION)
