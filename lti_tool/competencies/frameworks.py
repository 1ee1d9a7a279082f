"""Read a competency framework from CSV or JSON, collecting every problem with where it is."""

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
MIN_LEVELS, MAX_LEVELS = 2, 10
NAME_MAX, CODE_MAX, TITLE_MAX, LEVEL_MAX, DESCRIPTION_MAX = 200, 80, 300, 80, 5000
# Enough to fix a file in one go without flooding the page.
MAX_REPORTED = 25
CSV_COLUMNS = ("kind", "code", "title", "description", "group")


class FrameworkFileError(DomainError):
    """The file cannot be imported; `problems` lists each one with its line or path."""

    status = 400

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems[:MAX_REPORTED]


@dataclass
class CompetencyData:
    code: str
    title: str
    description: str = ""
    group: str | None = None
    where: str = ""


@dataclass
class FrameworkData:
    name: str
    description: str = ""
    levels: list[str] = field(default_factory=list)
    groups: list[CompetencyData] = field(default_factory=list)
    competencies: list[CompetencyData] = field(default_factory=list)


def parse_framework(filename: str, raw: bytes) -> FrameworkData:
    """Parse a framework file (JSON when named .json or starting with "{", CSV otherwise)."""
    if len(raw) > MAX_FILE_BYTES:
        raise FrameworkFileError([_("The file is larger than 1 MB.")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FrameworkFileError([_("The file is not UTF-8 text (byte %(pos)d). Save it as UTF-8 and try again.", pos=exc.start)]) from None
    if not text.strip():
        raise FrameworkFileError([_("The file is empty.")])
    if filename.lower().endswith(".json") or text.lstrip().startswith("{"):
        data = _from_json(text)
    else:
        data = _from_csv(text)
    _check(data)
    return data


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _long_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# --- CSV -------------------------------------------------------------------------------------


def _from_csv(text: str) -> FrameworkData:
    # Spreadsheets saved with a Dutch locale use ";" between fields.
    first_line = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        raise FrameworkFileError([_("Line 1: %(error)s", error=str(exc))]) from None
    missing = [c for c in ("kind", "code", "title") if c not in header]
    if missing:
        raise FrameworkFileError(
            [_("Line 1: the header must name the columns %(columns)s; missing: %(missing)s.",
               columns=", ".join(CSV_COLUMNS), missing=", ".join(missing))]
        )
    problems: list[str] = []
    data = FrameworkData(name="")
    frameworks = 0
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            cells = {name: (row[i] if i < len(row) else "") for i, name in enumerate(header)}
            kind = cells.get("kind", "").strip().lower()
            where = _("line %(line)d", line=line)
            if kind == "framework":
                frameworks += 1
                data.name = _text(cells.get("title"))
                data.description = _long_text(cells.get("description"))
                if not data.name:
                    problems.append(_("Line %(line)d: the framework needs a title.", line=line))
            elif kind == "level":
                data.levels.append(_text(cells.get("title")))
                if not data.levels[-1]:
                    problems.append(_("Line %(line)d: a level needs a title.", line=line))
            elif kind in ("group", "competency"):
                item = CompetencyData(
                    code=_text(cells.get("code")),
                    title=_text(cells.get("title")),
                    description=_long_text(cells.get("description")),
                    group=_text(cells.get("group")) or None if kind == "competency" else None,
                    where=where,
                )
                (data.groups if kind == "group" else data.competencies).append(item)
            else:
                problems.append(
                    _("Line %(line)d: unknown kind %(kind)r; use framework, level, group or competency.",
                      line=line, kind=kind)
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
        raise FrameworkFileError([_("The JSON file must hold one object with name, levels and groups.")])
    problems: list[str] = []
    data = FrameworkData(name=_text(body.get("name")), description=_long_text(body.get("description")))
    levels = body.get("levels")
    if not isinstance(levels, list):
        problems.append(_("levels: a list of level names is required, lowest first."))
    else:
        for index, level in enumerate(levels):
            label = _text(level.get("title") if isinstance(level, dict) else level)
            data.levels.append(label)
            if not label:
                problems.append(_("levels[%(index)d]: a level needs a name.", index=index))
    groups = body.get("groups", [])
    if not isinstance(groups, list):
        problems.append(_("groups: must be a list."))
        groups = []
    for index, group in enumerate(groups):
        path = f"groups[{index}]"
        if not isinstance(group, dict):
            problems.append(_("%(path)s: must be an object.", path=path))
            continue
        data.groups.append(_json_item(group, path, None))
        members = group.get("competencies", [])
        if not isinstance(members, list):
            problems.append(_("%(path)s.competencies: must be a list.", path=path))
            continue
        for position, member in enumerate(members):
            _json_competency(member, f"{path}.competencies[{position}]", data.groups[-1].code, data, problems)
    loose = body.get("competencies", [])
    if not isinstance(loose, list):
        problems.append(_("competencies: must be a list."))
        loose = []
    for position, member in enumerate(loose):
        _json_competency(member, f"competencies[{position}]", None, data, problems)
    if problems:
        raise FrameworkFileError(problems)
    return data


def _json_item(value: dict, path: str, group: str | None) -> CompetencyData:
    return CompetencyData(
        code=_text(value.get("code")),
        title=_text(value.get("title")),
        description=_long_text(value.get("description")),
        group=group,
        where=path,
    )


def _json_competency(value: Any, path: str, group: str | None, data: FrameworkData, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(_("%(path)s: must be an object.", path=path))
        return
    data.competencies.append(_json_item(value, path, group or _text(value.get("group")) or None))


# --- rules shared by both formats ------------------------------------------------------------


def _check(data: FrameworkData) -> None:
    problems: list[str] = []
    if not data.name:
        problems.append(_("The framework needs a name."))
    elif len(data.name) > NAME_MAX:
        problems.append(_("The framework name is longer than %(max)d characters.", max=NAME_MAX))
    if not MIN_LEVELS <= len(data.levels) <= MAX_LEVELS:
        problems.append(_("The framework needs between %(min)d and %(max)d levels (found %(count)d).",
                          min=MIN_LEVELS, max=MAX_LEVELS, count=len(data.levels)))
    if any(len(level) > LEVEL_MAX for level in data.levels):
        problems.append(_("Level names can be at most %(max)d characters.", max=LEVEL_MAX))
    if len(set(data.levels)) != len(data.levels):
        problems.append(_("Level names must differ from one another."))
    if not data.competencies:
        problems.append(_("The framework has no competencies."))
    if len(data.groups) + len(data.competencies) > MAX_COMPETENCIES:
        problems.append(_("The framework has more than %(max)d competencies and groups.", max=MAX_COMPETENCIES))
    seen: dict[str, str] = {}
    group_codes = {g.code for g in data.groups if g.code}
    used_groups: set[str] = set()
    for item in [*data.groups, *data.competencies]:
        if not item.code:
            problems.append(_("%(where)s: the code is missing.", where=_capital(item.where)))
        elif len(item.code) > CODE_MAX:
            problems.append(_("%(where)s: the code is longer than %(max)d characters.", where=_capital(item.where), max=CODE_MAX))
        elif item.code in seen:
            problems.append(_("%(where)s: code %(code)s is already used at %(first)s.",
                              where=_capital(item.where), code=item.code, first=seen[item.code]))
        else:
            seen[item.code] = item.where
        if not item.title:
            problems.append(_("%(where)s: the title is missing.", where=_capital(item.where)))
        elif len(item.title) > TITLE_MAX:
            problems.append(_("%(where)s: the title is longer than %(max)d characters.", where=_capital(item.where), max=TITLE_MAX))
        if len(item.description) > DESCRIPTION_MAX:
            problems.append(_("%(where)s: the description is longer than %(max)d characters.",
                              where=_capital(item.where), max=DESCRIPTION_MAX))
    for item in data.competencies:
        if item.group is not None:
            used_groups.add(item.group)
            if item.group not in group_codes:
                problems.append(_("%(where)s: group %(group)s is not defined in the file.",
                                  where=_capital(item.where), group=item.group))
    for group in data.groups:
        if group.code and group.code not in used_groups:
            problems.append(_("%(where)s: group %(code)s has no competencies.", where=_capital(group.where), code=group.code))
    if problems:
        raise FrameworkFileError(problems)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
