"""Completion rows as CSV or JSON, for spreadsheets and HR/reporting jobs."""

from __future__ import annotations

import csv
import io
import json
from typing import Iterable

from lti_tool.reporting.completions import CompletionRow

COLUMNS = (
    "platform_issuer", "learner_sub", "learner_name", "course_id", "activity_id",
    "module_title", "status", "score_scaled", "completed_at",
)


def _safe_cell(value: object) -> object:
    # A cell starting with = + - @ is run as a formula by spreadsheet programs (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def to_csv(rows: Iterable[CompletionRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        values = row.as_dict()
        writer.writerow([_safe_cell(values[column]) for column in COLUMNS])
    return out.getvalue()


def to_json(rows: Iterable[CompletionRow]) -> str:
    return json.dumps([row.as_dict() for row in rows], ensure_ascii=False, indent=2)
