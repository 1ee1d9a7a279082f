"""Forms of the reflection pages, and the label and prompt of each guided field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from lti_tool.portfolio.models import FREE, STARR
from lti_tool.portfolio.reflections import FIELD_LIMIT, TITLE_LIMIT, Draft, fields_of

METHOD_LABELS = {STARR: _l("Guided (STARR)"), FREE: _l("Free text")}

# Each field's label and the short prompt shown with it (STARR: situation, task, action,
# result, reflection — a reflection model widely used in Dutch vocational education).
FIELD_TEXTS = {
    "situation": (_l("Situation"), _l("What happened? Describe where and when it was, and who was involved.")),
    "task": (_l("Task"), _l("What was your task or role? What was expected of you, or what did you expect of yourself?")),
    "action": (_l("Action"), _l("What did you do, and why did you choose to do it that way?")),
    "result": (_l("Result"), _l("What came of it? How did others react, and were you satisfied?")),
    "reflection": (
        _l("Reflection"),
        _l("Looking back: what did you learn, what would you do differently, and what will you work on next?"),
    ),
    "body": (
        _l("Your reflection"),
        _l("Write freely about what you experienced, what you learned and what you want to develop."),
    ),
}


def _text_area() -> TextAreaField:
    # The limit is on the HTML the editor sends; the service checks it again for JSON autosaves.
    return TextAreaField(validators=[Optional(), Length(max=FIELD_LIMIT)])


class ReflectionForm(FlaskForm):
    """One form for both methods; only the method's fields are shown and kept."""

    title = StringField(_l("Title"), validators=[Optional(), Length(max=TITLE_LIMIT)])
    situation = _text_area()
    task = _text_area()
    action = _text_area()
    result = _text_area()
    reflection = _text_area()
    body = _text_area()
    # The revision the page was loaded at; a save on top of a newer one is a conflict.
    base_revision = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=0)])
    save_draft = SubmitField(_l("Save draft"))
    save = SubmitField(_l("Save"))

    def draft(self, method: str) -> Draft:
        return Draft(self.title.data or "", {name: getattr(self, name).data or "" for name in fields_of(method)})

    def fill(self, draft: Draft) -> None:
        self.title.data = draft.title
        for name, value in draft.fields.items():
            if name in FIELD_TEXTS:
                getattr(self, name).data = value


class NewReflectionForm(ReflectionForm):
    """A new reflection also chooses its method and course (evidence comes from the link)."""

    method = SelectField(_l("Method"), choices=[SelectChoice(STARR, METHOD_LABELS[STARR]), SelectChoice(FREE, METHOD_LABELS[FREE])])
    course = SelectField(_l("Course"), coerce=int, default=0)


class ConfirmForm(FlaskForm):
    """Only the CSRF token (and the revision), for delete, restore and discard buttons."""

    base_revision = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=0)])
