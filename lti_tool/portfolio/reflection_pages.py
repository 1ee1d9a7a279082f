"""What the reflection pages share: the editor page, JSON autosave answers, saving by button, conflicts."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lti_tool.db import get_session
from lti_tool.errors import DomainError
from lti_tool.people.models import ResourceLink
from lti_tool.portfolio import reflection_activity, reflections
from lti_tool.portfolio.models import Reflection
from lti_tool.portfolio.reflection_forms import ReflectionForm


def clean_for_redisplay(form: ReflectionForm) -> None:
    # The editor turns a field's value into live HTML: only ever give it sanitised HTML.
    for name in reflections.STARR_FIELDS + reflections.FREE_FIELDS:
        field = getattr(form, name)
        field.data = reflections.to_html(field.data) if isinstance(field.data, str) else ""


def render_editor(template: str, form: ReflectionForm, status: int = 200, **context: Any):
    clean_for_redisplay(form)
    return render_template(template, form=form, **context), status


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise reflections.ReflectionError(_("The editor sent something that is not a JSON object."))
    return body


def json_draft(method: str, body: dict[str, Any]) -> reflections.Draft:
    fields = body.get("fields")
    fields = fields if isinstance(fields, dict) else {}
    return reflections.Draft(body.get("title", ""), {name: fields.get(name, "") for name in reflections.fields_of(method)})


def json_revision(body: dict[str, Any]) -> int | None:
    value = body.get("base_revision")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def autosaved(reflection: Reflection, status: int = 200):
    return (
        jsonify(
            id=reflection.id,
            revision=reflection.revision,
            saved_at=reflection.draft_saved_at.isoformat() if reflection.draft_saved_at else None,
            edit_url=url_for("reflections.edit_reflection", reflection_id=reflection.id),
            autosave_url=url_for("reflections.autosave_reflection", reflection_id=reflection.id),
        ),
        status,
    )


def json_error(exc: DomainError):
    get_session().rollback()
    body: dict[str, Any] = {"error": str(exc)}
    if isinstance(exc, reflections.ReflectionConflictError) and exc.reflection is not None:
        current = get_session().get(Reflection, exc.reflection.id)
        if current is not None:
            body["revision"] = current.revision
    return jsonify(body), exc.status


def saved_or_drafted(form: ReflectionForm, reflection: Reflection, *, submit: bool = False) -> str:
    """Apply the button the learner pressed; return the message to show."""
    db = get_session()
    draft = form.draft(reflection.method)
    if form.save.data:
        if submit:
            link = db.get(ResourceLink, reflection.resource_link_id)
            reflection_activity.submit(
                db, current_user, link, reflection, draft, base_revision=form.base_revision.data
            )
            return _("Your reflection was submitted.")
        reflections.save_version(db, reflection, draft, base_revision=form.base_revision.data)
        return _("Your reflection was saved.")
    reflections.autosave(db, reflection, draft, base_revision=form.base_revision.data)
    return _("Your draft was saved.")


def conflict(form: ReflectionForm, reflection_id: int, page: dict[str, Any], template: str = "reflections/form.html"):
    """Keep what the learner typed on the page, and let a second save replace the newer text knowingly."""
    db = get_session()
    db.rollback()
    current = db.get(Reflection, reflection_id)
    form.base_revision.data = current.revision if current is not None else None
    flash(
        _(
            "This reflection was changed in another window since you opened it. Your text is still below: "
            "save again to replace the other version, or reload the page to see it."
        )
    )
    return render_editor(template, form, 409, **page)
