"""The statements behind a formal evidence item, for the learner who owns it."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from lti_tool.db import get_session
from lti_tool.errors import NotFoundError
from lti_tool.formal_evidence.projection import statements_behind
from lti_tool.policy import may_view_portfolio_item
from lti_tool.portfolio.models import SOURCE_XAPI, Evidence

bp = Blueprint("formal_evidence", __name__, url_prefix="/portfolio")


@bp.get("/evidence/<int:evidence_id>/statements")
@login_required
def statements(evidence_id: int):
    session = get_session()
    evidence = session.get(Evidence, evidence_id)
    # Not found rather than forbidden: nobody learns whether someone else's item exists.
    if evidence is None or evidence.source != SOURCE_XAPI or not may_view_portfolio_item(session, current_user, evidence):
        raise NotFoundError("no such formal evidence")
    return render_template(
        "formal_evidence/statements.html",
        evidence=evidence,
        statements=statements_behind(session, evidence),
    )
