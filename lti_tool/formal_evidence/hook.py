"""Keep formal evidence current (project statements right after the LRS commits them) and show it."""

from __future__ import annotations

import logging

from flask import Flask, current_app

import xapi
from lti_tool.db import session_scope
from lti_tool.formal_evidence.projection import project_statements

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    # One process-wide callback (registering it twice is a no-op); it finds the application
    # through the request it runs in, so several apps in one process each use their own database.
    xapi.on_statements_stored(_project_after_commit)
    from lti_tool.formal_evidence.views import bp

    app.register_blueprint(bp)


def _project_after_commit(tenant_id: int, statement_ids: list[str], voided_ids: list[str]) -> None:
    # The statements are committed before this runs: a failure here loses no statement, and
    # `leerpaspoort evidence rebuild` brings the projection back in line.
    with session_scope(current_app._get_current_object()) as session:
        project_statements(session, tenant_id, statement_ids, voided_ids)
