"""Forms of the competency pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

from lti_tool.competencies.frameworks import MAX_FILE_BYTES


class FrameworkUploadForm(FlaskForm):
    """An administrator uploads a framework file (CSV or JSON)."""

    file = FileField(_l("Framework file (CSV or JSON, at most 1 MB)"), validators=[FileRequired()])
    submit = SubmitField(_l("Import framework"))

    max_bytes = MAX_FILE_BYTES


class LevelsForm(FlaskForm):
    """The CSRF token of the self-assessment form; the levels are read as level-<competency id>."""

    submit = SubmitField(_l("Save my levels"))
