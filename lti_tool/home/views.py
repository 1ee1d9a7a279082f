"""Landing pages after a launch: learner home, instructor course view, administrator overview."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from lti_tool.db import get_session
from lti_tool.errors import ForbiddenError, NotFoundError
from lti_tool.home import services
from lti_tool.i18n import normalise_locale
from lti_tool.lti import claims
from lti_tool.people.models import Context
from lti_tool.policy import may_view_course, may_view_overview

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("home.learner_home"))
    from lti_tool import current_settings

    return render_template("home/index.html", demo_enabled=current_settings().demo_enabled)


@bp.route("/home")
@login_required
def learner_home():
    """The portfolio; after a launch from a course, that course's part of it comes first."""
    from lti_tool.portfolio.evidence_views import launch_course, render_timeline

    # Held while launch_course() looks the same launch up: the session's identity map keeps
    # only weak references, and a held record is answered from it instead of a second query.
    record = services.launch_record(get_session(), current_user, session.get("launch_id"))
    launch = record.claims if record is not None else {}
    return render_timeline(
        "home/learner.html",
        course=launch_course(),
        launch_context=launch.get(claims.CONTEXT) or {},
        launch_link=launch.get(claims.RESOURCE_LINK) or {},
    )


@bp.route("/courses/<int:context_id>")
@login_required
def course(context_id: int):
    db = get_session()
    context = db.get(Context, context_id)
    if context is None or context.platform_id != current_user.platform_id:
        raise NotFoundError("course not found")
    if not may_view_course(db, current_user, context):
        raise ForbiddenError("not an instructor of this course")
    return render_template(
        "home/course.html",
        context=context,
        members=services.course_members(db, context),
        links=services.course_links(db, context),
    )


@bp.route("/overview")
@login_required
def overview():
    if not may_view_overview(current_user):
        raise ForbiddenError("administrators only")
    db = get_session()
    return render_template(
        "home/overview.html",
        overview=services.platform_overview(db, current_user.platform_id),
        courses=services.platform_courses(db, current_user.platform_id),
    )


@bp.route("/language", methods=["POST"])
def switch_language():
    chosen = normalise_locale(request.form.get("locale"))
    if chosen is None:
        abort(400, "Choose nl or en.")
    session["locale"] = chosen
    target = request.form.get("next") or "/"
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
