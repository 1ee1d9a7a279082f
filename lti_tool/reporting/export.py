"""Completion rows as CSV or JSON, for spreadsheets and HR/reporting jobs."""

from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Iterator

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


def csv_lines(rows: Iterable[CompletionRow], chunk_rows: int = 1000) -> Iterator[str]:
    """The CSV in pieces of about `chunk_rows` rows, so a whole course streams without one big string."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for number, row in enumerate(rows, 1):
        values = row.as_dict()
        writer.writerow([_safe_cell(values[column]) for column in COLUMNS])
        if number % chunk_rows == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def to_json(rows: Iterable[CompletionRow]) -> str:
    return json.dumps([row.as_dict() for row in rows], ensure_ascii=False, indent=2)
