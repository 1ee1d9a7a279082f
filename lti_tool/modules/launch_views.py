"""Open a module placed in a course: straight into the content, with its launch parameters."""

from __future__ import annotations

from flask import Blueprint, redirect
from flask_login import current_user, login_required

from lti_tool import current_settings
from lti_tool.db import get_session
from lti_tool.errors import NotFoundError
from lti_tool.people.models import ResourceLink
from lti_tool.modules.launch import tincan_launch_url

bp = Blueprint("module_launch", __name__, url_prefix="/modules")


@bp.get("/launch/<int:link_id>")
@login_required
def launch(link_id: int):
    session = get_session()
    link = session.get(ResourceLink, link_id)
    if link is None or link.platform_id != current_user.platform_id:
        raise NotFoundError("no such module link")
    from xapi.auth import credential_pepper
    from flask import current_app

    url = tincan_launch_url(
        session,
        base_url=current_settings().base_url.rstrip("/"),
        pepper=credential_pepper(current_app),
        user=current_user,
        link=link,
    )
    session.commit()
    # 303: the launch URL carries a fresh secret; it must not be cached or replayed by a reload.
    response = redirect(url, 303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
