"""Forms of the reflection pages, and the labels and prompts of each guided field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from lti_tool.portfolio.models import FREE, STARR, STARR_FIELDS
from lti_tool.portfolio.reflections import FIELD_LIMIT, TITLE_LIMIT, Draft

METHOD_LABELS = {STARR: _l("Guided (STARR)"), FREE: _l("Free text")}

# Each field's label and the short prompt shown with it (STARR: a common Dutch reflection
# model — situatie, taak, actie, resultaat, reflectie).
FIELD_TEXTS = {
    "situation": (_l("Situation"), _l("What happened? Describe where and when it was, and who was involved.")),
    "task": (_l("Task"), _l("What was your task or role? What was expected of you, or what did you expect of yourself?")),
    "action": (_l("Action"), _l("What did you do, and why did you choose to do it that way?")),
    "result": (_l("Result"), _l("What came of it? How did others react, and were you satisfied?")),
    "reflection": (
        _l("Reflection"),
        _l("Looking back: what did you learn, what would you do differently, and what will you work on next?"),
    ),
    "body": (_l("Your reflection"), _l("Write freely about what you experienced, what you learned and what you want to develop.")),
}


class ReflectionForm(FlaskForm):
    """One form for both methods; only the method's fields are shown and kept."""

    title = StringField(_l("Title"), validators=[Optional(), Length(max=TITLE_LIMIT)])
    course = SelectField(_l("Course"), coerce=int, default=0, validate_choice=True)
    situation = TextAreaField(validators=[Optional(), Length(max=FIELD_LIMIT)])
    task = TextAreaField(validators=[Optional(), Length(max=FIELD_LIMIT)])
    action = TextAreaField(validators=[Optional(), Length(max=FIELD_LIMIT)])
    result = TextAreaField(validators=[Optional(), Length(max=FIELD_LIMIT)])
    reflection = TextAreaField(validators=[Optional(), Length(max=FIELD_LIMIT)])
    body = TextAreaField(validators=[Optional(), Length(max=FIELD_LIMIT)])
    save = SubmitField(_l("Save draft"))
    finish = SubmitField(_l("Submit"))

    def draft(self, method: str) -> Draft:
        names = STARR_FIELDS if method == STARR else ("body",)
        return Draft(self.title.data or "", {name: getattr(self, name).data or "" for name in names})


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for delete, restore and submit buttons."""
