"""Portfolio pages: the timeline, a course's part of it, and evidence with its files and trash."""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, Flask, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import bindparam, select
from werkzeug.routing import BuildError

from lti_tool import current_settings, storage
from lti_tool.db import get_session
from lti_tool.errors import NotFoundError
from lti_tool.home.services import launch_claims
from lti_tool.lti import claims
from lti_tool.people.models import Context, Membership
from lti_tool.portfolio import evidence as services
from lti_tool.portfolio import reflections
from lti_tool.portfolio.evidence_forms import KIND_LABELS, TYPE_HINTS, TYPE_LABELS, ConfirmForm, EvidenceForm
from lti_tool.portfolio.models import Evidence
from lti_tool.portfolio.ownership import portfolio_of
from lti_tool.portfolio.timeline import KINDS, MAX_QUERY_LENGTH, TimelineFilter, filter_choices, timeline
from lti_tool.portfolio.uploads import IMAGE_TYPES, UploadError, UploadLimits, prepare_upload, read_limited
from lti_tool.richtext import sanitise_html

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")

# Files may be cached by the browser that was allowed to fetch them, briefly and privately.
FILE_MAX_AGE = 300
# Even if a browser were tricked into rendering a file as a page, it gets no scripts and no origin.
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


def init_app(app: Flask) -> None:
    """Register the portfolio pages and the file store they use."""
    storage.init_app(app, app.extensions["leerpaspoort.settings"])
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        optional_url=optional_url, evidence_type_labels=TYPE_LABELS, evidence_kind_labels=KIND_LABELS
    )


def optional_url(endpoint: str, **values) -> str | None:
    """The URL of a page another feature provides, or None while that feature is not installed."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.app_template_filter("evidence_html")
def evidence_html(value: str | None) -> Markup:
    """Stored rich text, sanitised on save and once more on the way out."""
    return Markup(sanitise_html(value))


def _limits() -> UploadLimits:
    settings = current_settings()
    return UploadLimits(settings.uploads_max_file_size, settings.uploads_max_image_pixels)


def launch_course() -> Context | None:
    """The course of the launch that opened this session, when the person is enrolled in it."""
    db = get_session()
    context_claim = launch_claims(db, current_user, session.get("launch_id")).get(claims.CONTEXT) or {}
    if not context_claim.get("id"):
        return None
    return _enrolled_course_by_lti_id(str(context_claim["id"]))


# Asked on the first page of every launch: built once, the values bound at execution.
_ENROLLED_COURSE_BY_LTI_ID = (
    select(Context)
    .join(Membership, Membership.context_id == Context.id)
    .where(
        Context.platform_id == bindparam("platform_id"),
        Context.context_id == bindparam("lti_context_id"),
        Membership.user_id == bindparam("user_id"),
    )
)


def _enrolled_course_by_lti_id(lti_context_id: str) -> Context | None:
    values = {"platform_id": current_user.platform_id, "lti_context_id": lti_context_id, "user_id": current_user.id}
    return get_session().scalars(_ENROLLED_COURSE_BY_LTI_ID, values).first()


def _enrolled_course(context_id: int) -> Context:
    course = get_session().scalars(
        select(Context)
        .join(Membership, Membership.context_id == Context.id)
        .where(Context.id == context_id, Context.platform_id == current_user.platform_id, Membership.user_id == current_user.id)
    ).first()
    if course is None:
        raise NotFoundError("course not found")
    return course


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def _filters(course_id: int | None = None) -> TimelineFilter:
    kind = request.args.get("kind") or None
    evidence_type = request.args.get("type") or None
    query = " ".join((request.args.get("q") or "").split())[:MAX_QUERY_LENGTH] or None
    return TimelineFilter(
        course_id=course_id if course_id is not None else _int_arg("course"),
        kind=kind if kind in KINDS else None,
        type=evidence_type if evidence_type in TYPE_LABELS else None,
        tag=(request.args.get("tag") or "").strip()[:80] or None,
        competency_id=_int_arg("competency"),
        query=query,
        page=_int_arg("page") or 1,
    )


def render_timeline(template: str, *, course: Context | None = None, **extra):
    """Render a page built around the learner's timeline (the home, or one course's part)."""
    db = get_session()
    portfolio = portfolio_of(db, current_user)
    db.commit()
    filters = _filters(course.id if course is not None else None)
    return render_template(
        template,
        page=timeline(db, portfolio.id, filters),
        filters=filters,
        choices=filter_choices(db, portfolio.id, current_user.platform_id, current_user.id),
        course=course,
        **extra,
    )


@bp.route("")
@login_required
def home():
    return render_timeline("portfolio/home.html", launch_course=launch_course())


@bp.route("/courses/<int:context_id>")
@login_required
def course_view(context_id: int):
    return render_timeline("portfolio/course.html", course=_enrolled_course(context_id))


# -- evidence --------------------------------------------------------------------------------


def _prepare_form(form: EvidenceForm, evidence: Evidence | None = None) -> None:
    db = get_session()
    form.set_courses(services.learner_courses(db, current_user))
    form.set_competencies(services.learner_competencies(db, current_user))
    if evidence is not None:
        form.set_removable(evidence.files)


def _uploaded_files(evidence_type: str) -> list:
    limits = _limits()
    prepared = []
    for upload in request.files.getlist("files"):
        if not upload or not upload.filename:
            continue
        data = read_limited(upload.stream, limits.max_file_size, upload.filename)
        prepared.append(prepare_upload(data, upload.filename, evidence_type, limits))
    return prepared


def _render_form(form: EvidenceForm, evidence: Evidence | None, status: int = 200, error: str | None = None):
    return (
        render_template(
            "portfolio/evidence_form.html",
            form=form,
            evidence=evidence,
            error=error,
            type_hints=TYPE_HINTS,
            frameworks_available=bool(form.competencies.choices),
        ),
        status,
    )


def _save(form: EvidenceForm, evidence: Evidence | None):
    """Validate, store and commit; on any refusal roll back so no row and no file remains."""
    db = get_session()
    if not form.validate_on_submit():
        return _render_form(form, evidence, 400)
    settings = current_settings()
    store = storage.current_storage()
    try:
        data = form.to_input()
        files = _uploaded_files(data.type)
        if evidence is None:
            saved = services.add_evidence(
                db, store, current_user, portfolio_of(db, current_user), data, files,
                quota=settings.uploads_quota_per_learner, today=date.today(),
            )
        else:
            saved = services.update_evidence(
                db, store, current_user, evidence, data, files, set(form.remove_files.data or []),
                quota=settings.uploads_quota_per_learner, today=date.today(),
            )
        db.commit()
    except (UploadError, services.EvidenceError) as exc:
        db.rollback()
        if evidence is not None:
            evidence = services.owned_evidence(db, current_user, evidence.id)
            form.set_removable(evidence.files)
        return _render_form(form, evidence, exc.status, error=str(exc.message))
    flash(_("Your evidence was saved."))
    return redirect(url_for("portfolio.show_evidence", evidence_id=saved.id))


@bp.route("/evidence/new", methods=["GET", "POST"])
@login_required
def new_evidence():
    form = EvidenceForm()
    _prepare_form(form)
    if request.method == "GET":
        requested = request.args.get("type")
        form.type.data = requested if requested in services.LEARNER_TYPES else "note"
        course_id = _int_arg("course")
        if course_id is None:
            launched = launch_course()
            course_id = launched.id if launched else None
        enrolled = {c.id for c in services.learner_courses(get_session(), current_user)}
        form.course.data = str(course_id) if course_id in enrolled else ""
        form.occurred_on.data = date.today()
        return _render_form(form, None)
    return _save(form, None)


@bp.route("/evidence/<int:evidence_id>")
@login_required
def show_evidence(evidence_id: int):
    db = get_session()
    evidence = services.owned_evidence(db, current_user, evidence_id)
    return render_template(
        "portfolio/evidence_detail.html",
        evidence=evidence,
        course=db.get(Context, evidence.context_id) if evidence.context_id else None,
        competencies=services.competencies_of(db, evidence.id),
        reflections=services.reflections_on(db, evidence),
        image_types=IMAGE_TYPES,
    )


@bp.route("/evidence/<int:evidence_id>/edit", methods=["GET", "POST"])
@login_required
def edit_evidence(evidence_id: int):
    db = get_session()
    evidence = services.owned_evidence(db, current_user, evidence_id)
    if evidence.source != "learner":
        raise NotFoundError("evidence from a module cannot be edited")
    form = EvidenceForm(obj=None if request.method == "POST" else evidence)
    _prepare_form(form, evidence)
    if request.method == "GET":
        form.course.data = str(evidence.context_id) if evidence.context_id else ""
        form.tags.data = ", ".join(t.tag for t in evidence.tags)
        form.competencies.data = [c.id for c in services.competencies_of(db, evidence.id)]
        return _render_form(form, evidence)
    return _save(form, evidence)


@bp.route("/evidence/<int:evidence_id>/delete", methods=["GET", "POST"])
@login_required
def delete_evidence(evidence_id: int):
    db = get_session()
    evidence = services.owned_evidence(db, current_user, evidence_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.trash_evidence(db, current_user, evidence)
        db.commit()
        flash(_("“%(title)s” was moved to the trash. You can restore it for %(days)s days.",
                title=evidence.title, days=services.TRASH_DAYS))
        return redirect(url_for("portfolio.home"))
    return render_template("portfolio/confirm_delete.html", evidence=evidence, form=form,
                           days=services.TRASH_DAYS), 400 if request.method == "POST" else 200


@bp.route("/trash")
@login_required
def trash():
    db = get_session()
    portfolio = portfolio_of(db, current_user)
    db.commit()
    items = services.trash_of(db, portfolio.id)
    deleted_reflections = reflections.reflections_of(db, current_user, deleted=True)
    return render_template(
        "portfolio/trash.html",
        items=items,
        reflections=deleted_reflections,
        purge_after=services.purge_after,
        reflection_purge_after=reflections.purge_after,
        form=ConfirmForm(),
        days=services.TRASH_DAYS,
    )


@bp.route("/trash/<int:evidence_id>/restore", methods=["POST"])
@login_required
def restore_evidence(evidence_id: int):
    db = get_session()
    evidence = services.owned_evidence(db, current_user, evidence_id, in_trash=True)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("portfolio.trash")), 303
    services.restore_evidence(db, current_user, evidence)
    db.commit()
    flash(_("“%(title)s” was restored.", title=evidence.title))
    return redirect(url_for("portfolio.show_evidence", evidence_id=evidence.id))


@bp.route("/trash/<int:evidence_id>/purge", methods=["POST"])
@login_required
def purge_evidence(evidence_id: int):
    db = get_session()
    evidence = services.owned_evidence(db, current_user, evidence_id, in_trash=True)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("portfolio.trash")), 303
    title = evidence.title
    services.purge_evidence(db, storage.current_storage(), evidence)
    db.commit()
    flash(_("“%(title)s” was deleted for good.", title=title))
    return redirect(url_for("portfolio.trash"))


# -- files -----------------------------------------------------------------------------------


def _send(key: str, content_type: str, name: str, etag: str, inline: bool):
    try:
        with storage.current_storage().open(key) as handle:
            # Read whole: files are capped by uploads.max_file_size, and nothing stays open
            # if the client goes away mid-response.
            data = handle.read()
    except (OSError, storage.StorageError) as exc:
        raise NotFoundError("file missing from storage") from exc
    response = send_file(
        io.BytesIO(data),
        mimetype=content_type,
        as_attachment=not inline,
        download_name=name,
        conditional=True,
        etag=etag,
        max_age=FILE_MAX_AGE,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cache-Control"] = f"private, max-age={FILE_MAX_AGE}"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.route("/files/<int:file_id>")
@login_required
def file(file_id: int):
    """A file of an item the person may see: re-encoded images inline, everything else as a download."""
    stored = services.visible_file(get_session(), current_user, file_id)
    # The type recorded at upload was sniffed from the bytes; only re-encoded images open inline.
    inline = stored.content_type in IMAGE_TYPES
    return _send(stored.storage_key, stored.content_type, stored.original_name, stored.sha256, inline)


@bp.route("/files/<int:file_id>/thumbnail")
@login_required
def thumbnail(file_id: int):
    stored = services.visible_file(get_session(), current_user, file_id)
    if not stored.thumbnail_key:
        raise NotFoundError("no thumbnail")
    stem = stored.original_name.rsplit(".", 1)[0] or "thumbnail"
    return _send(stored.thumbnail_key, "image/jpeg", f"{stem}-thumbnail.jpg", stored.sha256 + "-t", True)
