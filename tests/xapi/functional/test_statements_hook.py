"""The after-commit hook: the application hears about new and newly voided statements."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.xapi.conftest import make_statement, new_id
from xapi import hooks
from xapi.models import Statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture
def heard(app):
    """Record every hook call, and whether each statement was visible to another session then."""
    from lti_tool.db import session_factory

    calls = []

    def callback(tenant_id, statement_ids, voided_ids):
        with session_factory(app)() as session:
            visible = set(session.scalars(select(Statement.statement_id).where(Statement.statement_id.in_(statement_ids))))
        calls.append({"tenant": tenant_id, "ids": statement_ids, "voided": voided_ids, "committed": visible == set(statement_ids)})

    hooks.on_statements_stored(callback)
    yield calls
    hooks.remove_callback(callback)


def test_hook_hears_new_statements_after_they_are_committed(lrs, heard):
    first, second = new_id(), new_id()
    lrs.post("statements", json_body=[make_statement(id=first), make_statement(id=second)])
    assert heard == [{"tenant": 1, "ids": [first, second], "voided": [], "committed": True}]


def test_hook_hears_voided_ids(lrs, heard):
    target = new_id()
    lrs.post("statements", json_body=make_statement(id=target))
    voider = new_id()
    lrs.post("statements", json_body=make_statement(id=voider, verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target}))
    assert heard[-1]["ids"] == [voider]
    assert heard[-1]["voided"] == [target]


def test_hook_is_silent_for_failed_requests_and_repeats(lrs, heard):
    statement = make_statement(id=new_id())
    lrs.post("statements", json_body=statement)
    heard.clear()
    assert lrs.post("statements", json_body=statement).status_code == 200  # the same statement again
    assert lrs.post("statements", json_body=make_statement(verb={"id": "bad"})).status_code == 400
    assert lrs.post("statements", json_body={**statement, "result": {"success": True}}).status_code == 409
    assert heard == []


def test_a_failing_callback_does_not_undo_the_stored_statement(lrs):
    def broken(*_):
        raise RuntimeError("evidence builder is down")

    hooks.on_statements_stored(broken)
    try:
        statement_id = new_id()
        assert lrs.post("statements", json_body=make_statement(id=statement_id)).status_code == 200
        assert lrs.get(f"statements?statementId={statement_id}").status_code == 200
    finally:
        hooks.remove_callback(broken)
