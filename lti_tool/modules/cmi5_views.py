"""The learner's cmi5 course page, starting an AU, and the AU's one-time fetch URL."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

import xapi
from lti_tool import current_settings
from lti_tool.db import get_session
from lti_tool.errors import NotFoundError
from lti_tool.formal_evidence.learners import issued_actor
from lti_tool.lti.models import Platform
from lti_tool.modules import cmi5_guard, cmi5_tracking
from lti_tool.modules.cmi5_launch import cmi5_package_for_link, redeem_fetch, start_au
from lti_tool.modules.cmi5_progress import au_status, package_activity_ids, verbs_by_activity
from lti_tool.modules.cmi5_statements import SATISFIED
from lti_tool.modules.models import ModuleRegistration
from lti_tool.people.models import ResourceLink
from lti_tool.security import csrf
from xapi.statement_keys import agent_key

bp = Blueprint("cmi5", __name__, url_prefix="/modules/cmi5")
MAX_TOKEN_LENGTH = 128


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    cmi5_tracking.init_app(app)
    cmi5_guard.init_app(app)


def _link(link_id: int) -> ResourceLink:
    link = get_session().get(ResourceLink, link_id)
    if link is None or link.platform_id != current_user.platform_id:
        raise NotFoundError("no such course link")
    return link


def _base_url() -> str:
    return current_settings().base_url.rstrip("/")


@bp.get("/<int:link_id>")
@login_required
def course(link_id: int):
    session = get_session()
    link = _link(link_id)
    package = cmi5_package_for_link(session, link)
    registration = session.scalars(
        select(ModuleRegistration).where(
            ModuleRegistration.user_id == current_user.id, ModuleRegistration.package_id == package.id
        )
    ).first()
    verbs: dict[str, set[str]] = {}
    if registration is not None:
        actor = issued_actor(session.get(Platform, current_user.platform_id), current_user)
        verbs = verbs_by_activity(
            session, current_user.platform_id, registration.registration, agent_key(actor), package_activity_ids(package)
        )
    units = [
        {
            "unit": unit,
            "status": au_status(verbs.get(unit.lms_activity_id, set()) - {SATISFIED}),
            "satisfied": SATISFIED in verbs.get(unit.lms_activity_id, set()),
        }
        for unit in package.units
    ]
    course_satisfied = SATISFIED in verbs.get(package.lms_course_id, set())
    response = current_app.make_response(
        render_template("modules/cmi5_course.html", link=link, package=package, units=units, course_satisfied=course_satisfied)
    )
    # Statuses change as the AU reports; returning from an AU must show the new state.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:link_id>/return")
def returned(link_id: int):
    """The AU's returnURL: a page of our own that moves on to the course page.

    The AU runs sandboxed (an opaque origin), so its navigation to returnURL is a cross-site
    request and a SameSite=Lax session cookie is not sent with it; this page's own navigation
    is same-site, so the course page sees the learner again. It shows nothing personal."""
    return render_template("modules/cmi5_return.html", target=url_for("cmi5.course", link_id=link_id))


@bp.post("/<int:link_id>/units/<int:unit_id>/start")
@login_required
def start(link_id: int, unit_id: int):
    session = get_session()
    link = _link(link_id)
    launch = start_au(session, base_url=_base_url(), user=current_user, link=link, unit_id=unit_id)
    session.commit()
    if launch.stored.stored_ids:
        xapi.feed.announce()
    # 303: the launch URL carries a one-time fetch URL; a reload must not replay it.
    response = redirect(launch.url, 303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/fetch/<token>", methods=["GET", "POST", "OPTIONS"])
@csrf.exempt
def fetch(token: str):
    if len(token) > MAX_TOKEN_LENGTH:
        abort(404)
    if request.method == "OPTIONS":
        response = current_app.make_response(("", 204))
    elif request.method != "POST":
        # cmi5 8.2.1: the fetch URL is POST only.
        response = current_app.make_response(("The fetch URL only answers POST (cmi5 8.2).", 405))
        response.headers["Allow"] = "POST"
    else:
        from xapi.auth import credential_pepper

        session = get_session()
        body = redeem_fetch(session, token, pepper=credential_pepper(current_app))
        session.commit()
        # cmi5 8.2.3: errors too are HTTP 200 with an error-code in the JSON body.
        response = jsonify(body)
    # AU content runs sandboxed (an opaque origin) or on another host: it reaches us through CORS.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "POST"
    response.headers["Cache-Control"] = "no-store"
    return response
