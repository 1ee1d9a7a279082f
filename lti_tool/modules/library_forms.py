"""The upload form of the module library."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class UploadModuleForm(FlaskForm):
    package = FileField(
        _l("Module package (zip)"),
        validators=[FileRequired(_l("Choose a zip file with a tincan.xml or cmi5.xml to upload."))],
    )
