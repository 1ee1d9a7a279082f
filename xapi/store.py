"""The LRS store's service functions in one place (the modules behind them each do one job)."""

from xapi.attachments import AttachmentContent, load_contents, match_parts, store_contents
from xapi.statement_activities import canonical_definitions, record_definitions
from xapi.statement_query import (
    FilterQuery,
    ReadLimits,
    SingleQuery,
    find_statement,
    find_statements,
    make_cursor,
    parse_filters,
    parse_single,
    read_cursor,
)
from xapi.statement_store import StoreResult, Writer, format_timestamp, store_statements

__all__ = [
    "AttachmentContent",
    "FilterQuery",
    "ReadLimits",
    "SingleQuery",
    "StoreResult",
    "Writer",
    "canonical_definitions",
    "find_statement",
    "find_statements",
    "format_timestamp",
    "load_contents",
    "make_cursor",
    "match_parts",
    "parse_filters",
    "parse_single",
    "read_cursor",
    "record_definitions",
    "store_contents",
    "store_statements",
]
