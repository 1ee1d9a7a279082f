"""Text from a rich-text field as it is stored: sanitised HTML, also when it arrives as plain text."""

from __future__ import annotations

import html
import re

from lti_tool.richtext import sanitise_html

# Any markup at all means the editor (or someone posting HTML) sent it: sanitise it as HTML.
_MARKUP = re.compile(r"<[a-zA-Z/!]")
_PARAGRAPH_BREAK = re.compile(r"\r?\n\s*\r?\n")


def rich_text_from_form(value: str | None) -> str:
    """Sanitise rich text; plain text (a browser without the editor's script) becomes paragraphs first."""
    if not value:
        return ""
    if not _MARKUP.search(value):
        paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(value) if p.strip()]
        value = "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    return sanitise_html(value)
