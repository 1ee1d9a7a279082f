"""Coach access: the learner grants and revokes it; a coach sees what was shared with them;
the two write each other messages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lti_tool.coaching import services
from lti_tool.coaching.models import PERMISSIONS
from lti_tool.coaching.services import CoachingError
from lti_tool.db import get_session
from lti_tool.portfolio.ownership import portfolio_of

bp = Blueprint("coaching", __name__)


def _page(error: str | None = None, status: int = 200):
    db = get_session()
    portfolio = portfolio_of(db, current_user)
    page = render_template(
        "showcase/coaches.html",
        grants=services.grants_of(db, portfolio),
        people=services.possible_coaches(db, current_user),
        shared=services.shared_with(db, current_user),
        coached=services.coached_by(db, current_user),
        error=error,
    )
    return page, status


@bp.route("/portfolio/coaches")
@login_required
def coaches():
    page = _page()
    get_session().commit()  # the portfolio may have been created on this first visit
    return page


@bp.route("/portfolio/coaches", methods=["POST"])
@login_required
def grant():
    db = get_session()
    raw = request.form.get("coach", "")
    permission = request.form.get("permission", "")
    if not raw.isdigit() or permission not in PERMISSIONS:
        return _page(_("Choose a person and what they may do."), 400)
    try:
        services.grant_coach(db, current_user, portfolio_of(db, current_user), int(raw), permission)
    except CoachingError as exc:
        db.rollback()
        return _page(str(exc), 400)
    db.commit()
    flash(_("Coach access given. They see the showcases you share with your coaches."))
    return redirect(url_for("coaching.coaches"))


@bp.route("/portfolio/coaches/<int:grant_id>/revoke", methods=["POST"])
@login_required
def revoke(grant_id: int):
    db = get_session()
    services.revoke_grant(db, portfolio_of(db, current_user), grant_id)
    db.commit()
    flash(_("Coach access revoked."))
    return redirect(url_for("coaching.coaches"))


def _messages_page(talk: services.Conversation, error: str | None = None, status: int = 200, draft: str = ""):
    db = get_session()
    page = render_template(
        "coaching/messages.html", talk=talk, messages=services.messages_of(db, talk.grant), error=error, draft=draft
    )
    return page, status


@bp.route("/coaching/<int:grant_id>/messages")
@login_required
def messages(grant_id: int):
    return _messages_page(services.conversation(get_session(), current_user, grant_id))


@bp.route("/coaching/<int:grant_id>/messages", methods=["POST"])
@login_required
def send(grant_id: int):
    db = get_session()
    talk = services.conversation(db, current_user, grant_id)
    body = request.form.get("body", "")
    try:
        services.send_message(db, talk, current_user, body)
    except CoachingError as exc:
        db.rollback()
        return _messages_page(talk, str(exc), 400, draft=body)
    db.commit()
    flash(_("Message sent."))
    return redirect(url_for("coaching.messages", grant_id=grant_id))
