"""Forms for adding and changing evidence; the service checks the meaning, these the shape."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lti_tool.portfolio.evidence import CREDENTIAL_TYPES, LEARNER_TYPES, EvidenceInput, parse_tags

TYPE_LABELS = {
    "photo": _l("Photo"),
    "video": _l("Video"),
    "audio": _l("Audio"),
    "document": _l("Document"),
    "link": _l("Link"),
    "note": _l("Note"),
    "diploma": _l("Diploma"),
    "certificate": _l("Certificate"),
    "licence": _l("Licence"),
    "module": _l("E-learning module"),
}
KIND_LABELS = {"formal": _l("Formal"), "informal": _l("Informal"), "reflection": _l("Reflections")}
TYPE_HINTS = {
    "photo": _l("JPEG, PNG, GIF or WebP. Location and camera data are removed."),
    "video": _l("MP4, WebM, MOV or Ogg video."),
    "audio": _l("MP3, Ogg, WAV, M4A, FLAC or WebM audio."),
    "document": _l("PDF, Word, Excel, PowerPoint, OpenDocument, RTF or plain text."),
    "link": _l("Optional pictures or documents to go with the link."),
    "note": _l("Optional pictures or documents to go with the note."),
    "diploma": _l("A scan or photo (image) or a PDF."),
    "certificate": _l("A scan or photo (image) or a PDF."),
    "licence": _l("A scan or photo (image) or a PDF."),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EvidenceForm(FlaskForm):
    type = SelectField(_l("Kind of evidence"), choices=[SelectChoice(t, TYPE_LABELS[t]) for t in LEARNER_TYPES])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the evidence a title.")), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Length(max=20000)])
    occurred_on = DateField(
        _l("Date it happened (for a diploma, certificate or licence: date of issue)"),
        validators=[DataRequired(_l("Fill in the date as year-month-day."))],
    )
    course = SelectField(_l("Course"), choices=[], validate_choice=True)
    url = StringField(_l("Web address (for a link)"), validators=[Optional(), Length(max=2048)])
    issuer = StringField(_l("Issued by (for a diploma, certificate or licence)"), validators=[Optional(), Length(max=300)])
    expires_on = DateField(_l("Expires on (if it does)"), validators=[Optional()])
    tags = StringField(_l("Tags, separated by commas"), validators=[Optional(), Length(max=2000)])
    competencies = MultiCheckboxField(_l("Competencies"), coerce=int, choices=[])
    files = MultipleFileField(_l("Files"))
    remove_files = MultiCheckboxField(_l("Remove these files"), coerce=int, choices=[])
    save = SubmitField(_l("Save"))

    def set_courses(self, courses) -> None:
        self.course.choices = [SelectChoice("", _l("No course"))] + [
            SelectChoice(str(c.id), c.title or c.label) for c in courses
        ]

    def set_competencies(self, frameworks) -> None:
        self.competencies.choices = [
            SelectChoice(competency.id, f"{framework.name}: {competency.code} {competency.title}")
            for framework, competencies in frameworks
            for competency in competencies
        ]

    def set_removable(self, files) -> None:
        self.remove_files.choices = [SelectChoice(f.id, f.original_name) for f in files]

    def to_input(self) -> EvidenceInput:
        evidence_type = self.type.data
        return EvidenceInput(
            type=evidence_type,
            title=self.title.data or "",
            description=self.description.data or "",
            occurred_on=self.occurred_on.data,
            context_id=int(self.course.data) if (self.course.data or "").isdigit() else None,
            url=self.url.data,
            issuer=self.issuer.data if evidence_type in CREDENTIAL_TYPES else None,
            expires_on=self.expires_on.data if evidence_type in CREDENTIAL_TYPES else None,
            tags=parse_tags(self.tags.data),
            competency_ids=list(self.competencies.data or []),
        )


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (delete, restore, purge)."""

    confirm = SubmitField(_l("Confirm"))
