"""Administrator pages: outgoing deliveries (the outbox) and what is waiting for approval."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from lti_tool.db import get_session
from lti_tool.errors import ForbiddenError
from lti_tool.outbox.models import OutboxMessage
from lti_tool.policy import is_tool_admin

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/outbox")
@login_required
def outbox():
    if not is_tool_admin(current_user):
        raise ForbiddenError("administrators only")
    messages = get_session().scalars(
        select(OutboxMessage)
        .where(OutboxMessage.platform_id == current_user.platform_id)
        .order_by(OutboxMessage.id.desc())
        .limit(200)
    )
    return render_template("admin/outbox.html", messages=list(messages))
