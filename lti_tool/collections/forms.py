"""Forms of the collection pages (CSRF comes with every FlaskForm and the app-wide protection)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from lti_tool.collections.services import DESCRIPTION_LIMIT, TITLE_LIMIT


class CollectionForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give the collection a title.")), Length(max=TITLE_LIMIT)],
    )
    description = TextAreaField(_l("Introduction"), validators=[Length(max=DESCRIPTION_LIMIT)])
