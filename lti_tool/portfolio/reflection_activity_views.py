"""Where a reflection activity's launch lands: learners write and submit, instructors read."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lti_tool.db import get_session
from lti_tool.errors import DomainError, NotFoundError
from lti_tool.people.models import ResourceLink
from lti_tool.portfolio import reflection_activity as activities
from lti_tool.portfolio import reflections
from lti_tool.portfolio.models import Reflection
from lti_tool.portfolio.reflection_forms import FIELD_TEXTS, METHOD_LABELS, ReflectionForm
from lti_tool.portfolio.reflection_pages import (
    autosaved,
    conflict,
    json_body,
    json_draft,
    json_error,
    json_revision,
    render_editor,
    saved_or_drafted,
)

bp = Blueprint("reflection_activities", __name__, url_prefix="/activities/reflection")

TEMPLATE = "reflections/activity.html"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _page(link: ResourceLink, reflection: Reflection | None) -> dict[str, Any]:
    db = get_session()
    method = reflection.method if reflection is not None else activities.activity_method(link)
    placed = activities.placed_item(db, link)
    autosave_url = (
        url_for("reflections.autosave_reflection", reflection_id=reflection.id)
        if reflection is not None
        else url_for("reflection_activities.autosave", link_id=link.id)
    )
    return {
        "activity": link,
        "prompt": placed.prompt if placed is not None else "",
        "reflection": reflection,
        "method": method,
        "field_names": reflections.fields_of(method),
        "field_texts": FIELD_TEXTS,
        "method_labels": METHOD_LABELS,
        "action_url": url_for("reflection_activities.activity", link_id=link.id),
        "autosave_url": autosave_url,
        "submitted_version": reflections.latest_submitted(db, reflection) if reflection is not None else None,
    }


@bp.route("/<int:link_id>", methods=["GET", "POST"])
@login_required
def activity(link_id: int):
    db = get_session()
    link = activities.activity_link(db, current_user, link_id)
    if request.method == "GET" and activities.may_review(db, current_user, link):
        placed = activities.placed_item(db, link)
        return render_template(
            "reflections/roster.html",
            activity=link,
            prompt=placed.prompt if placed is not None else "",
            rows=activities.roster(db, link),
            method_labels=METHOD_LABELS,
            method=activities.activity_method(link),
        )
    activities.check_learner(db, current_user, link)
    reflection = activities.reflection_for(db, current_user, link)
    form = ReflectionForm()
    if request.method == "GET":
        if reflection is not None:
            form.fill(reflections.working_copy(reflection))
            form.base_revision.data = reflection.revision
        return render_editor(TEMPLATE, form, **_page(link, reflection))
    if not form.validate():
        return render_editor(TEMPLATE, form, 400, **_page(link, reflection))
    created = reflection is None
    reflection = activities.start_activity_reflection(db, current_user, link)
    if created:
        # The page had no reflection yet, so it could not know its revision.
        form.base_revision.data = reflection.revision
    try:
        message = saved_or_drafted(form, reflection, submit=True)
    except reflections.ReflectionConflictError:
        return conflict(form, reflection.id, _page(link, reflection), TEMPLATE)
    except reflections.ReflectionError as exc:
        db.rollback()
        flash(str(exc))
        return render_editor(TEMPLATE, form, 400, **_page(link, activities.reflection_for(db, current_user, link)))
    db.commit()
    flash(message)
    return redirect(url_for("reflection_activities.activity", link_id=link.id))


@bp.route("/<int:link_id>/autosave", methods=["POST"])
@login_required
def autosave(link_id: int):
    """The first autosave on an activity page creates the learner's reflection for it."""
    db = get_session()
    try:
        link = activities.activity_link(db, current_user, link_id)
        activities.check_learner(db, current_user, link)
        body = json_body()
        existing = activities.reflection_for(db, current_user, link)
        reflection = existing or activities.start_activity_reflection(db, current_user, link)
        base = json_revision(body) if existing is not None else reflection.revision
        reflections.autosave(db, reflection, json_draft(reflection.method, body), base_revision=base)
    except DomainError as exc:
        return json_error(exc)
    db.commit()
    return autosaved(reflection, 201 if existing is None else 200)


@bp.route("/<int:link_id>/submissions/<int:reflection_id>")
@login_required
def submission(link_id: int, reflection_id: int):
    """An instructor reads the version a learner submitted (never their unsaved draft)."""
    db = get_session()
    link = activities.activity_link(db, current_user, link_id)
    if not activities.may_review(db, current_user, link):
        raise NotFoundError(_("This submission does not exist."))
    reflection, version, author = activities.submission_of(db, link, reflection_id)
    return render_template(
        "reflections/submission.html",
        activity=link,
        reflection=reflection,
        version=version,
        author=author,
        field_names=reflections.fields_of(reflection.method),
        field_texts=FIELD_TEXTS,
    )
