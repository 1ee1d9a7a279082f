"""Reflection pages: write (with autosave), read, history, trash, and reflection activities."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from lti_tool.db import get_session
from lti_tool.errors import NotFoundError
from lti_tool.home.services import courses_of, launch_claims
from lti_tool.lti.roles import INSTRUCTOR
from lti_tool.people.models import Context, ResourceLink, User
from lti_tool.policy import may_view_course, may_view_reflection, owns
from lti_tool.portfolio import reflections as services
from lti_tool.portfolio.models import STARR, SUBMITTED, Evidence, Portfolio, Reflection
from lti_tool.portfolio.reflection_forms import FIELD_TEXTS, METHOD_LABELS, ConfirmForm, ReflectionForm
from lti_tool.richtext import sanitise_html

bp = Blueprint("reflections", __name__, url_prefix="/portfolio/reflections")

MISSING_MESSAGE = _l("Fill in the title and every part before you submit; your text was saved as a draft.")


def init_app(app: Flask) -> None:
    """Register the pages and their place in the main navigation."""
    app.register_blueprint(bp)
    app.extensions.setdefault("leerpaspoort.nav_links", []).append(
        ("reflections.list_reflections", _l("Reflections"))
    )


@bp.app_template_filter("reflection_html")
def reflection_html(value: str | None) -> Markup:
    """Render stored rich text; it was sanitised on save and is sanitised again on the way out."""
    return Markup(sanitise_html(value))


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _target_from_args() -> services.Target:
    method = request.args.get("method", STARR)
    return services.Target(
        method=method if method in services.METHODS else STARR,
        context_id=_int_arg("course"),
        evidence_id=_int_arg("evidence"),
        resource_link_id=_int_arg("activity"),
    )


def _target_args(target: services.Target) -> dict:
    args = {"method": target.method, "evidence": target.evidence_id}
    args.update(activity=target.resource_link_id) if target.resource_link_id else args.update(course=target.context_id)
    return {key: value for key, value in args.items() if value is not None}


def _course_choices(form: ReflectionForm) -> None:
    form.course.choices = [(0, _("No course"))] + [
        (row.context.id, row.context.title or row.context.label) for row in courses_of(get_session(), current_user)
    ]


def _sanitise_for_redisplay(form: ReflectionForm) -> None:
    # The editor turns the field's value into live HTML: only ever give it sanitised HTML.
    for name in services.STARR_FIELDS + services.FREE_FIELDS:
        field = getattr(form, name)
        field.data = services.to_html(field.data) if isinstance(field.data, str) else ""


def _page_context(target: services.Target, reflection: Reflection | None) -> dict:
    db = get_session()
    link = db.get(ResourceLink, target.resource_link_id) if target.resource_link_id else None
    return {
        "method": target.method,
        "field_names": services.fields_of(target.method),
        "field_texts": FIELD_TEXTS,
        "method_labels": METHOD_LABELS,
        "reflection": reflection,
        "evidence": db.get(Evidence, target.evidence_id) if target.evidence_id else None,
        "course": db.get(Context, target.context_id) if target.context_id else None,
        "activity": link,
        "prompt": services.activity_prompt(db, link) if link is not None else "",
    }


def _render_form(form: ReflectionForm, target: services.Target, reflection: Reflection | None, status: int = 200):
    if reflection is None:
        action = url_for("reflections.new_reflection", **_target_args(target))
        autosave = url_for("reflections.autosave_new", **_target_args(target))
    else:
        action = url_for("reflections.edit_reflection", reflection_id=reflection.id)
        autosave = url_for("reflections.autosave_reflection", reflection_id=reflection.id)
    return (
        render_template(
            "portfolio/reflection_form.html",
            form=form,
            action_url=action,
            autosave_url=autosave,
            **_page_context(target, reflection),
        ),
        status,
    )


def _target_of(reflection: Reflection) -> services.Target:
    return services.Target(reflection.method, reflection.context_id, reflection.evidence_id, reflection.resource_link_id)


def _after_save(reflection: Reflection, submitted: bool):
    if submitted:
        flash(_("Your reflection was submitted."))
        return redirect(url_for("reflections.show_reflection", reflection_id=reflection.id))
    flash(_("Your reflection was saved."))
    return redirect(url_for("reflections.edit_reflection", reflection_id=reflection.id))


@bp.route("/")
@login_required
def list_reflections():
    course_id = _int_arg("course")
    items = services.reflections_of(get_session(), current_user, context_id=course_id)
    return render_template(
        "portfolio/reflection_list.html", reflections=items, course_id=course_id, method_labels=METHOD_LABELS
    )


@bp.route("/trash")
@login_required
def trash():
    items = services.reflections_of(get_session(), current_user, deleted=True)
    return render_template(
        "portfolio/reflection_trash.html", reflections=items, form=ConfirmForm(), trash_days=services.TRASH_DAYS
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_reflection():
    db = get_session()
    target = services.check_target(db, current_user, _target_from_args())
    if request.method == "GET" and target.resource_link_id:
        existing = services.activity_reflection(db, current_user, db.get(ResourceLink, target.resource_link_id))
        if existing is not None:
            return redirect(url_for("reflections.edit_reflection", reflection_id=existing.id))
    form = ReflectionForm()
    _course_choices(form)
    if request.method == "GET":
        form.course.data = target.context_id or _default_course(target) or 0
        return _render_form(form, target, None)
    if not form.validate():
        _sanitise_for_redisplay(form)
        return _render_form(form, target, None, 400)
    if not target.resource_link_id:
        target = services.check_target(db, current_user, _with_course(target, form.course.data))
    submitted = bool(form.finish.data)
    draft = form.draft(target.method)
    if submitted and services.missing_parts(target.method, *services.clean_draft(target.method, draft)):
        submitted = False
        flash(str(MISSING_MESSAGE))
    mode = services.SUBMIT if submitted else services.SAVE
    reflection = services.new_reflection(db, current_user, target, draft, mode=mode)
    db.commit()
    return _after_save(reflection, submitted)


def _default_course(target: services.Target) -> int | None:
    """A new reflection belongs to its evidence's course, else to the course of the launch."""
    db = get_session()
    if target.evidence_id:
        return db.get(Evidence, target.evidence_id).context_id
    launched = services.course_of_launch(db, current_user, launch_claims(db, current_user, session.get("launch_id")))
    return launched.id if launched is not None else None


def _with_course(target: services.Target, course: object) -> services.Target:
    context_id = course if isinstance(course, int) and not isinstance(course, bool) and course > 0 else None
    return services.Target(target.method, context_id, target.evidence_id, target.resource_link_id)


def _json_draft(method: str) -> services.Draft:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise services.ReflectionError("expected a JSON object")
    fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
    title = body.get("title") if isinstance(body.get("title"), str) else ""
    return services.Draft(title, {name: fields.get(name) or "" for name in services.fields_of(method)})


def _autosaved(reflection: Reflection):
    return jsonify(
        id=reflection.id,
        status=reflection.status,
        saved_at=reflection.updated_at.isoformat(),
        edit_url=url_for("reflections.edit_reflection", reflection_id=reflection.id),
        autosave_url=url_for("reflections.autosave_reflection", reflection_id=reflection.id),
    )


@bp.errorhandler(services.ReflectionError)
def reflection_error(exc: services.ReflectionError):
    get_session().rollback()
    if request.is_json:
        return jsonify(error=str(exc)), exc.status
    flash(_("Your reflection could not be saved: it is too long or not valid."))
    return redirect(request.url)


@bp.route("/autosave", methods=["POST"])
@login_required
def autosave_new():
    """The editor's first autosave of a new reflection creates it as a draft."""
    db = get_session()
    target = _target_from_args()
    if not target.resource_link_id:
        body = request.get_json(silent=True)
        target = _with_course(target, body.get("course") if isinstance(body, dict) else None)
    target = services.check_target(db, current_user, target)
    reflection = services.new_reflection(db, current_user, target, _json_draft(target.method), mode=services.AUTOSAVE)
    db.commit()
    return _autosaved(reflection), 201


@bp.route("/<int:reflection_id>/autosave", methods=["POST"])
@login_required
def autosave_reflection(reflection_id: int):
    db = get_session()
    reflection = services.owned_reflection(db, current_user, reflection_id)
    services.update_reflection(db, current_user, reflection, _json_draft(reflection.method), mode=services.AUTOSAVE)
    db.commit()
    return _autosaved(reflection)


@bp.route("/<int:reflection_id>")
@login_required
def show_reflection(reflection_id: int):
    db = get_session()
    reflection = db.get(Reflection, reflection_id)
    if reflection is None or not may_view_reflection(db, current_user, reflection):
        raise NotFoundError("reflection not found")
    is_owner = owns(db, current_user, reflection)
    return render_template(
        "portfolio/reflection_show.html",
        author=None if is_owner else _author_of(reflection),
        is_owner=is_owner,
        form=ConfirmForm(),
        **_page_context(_target_of(reflection), reflection),
    )


def _author_of(reflection: Reflection) -> User:
    db = get_session()
    return db.get(User, db.get(Portfolio, reflection.portfolio_id).owner_id)


@bp.route("/<int:reflection_id>/edit", methods=["GET", "POST"])
@login_required
def edit_reflection(reflection_id: int):
    db = get_session()
    reflection = services.owned_reflection(db, current_user, reflection_id)
    target = _target_of(reflection)
    if request.method == "GET":
        form = ReflectionForm(data={"title": reflection.title, **reflection.content})
        _course_choices(form)
        return _render_form(form, target, reflection)
    form = ReflectionForm()
    _course_choices(form)
    # The course of an existing reflection is fixed; the field is not on the page.
    form.course.data = 0
    if not form.validate():
        _sanitise_for_redisplay(form)
        return _render_form(form, target, reflection, 400)
    submitted = bool(form.finish.data) and reflection.status != SUBMITTED
    draft = form.draft(reflection.method)
    if submitted and services.missing_parts(reflection.method, *services.clean_draft(reflection.method, draft)):
        submitted = False
        flash(str(MISSING_MESSAGE))
    mode = services.SUBMIT if submitted else services.SAVE
    services.update_reflection(db, current_user, reflection, draft, mode=mode)
    db.commit()
    return _after_save(reflection, submitted)


@bp.route("/<int:reflection_id>/delete", methods=["GET", "POST"])
@login_required
def delete_reflection(reflection_id: int):
    db = get_session()
    reflection = services.owned_reflection(db, current_user, reflection_id)
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("portfolio/reflection_delete.html", reflection=reflection, form=form)
    services.delete_reflection(db, current_user, reflection)
    db.commit()
    flash(_("The reflection was moved to the trash."))
    return redirect(url_for("reflections.list_reflections"))


@bp.route("/<int:reflection_id>/restore", methods=["POST"])
@login_required
def restore_reflection(reflection_id: int):
    db = get_session()
    reflection = services.owned_reflection(db, current_user, reflection_id, deleted=True)
    if ConfirmForm().validate_on_submit():
        services.restore_reflection(db, current_user, reflection)
        db.commit()
        flash(_("The reflection was restored."))
    return redirect(url_for("reflections.trash"))


@bp.route("/<int:reflection_id>/history")
@login_required
def history(reflection_id: int):
    db = get_session()
    reflection = services.owned_reflection(db, current_user, reflection_id)
    return render_template(
        "portfolio/reflection_history.html",
        reflection=reflection,
        revisions=services.revisions_of(db, reflection),
        field_texts=FIELD_TEXTS,
        field_names=services.fields_of(reflection.method),
        form=ConfirmForm(),
    )


@bp.route("/<int:reflection_id>/history/<int:revision_id>/restore", methods=["POST"])
@login_required
def restore_revision(reflection_id: int, revision_id: int):
    db = get_session()
    reflection = services.owned_reflection(db, current_user, reflection_id)
    if ConfirmForm().validate_on_submit():
        services.restore_revision(db, current_user, reflection, revision_id)
        db.commit()
        flash(_("The earlier version is current again; the version it replaced is in the history."))
    return redirect(url_for("reflections.edit_reflection", reflection_id=reflection.id))


@bp.route("/activity/<int:link_id>")
@login_required
def activity(link_id: int):
    """Where a reflection activity's launch lands: learners write, instructors read submissions."""
    db = get_session()
    link = services.activity_link(db, current_user, link_id)
    if link.context is not None and may_view_course(db, current_user, link.context):
        return render_template(
            "portfolio/reflection_submissions.html",
            activity=link,
            prompt=services.activity_prompt(db, link),
            method_labels=METHOD_LABELS,
            method=services.activity_method(link),
            submissions=services.activity_submissions(db, link),
            role=INSTRUCTOR,
        )
    # Learners: the activity's form (check_target refuses people outside the course).
    services.check_target(db, current_user, services.Target(resource_link_id=link.id))
    return redirect(url_for("reflections.new_reflection", activity=link.id, method=services.activity_method(link)))

