"""A rolled-back request leaves nothing behind, also when its first write sits in a savepoint."""

from __future__ import annotations

from sqlalchemy import func, select

from lti_tool.lti.models import ToolKey
from lti_tool.lti.keys import ensure_signing_key


def _keys(app) -> int:
    from lti_tool.db import session_factory

    with session_factory(app)() as fresh:
        return fresh.scalar(select(func.count()).select_from(ToolKey))


def test_a_savepoint_as_the_first_write_is_undone_by_the_outer_rollback(app, db):
    before = _keys(app)
    db.scalar(select(func.count()).select_from(ToolKey))  # a read first, as requests do
    with db.begin_nested():
        ensure_signing_key(db)
        db.flush()
    db.rollback()
    assert _keys(app) == before


def test_a_savepoint_is_kept_when_the_outer_transaction_commits(app, db):
    assert _keys(app) == 0
    with db.begin_nested():
        ensure_signing_key(db)
    db.commit()
    assert _keys(app) == 1
