"""Dutch users are the first customers: every user-facing string has a Dutch translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "lti_tool" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]")


def _source_messages() -> set:
    found = set()
    for folder, method in (("lti_tool", "python"), ("templates", "jinja2")):
        pattern = "**.py" if method == "python" else "**.html"
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder,
            method_map=[(pattern, method)],
            keywords=KEYWORDS,
            options_map={pattern: {"extensions": "jinja2.ext.i18n"}} if method == "jinja2" else {},
        ):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def _catalogue():
    with CATALOGUE.open("rb") as handle:
        return read_po(handle, locale="nl")


def test_every_string_in_the_code_has_a_dutch_translation():
    catalogue = _catalogue()
    missing = []
    for message in sorted(_source_messages(), key=str):
        key = message if isinstance(message, str) else message[0]
        entry = catalogue.get(key)
        strings = () if entry is None else (entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if not strings or not all(strings):
            missing.append(key)
    assert missing == [], f"{len(missing)} untranslated; run the catalogue update and translate:\n" + "\n".join(missing[:40])


def test_translations_keep_every_placeholder():
    wrong = []
    for entry in _catalogue():
        if not entry.id or not entry.string:
            continue
        source = entry.id[-1] if isinstance(entry.id, tuple) else entry.id
        for translated in entry.string if isinstance(entry.string, tuple) else (entry.string,):
            if set(PLACEHOLDER.findall(translated)) - set(PLACEHOLDER.findall(source)) or (
                not isinstance(entry.id, tuple) and set(PLACEHOLDER.findall(translated)) != set(PLACEHOLDER.findall(source))
            ):
                wrong.append(f"{source!r} -> {translated!r}")
    assert wrong == []
