"""Read a competency framework from CSV or JSON, collecting every problem with where it is.

CSV: a header row with at least `kind`, `code` and `title` (optional `description`, `parent`),
then one row of kind `framework` (its title is the framework's name), two to ten rows of kind
`level` (lowest first) and rows of kind `competency`. A competency's `parent` names the code of
another competency in the file, so frameworks can nest (domain → competency → indicator).

JSON: `{"name", "description", "levels": [...], "competencies": [{"code", "title",
"description", "parent", "competencies": [...]}]}`; children may be nested or name a parent.

Parsing never touches the database; `importer.py` stores a parsed framework in one go.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from lti_tool.errors import DomainError

MAX_FILE_BYTES = 1024 * 1024
MAX_COMPETENCIES = 2000
MAX_DEPTH = 4
MIN_LEVELS, MAX_LEVELS = 2, 10
NAME_MAX, CODE_MAX, TITLE_MAX, LEVEL_MAX, DESCRIPTION_MAX = 200, 80, 300, 80, 5000
# Enough to fix a file in one go without flooding the page.
MAX_REPORTED = 25
REQUIRED_COLUMNS = ("kind", "code", "title")
OPTIONAL_COLUMNS = ("description", "parent")
KINDS = ("framework", "level", "competency")


class FrameworkFileError(DomainError):
    """The file cannot be imported; `problems` lists each one with its line or path."""

    status = 400

    def __init__(self, problems: list[str]):
        shown = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            shown.append(_("… and %(count)d more problems.", count=len(problems) - MAX_REPORTED))
        super().__init__("\n".join(shown))
        self.problems = shown


@dataclass
class CompetencyData:
    code: str
    title: str
    description: str = ""
    parent: str | None = None
    # Where the competency is in the file ("line 7", "competencies[2].competencies[0]").
    where: str = ""


@dataclass
class FrameworkData:
    name: str
    description: str = ""
    levels: list[str] = field(default_factory=list)
    competencies: list[CompetencyData] = field(default_factory=list)


def parse_framework(filename: str, raw: bytes) -> FrameworkData:
    """Parse and check a framework file (JSON when named .json or starting with "{", CSV otherwise)."""
    if len(raw) > MAX_FILE_BYTES:
        raise FrameworkFileError([_("The file is larger than 1 MB.")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FrameworkFileError(
            [_("The file is not UTF-8 text (byte %(position)d). Save it as UTF-8 and try again.", position=exc.start)]
        ) from None
    if not text.strip():
        raise FrameworkFileError([_("The file is empty.")])
    if filename.lower().endswith(".json") or text.lstrip().startswith("{"):
        data = _from_json(text)
    else:
        data = _from_csv(text)
    check_framework(data)
    return data


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _long_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# --- CSV -------------------------------------------------------------------------------------


def _from_csv(text: str) -> FrameworkData:
    # Spreadsheets saved with a Dutch locale separate fields with ";".
    first_line = text.lstrip().splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text.lstrip(), newline=""), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader)]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise FrameworkFileError(
            [
                _(
                    "Line 1: the header is missing the column(s) %(missing)s. "
                    "Name the columns %(columns)s in the first row.",
                    missing=", ".join(missing),
                    columns=", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS),
                )
            ]
        )
    problems: list[str] = []
    data = FrameworkData(name="")
    frameworks = 0
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            cells = {name: (row[index] if index < len(row) else "") for index, name in enumerate(header)}
            kind = cells["kind"].strip().lower()
            if kind == "framework":
                frameworks += 1
                data.name = _text(cells["title"])
                data.description = _long_text(cells.get("description"))
            elif kind == "level":
                data.levels.append(_text(cells["title"]))
            elif kind == "competency":
                data.competencies.append(
                    CompetencyData(
                        code=_text(cells["code"]),
                        title=_text(cells["title"]),
                        description=_long_text(cells.get("description")),
                        parent=_text(cells.get("parent")) or None,
                        where=_("line %(line)d", line=line),
                    )
                )
            else:
                problems.append(
                    _(
                        "Line %(line)d: unknown kind “%(kind)s”; use framework, level or competency.",
                        line=line,
                        kind=kind[:40],
                    )
                )
    except csv.Error as exc:
        problems.append(_("Line %(line)d: %(error)s", line=reader.line_num, error=str(exc)))
    if frameworks != 1:
        problems.append(_("The file needs exactly one row of kind framework (found %(count)d).", count=frameworks))
    if problems:
        raise FrameworkFileError(problems)
    return data


# --- JSON ------------------------------------------------------------------------------------


def _from_json(text: str) -> FrameworkData:
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FrameworkFileError(
            [_("Line %(line)d, column %(column)d: %(error)s", line=exc.lineno, column=exc.colno, error=exc.msg)]
        ) from None
    if not isinstance(body, dict):
        raise FrameworkFileError([_("The JSON file must hold one object with name, levels and competencies.")])
    problems: list[str] = []
    data = FrameworkData(name=_text(body.get("name")), description=_long_text(body.get("description")))
    levels = body.get("levels")
    if not isinstance(levels, list):
        problems.append(_("levels: a list of level names is required, lowest first."))
    else:
        for level in levels:
            data.levels.append(_text(level.get("title") if isinstance(level, dict) else level))
    _json_competencies(body.get("competencies"), "competencies", None, data, problems, depth=1)
    if problems:
        raise FrameworkFileError(problems)
    return data


def _json_competencies(
    value: Any, path: str, parent: str | None, data: FrameworkData, problems: list[str], *, depth: int
) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        problems.append(_("%(path)s: must be a list.", path=path))
        return
    if depth > MAX_DEPTH:
        problems.append(_("%(path)s: competencies nest at most %(depth)d levels deep.", path=path, depth=MAX_DEPTH))
        return
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(item, dict):
            problems.append(_("%(path)s: must be an object.", path=where))
            continue
        code = _text(item.get("code"))
        data.competencies.append(
            CompetencyData(
                code=code,
                title=_text(item.get("title")),
                description=_long_text(item.get("description")),
                parent=parent or _text(item.get("parent")) or None,
                where=where,
            )
        )
        _json_competencies(item.get("competencies"), f"{where}.competencies", code, data, problems, depth=depth + 1)


# --- rules shared by both formats ------------------------------------------------------------


def check_framework(data: FrameworkData) -> None:
    """Raise FrameworkFileError listing every problem (names, levels, codes, parents, cycles)."""
    problems: list[str] = []
    if not data.name:
        problems.append(_("The framework needs a name."))
    elif len(data.name) > NAME_MAX:
        problems.append(_("The framework name is longer than %(max)d characters.", max=NAME_MAX))
    if not MIN_LEVELS <= len(data.levels) <= MAX_LEVELS:
        problems.append(
            _(
                "The framework needs between %(min)d and %(max)d levels (found %(count)d).",
                min=MIN_LEVELS,
                max=MAX_LEVELS,
                count=len(data.levels),
            )
        )
    if any(not level for level in data.levels):
        problems.append(_("Every level needs a name."))
    if any(len(level) > LEVEL_MAX for level in data.levels):
        problems.append(_("Level names can be at most %(max)d characters.", max=LEVEL_MAX))
    if len(set(data.levels)) != len(data.levels):
        problems.append(_("Level names must differ from one another."))
    if not data.competencies:
        problems.append(_("The framework has no competencies."))
    if len(data.competencies) > MAX_COMPETENCIES:
        problems.append(_("The framework has more than %(max)d competencies.", max=MAX_COMPETENCIES))
    first_seen: dict[str, str] = {}
    for item in data.competencies:
        where = _capital(item.where)
        if not item.code:
            problems.append(_("%(where)s: the code is missing.", where=where))
        elif len(item.code) > CODE_MAX:
            problems.append(_("%(where)s: the code is longer than %(max)d characters.", where=where, max=CODE_MAX))
        elif item.code in first_seen:
            problems.append(
                _(
                    "%(where)s: code %(code)s is already used at %(first)s.",
                    where=where,
                    code=item.code,
                    first=first_seen[item.code],
                )
            )
        else:
            first_seen[item.code] = item.where
        if not item.title:
            problems.append(_("%(where)s: the title is missing.", where=where))
        elif len(item.title) > TITLE_MAX:
            problems.append(_("%(where)s: the title is longer than %(max)d characters.", where=where, max=TITLE_MAX))
        if len(item.description) > DESCRIPTION_MAX:
            problems.append(
                _("%(where)s: the description is longer than %(max)d characters.", where=where, max=DESCRIPTION_MAX)
            )
        if item.parent is not None and item.parent not in {c.code for c in data.competencies}:
            problems.append(
                _("%(where)s: parent %(parent)s is not a code in this file.", where=where, parent=item.parent)
            )
    if not problems:
        problems.extend(_cycles(data))
    if problems:
        raise FrameworkFileError(problems)


def _cycles(data: FrameworkData) -> list[str]:
    parents = {item.code: item.parent for item in data.competencies}
    problems = []
    for item in data.competencies:
        seen = {item.code}
        current = item.parent
        depth = 1
        while current is not None:
            if current in seen:
                problems.append(
                    _("%(where)s: %(code)s is its own ancestor; check the parent column.",
                      where=_capital(item.where), code=item.code)
                )
                break
            seen.add(current)
            current = parents.get(current)
            depth += 1
        else:
            if depth > MAX_DEPTH:
                problems.append(
                    _("%(where)s: competencies nest at most %(depth)d levels deep.",
                      where=_capital(item.where), depth=MAX_DEPTH)
                )
    return problems


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
