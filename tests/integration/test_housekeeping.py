"""Expired login states and tickets are removed; fresh ones stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lti_tool.db import utcnow
from lti_tool.housekeeping import run_housekeeping
from lti_tool.lti.models import LoginState, SessionTicket


def test_housekeeping_removes_only_expired_login_states_and_tickets(app, db, launcher):
    launcher.login()
    launcher.launch("launch-learner-resource-link")
    old = launcher.login()
    db.get(LoginState, old["state"]).created_at = utcnow() - timedelta(hours=1)
    for ticket in db.scalars(select(SessionTicket)):
        ticket.created_at = utcnow() - timedelta(hours=1)
    db.commit()
    removed = run_housekeeping(db, app.extensions["leerpaspoort.settings"])
    db.commit()
    assert removed["login_states"] == 1
    assert removed["session_tickets"] == 1
    assert db.scalar(select(func.count()).select_from(LoginState)) == 2
    assert db.scalar(select(func.count()).select_from(SessionTicket)) == 0
