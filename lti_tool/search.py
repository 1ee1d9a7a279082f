"""Searching and paging as the list pages do it: LIKE patterns and page numbers from the URL."""

from __future__ import annotations

# The longest search text used; longer input is cut (a name or an address is far shorter).
SEARCH_MAX = 200
# Beyond any list a person pages through; a larger number falls back to the first page.
PAGE_MAX = 999_999


def like_pattern(term: str) -> str:
    """A LIKE pattern (escape character: backslash) that finds `term`, lower-cased, anywhere."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page_number(raw: str | None) -> int:
    """A 1-based page number from a query-string value; anything else is page 1."""
    raw = raw or "1"
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(PAGE_MAX)) and 0 < int(raw) <= PAGE_MAX:
        return int(raw)
    return 1
