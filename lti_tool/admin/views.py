"""Administrator pages: outgoing deliveries (the outbox) of the administrator's own platform."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lti_tool.db import get_session
from lti_tool.errors import ForbiddenError, NotFoundError
from lti_tool.lrs_forward import FORWARD_KIND
from lti_tool.lti.ags import SCORE_KIND
from lti_tool.outbox import services as deliveries
from lti_tool.outbox.models import DELIVERED, FAILED, PENDING
from lti_tool.policy import is_tool_admin
from xapi import feed

bp = Blueprint("admin", __name__, url_prefix="/admin")

STATUS_LABELS = {PENDING: _l("Waiting"), DELIVERED: _l("Delivered"), FAILED: _l("Failed")}
KIND_LABELS = {SCORE_KIND: _l("Grade"), FORWARD_KIND: _l("Statements to the external LRS")}


@bp.before_request
@login_required
def _administrators_only():
    if not is_tool_admin(current_user):
        raise ForbiddenError(_("Only administrators see the deliveries to the learning environment."))


@bp.get("/outbox")
def outbox():
    status = request.args.get("status") or None
    if status is not None and status not in STATUS_LABELS:
        status = None
    session = get_session()
    # Tenant scope: only messages of the administrator's own platform.
    messages = deliveries.list_messages(session, platform_id=current_user.platform_id, status=status)
    counts = deliveries.count_by_status(session, platform_id=current_user.platform_id)
    learners = deliveries.learner_names(session, platform_id=current_user.platform_id, messages=messages)
    return render_template(
        "admin/outbox.html",
        messages=messages,
        counts=counts,
        statements_waiting=feed.backlog(session, current_user.platform_id),
        status=status,
        status_labels=STATUS_LABELS,
        kind_labels=KIND_LABELS,
        learners=learners,
    )


@bp.post("/outbox/<int:message_id>/retry")
def retry(message_id: int):
    session = get_session()
    back = redirect(url_for("admin.outbox", status=request.args.get("status") or None))
    try:
        message = deliveries.retry_now(session, platform_id=current_user.platform_id, message_id=message_id)
    except deliveries.SupersededError as exc:
        session.rollback()
        flash(str(exc))
        return back
    if message is None:
        raise NotFoundError(_("There is no failed delivery with this number."))
    session.commit()
    flash(_("The delivery will be tried again in a moment."))
    return back


@bp.record_once
def _register_actor_pages(state) -> None:
    # The actor pages live in their own module; they come with the administrator's pages.
    from lti_tool.admin.actor_views import bp as actor_bp

    state.app.register_blueprint(actor_bp)
