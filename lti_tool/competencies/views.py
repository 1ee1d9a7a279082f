"""Competency pages: the learner's overview and summary, and the administrators' framework import."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lti_tool.competencies import services
from lti_tool.competencies.forms import FrameworkUploadForm, LevelsForm
from lti_tool.competencies.frameworks import MAX_FILE_BYTES, FrameworkFileError
from lti_tool.competencies.importer import import_framework_file
from lti_tool.db import get_session, utcnow
from lti_tool.errors import ForbiddenError
from lti_tool.policy import is_tool_admin
from lti_tool.portfolio.ownership import portfolio_of

bp = Blueprint("competencies", __name__, url_prefix="/competencies")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    links = app.extensions.setdefault("leerpaspoort.nav_links", [])
    links.append(("competencies.overview", _l("Competencies")))
    links.append(("competencies.admin", _l("Competency frameworks"), is_tool_admin))


@bp.route("/")
@login_required
def overview():
    db = get_session()
    views = services.overview(db, portfolio_of(db, current_user))
    db.commit()
    return render_template("competencies/overview.html", frameworks=views, form=LevelsForm())


@bp.route("/frameworks/<int:framework_id>/levels", methods=["POST"])
@login_required
def assess(framework_id: int):
    """Save the learner's own levels for one framework (a select per competency; empty clears it)."""
    db = get_session()
    form = LevelsForm()
    if not form.validate_on_submit():
        raise services.SelfAssessmentError(_("The form expired: reload the page and try again."))
    framework = services.framework_of_tenant(db, current_user.platform_id, framework_id)
    levels: dict[int, int | None] = {}
    for key, value in request.form.items():
        if not key.startswith("level-"):
            continue
        competency_id = key.removeprefix("level-")
        if not competency_id.isdigit() or (value and not value.isdigit()):
            raise services.SelfAssessmentError(_("The form contains a value that is not a level. Reload the page."))
        levels[int(competency_id)] = int(value) if value else None
    changed = services.assess_levels(db, portfolio_of(db, current_user), framework, levels)
    db.commit()
    flash(_("Your levels were saved (%(count)d changed).", count=changed))
    return redirect(url_for("competencies.overview") + f"#framework-{framework.id}")


@bp.route("/summary")
@login_required
def summary():
    """A printable one-page summary: formal qualifications, informal experience, competencies."""
    db = get_session()
    data = services.summary(db, portfolio_of(db, current_user))
    db.commit()
    return render_template(
        "competencies/summary.html", summary=data, person=current_user, now_date=utcnow().date().isoformat()
    )


@bp.route("/admin", methods=["GET", "POST"])
@login_required
def admin():
    """Administrators of a tenant import frameworks for it and see the ones it has."""
    if not is_tool_admin(current_user):
        raise ForbiddenError(_("Only administrators can manage competency frameworks."))
    db = get_session()
    form = FrameworkUploadForm()
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            upload = form.file.data
            raw = upload.stream.read(MAX_FILE_BYTES + 1)
            try:
                framework = import_framework_file(db, current_user.platform_id, upload.filename or "", raw)
            except FrameworkFileError as exc:
                db.rollback()
                problems = exc.problems
                status = 400
            else:
                db.commit()
                flash(
                    _(
                        "Imported “%(name)s” with %(count)d competencies.",
                        name=framework.name,
                        count=len(framework.competencies),
                    )
                )
                return redirect(url_for("competencies.admin"))
        else:
            status = 400
    return (
        render_template(
            "competencies/admin.html",
            form=form,
            problems=problems,
            frameworks=services.frameworks_of(db, current_user.platform_id),
        ),
        status,
    )
