"""Reflection pages: write (with autosave), read, history, trash. Activities live in reflection_activity_views."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from lti_tool.db import get_session
from lti_tool.errors import DomainError, NotFoundError
from lti_tool.home.services import courses_of, launch_claims
from lti_tool.lti import claims
from lti_tool.people.models import Context
from lti_tool.policy import may_view_reflection, owns
from lti_tool.portfolio import reflections
from lti_tool.portfolio.models import STARR, Evidence, Reflection
from lti_tool.portfolio.reflection_forms import (
    FIELD_TEXTS,
    METHOD_LABELS,
    ConfirmForm,
    NewReflectionForm,
    ReflectionForm,
)
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
from lti_tool.richtext import sanitise_html

bp = Blueprint("reflections", __name__, url_prefix="/portfolio/reflections")


def init_app(app: Flask) -> None:
    """Register the pages and their place in the main navigation."""
    app.register_blueprint(bp)
    app.extensions.setdefault("leerpaspoort.nav_links", []).append(("reflections.list_reflections", _l("Reflections")))


@bp.app_template_filter("reflection_html")
def reflection_html(value: str | None) -> Markup:
    """Render stored rich text; it was sanitised on save and is sanitised again on the way out."""
    return Markup(sanitise_html(value))


# --- helpers -----------------------------------------------------------------------------------


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def _launch_course_id() -> int | None:
    """The course of the launch that started this session, as a default for new reflections."""
    db = get_session()
    body = launch_claims(db, current_user, session.get("launch_id"))
    data = body.get(claims.CONTEXT)
    if not isinstance(data, dict) or not data.get("id"):
        return None
    for row in courses_of(db, current_user):
        if row.context.context_id == str(data["id"]):
            return row.context.id
    return None


def _course_choices(form: NewReflectionForm) -> None:
    form.course.choices = [SelectChoice(0, _("No course"))] + [
        SelectChoice(row.context.id, row.context.title or row.context.label)
        for row in courses_of(get_session(), current_user)
    ]


def _editor_context(reflection: Reflection | None, method: str, **extra: Any) -> dict[str, Any]:
    db = get_session()
    evidence_id = extra.pop("evidence_id", None) or (reflection.evidence_id if reflection else None)
    context_id = extra.pop("context_id", None) or (reflection.context_id if reflection else None)
    return {
        "reflection": reflection,
        "method": method,
        "field_names": reflections.fields_of(method),
        "field_texts": FIELD_TEXTS,
        "method_labels": METHOD_LABELS,
        "evidence": db.get(Evidence, evidence_id) if evidence_id else None,
        "course": db.get(Context, context_id) if context_id else None,
        **extra,
    }


# --- list and trash ----------------------------------------------------------------------------


@bp.route("/")
@login_required
def list_reflections():
    course_id = _int_arg("course")
    items = reflections.reflections_of(get_session(), current_user, context_id=course_id)
    return render_template(
        "reflections/list.html", reflections=items, course_id=course_id, method_labels=METHOD_LABELS
    )


@bp.route("/trash")
@login_required
def trash():
    # The portfolio has one trash, for evidence and reflections alike (restore and delete for
    # good); this address stays for links and bookmarks made before.
    return redirect(url_for("portfolio.trash"))


# --- writing -----------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_reflection():
    """A reflection on its own in a course, or next to an evidence item (?evidence=ID)."""
    db = get_session()
    evidence_id = _int_arg("evidence")
    form = NewReflectionForm()
    _course_choices(form)
    if request.method == "GET":
        reflections.check_target(db, current_user, reflections.Target(evidence_id=evidence_id))
        method = request.args.get("method", STARR)
        form.method.data = method if method in reflections.METHODS else STARR
        course_id = _int_arg("course")
        if evidence_id:
            course_id = course_id or db.get(Evidence, evidence_id).context_id
        course_id = course_id or _launch_course_id()
        form.course.data = course_id if course_id in {choice.value for choice in form.course.choices} else 0
    editor = _editor_context(None, form.method.data or STARR, evidence_id=evidence_id)
    page = {"action_url": url_for("reflections.new_reflection", evidence=evidence_id), **editor}
    page["autosave_url"] = url_for("reflections.autosave_new", evidence=evidence_id)
    if request.method == "GET":
        return render_editor("reflections/form.html", form, **page)
    if not form.validate():
        return render_editor("reflections/form.html", form, 400, **page)
    target = reflections.Target(form.method.data, form.course.data or None, evidence_id)
    try:
        reflection = reflections.start_reflection(db, current_user, target)
        # A new reflection has no earlier revision anyone could have changed.
        form.base_revision.data = reflection.revision
        message = saved_or_drafted(form, reflection)
    except reflections.ReflectionError as exc:
        db.rollback()
        flash(str(exc))
        return render_editor("reflections/form.html", form, 400, **page)
    db.commit()
    flash(message)
    return redirect(url_for("reflections.edit_reflection", reflection_id=reflection.id))


@bp.route("/autosave", methods=["POST"])
@login_required
def autosave_new():
    """The editor's first autosave of a new reflection creates it, with its text as the draft."""
    db = get_session()
    try:
        body = json_body()
        method = body.get("method") if body.get("method") in reflections.METHODS else STARR
        course = body.get("course")
        course_id = course if isinstance(course, int) and not isinstance(course, bool) and course > 0 else None
        target = reflections.Target(method, course_id, _int_arg("evidence"))
        reflection = reflections.start_reflection(db, current_user, target)
        reflections.autosave(db, reflection, json_draft(method, body), base_revision=reflection.revision)
    except DomainError as exc:
        return json_error(exc)
    db.commit()
    return autosaved(reflection, 201)


@bp.route("/<int:reflection_id>/autosave", methods=["POST"])
@login_required
def autosave_reflection(reflection_id: int):
    """Keep the working copy; 409 with the current revision when another window changed it."""
    db = get_session()
    try:
        reflection = reflections.owned_reflection(db, current_user, reflection_id)
        body = json_body()
        reflections.autosave(db, reflection, json_draft(reflection.method, body), base_revision=json_revision(body))
    except DomainError as exc:
        return json_error(exc)
    db.commit()
    return autosaved(reflection)


@bp.route("/<int:reflection_id>/edit", methods=["GET", "POST"])
@login_required
def edit_reflection(reflection_id: int):
    db = get_session()
    reflection = reflections.owned_reflection(db, current_user, reflection_id)
    if reflection.resource_link_id is not None:
        # An activity's reflection is written on the activity page, with its prompt.
        return redirect(url_for("reflection_activities.activity", link_id=reflection.resource_link_id))
    form = ReflectionForm()
    page = _editor_context(
        reflection,
        reflection.method,
        action_url=url_for("reflections.edit_reflection", reflection_id=reflection.id),
        autosave_url=url_for("reflections.autosave_reflection", reflection_id=reflection.id),
        discard_form=ConfirmForm(),
    )
    if request.method == "GET":
        form.fill(reflections.working_copy(reflection))
        form.base_revision.data = reflection.revision
        return render_editor("reflections/form.html", form, **page)
    if not form.validate():
        return render_editor("reflections/form.html", form, 400, **page)
    try:
        message = saved_or_drafted(form, reflection)
    except reflections.ReflectionConflictError:
        return conflict(form, reflection_id, page)
    except reflections.ReflectionError as exc:
        db.rollback()
        flash(str(exc))
        return render_editor("reflections/form.html", form, 400, **page)
    db.commit()
    flash(message)
    return redirect(url_for("reflections.edit_reflection", reflection_id=reflection.id))


@bp.route("/<int:reflection_id>/discard", methods=["POST"])
@login_required
def discard_draft(reflection_id: int):
    db = get_session()
    reflection = reflections.owned_reflection(db, current_user, reflection_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise reflections.ReflectionError(_("The form expired: reload the page and try again."))
    reflections.discard_draft(db, reflection, base_revision=form.base_revision.data)
    db.commit()
    flash(_("Your unsaved changes were discarded."))
    return redirect(url_for("reflections.show_reflection", reflection_id=reflection.id))


# --- reading -----------------------------------------------------------------------------------


@bp.route("/<int:reflection_id>")
@login_required
def show_reflection(reflection_id: int):
    """The owner reads their saved version; instructors of an activity are sent to the submission."""
    db = get_session()
    reflection = db.get(Reflection, reflection_id)
    if reflection is None or not may_view_reflection(db, current_user, reflection):
        raise NotFoundError(_("This reflection does not exist or is not yours."))
    if not owns(db, current_user, reflection):
        return redirect(
            url_for(
                "reflection_activities.submission",
                link_id=reflection.resource_link_id,
                reflection_id=reflection.id,
            )
        )
    if reflection.deleted_at is not None:
        raise NotFoundError(_("This reflection is in the trash."))
    return render_template(
        "reflections/show.html",
        form=ConfirmForm(base_revision=reflection.revision),
        **_editor_context(reflection, reflection.method),
    )


@bp.route("/<int:reflection_id>/history")
@login_required
def history(reflection_id: int):
    db = get_session()
    reflection = reflections.owned_reflection(db, current_user, reflection_id)
    return render_template(
        "reflections/history.html",
        reflection=reflection,
        revisions=reflections.revisions_of(db, reflection),
        method_labels=METHOD_LABELS,
    )


@bp.route("/<int:reflection_id>/history/<int:number>")
@login_required
def version(reflection_id: int, number: int):
    db = get_session()
    reflection = reflections.owned_reflection(db, current_user, reflection_id)
    return render_template(
        "reflections/version.html",
        reflection=reflection,
        version=reflections.revision_of(db, reflection, number),
        field_names=reflections.fields_of(reflection.method),
        field_texts=FIELD_TEXTS,
        form=ConfirmForm(base_revision=reflection.revision),
    )


@bp.route("/<int:reflection_id>/history/<int:number>/restore", methods=["POST"])
@login_required
def restore_version(reflection_id: int, number: int):
    db = get_session()
    reflection = reflections.owned_reflection(db, current_user, reflection_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise reflections.ReflectionError(_("The form expired: reload the page and try again."))
    restored = reflections.restore_version(db, reflection, number, base_revision=form.base_revision.data)
    db.commit()
    flash(_("Version %(old)d is current again, saved as version %(new)d.", old=number, new=restored.number))
    return redirect(url_for("reflections.show_reflection", reflection_id=reflection.id))


# --- trash -------------------------------------------------------------------------------------


@bp.route("/<int:reflection_id>/delete", methods=["GET", "POST"])
@login_required
def delete_reflection(reflection_id: int):
    db = get_session()
    reflection = reflections.owned_reflection(db, current_user, reflection_id)
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 200 if request.method == "GET" else 400
        return render_template(
            "reflections/delete.html", reflection=reflection, form=form, trash_days=reflections.TRASH_DAYS
        ), status
    reflections.delete_reflection(db, reflection)
    db.commit()
    flash(_("The reflection was moved to the trash."))
    return redirect(url_for("reflections.list_reflections"))


@bp.route("/<int:reflection_id>/restore", methods=["POST"])
@login_required
def restore_reflection(reflection_id: int):
    db = get_session()
    reflection = reflections.owned_reflection(db, current_user, reflection_id, deleted=True)
    if not ConfirmForm().validate_on_submit():
        raise reflections.ReflectionError(_("The form expired: reload the page and try again."))
    reflections.restore_reflection(db, reflection)
    db.commit()
    flash(_("The reflection was restored."))
    return redirect(url_for("reflections.show_reflection", reflection_id=reflection.id))


@bp.route("/<int:reflection_id>/purge", methods=["POST"])
@login_required
def purge_reflection(reflection_id: int):
    db = get_session()
    reflection = reflections.owned_reflection(db, current_user, reflection_id, deleted=True)
    if not ConfirmForm().validate_on_submit():
        raise reflections.ReflectionError(_("The form expired: reload the page and try again."))
    title = reflection.title or reflection.draft_title or _("Untitled reflection")
    reflections.purge_reflection(db, reflection)
    db.commit()
    flash(_("“%(title)s” was deleted for good.", title=title))
    return redirect(url_for("portfolio.trash"))
