"""xapi.documents without the web layer: entity tags, preconditions, merging, and the store itself."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from xapi import documents
from xapi.documents import DocumentScope, Preconditions, check_preconditions, merge_json_documents, parse_entity_tags
from xapi.errors import BadRequestError, ConflictError, PreconditionFailedError

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
SCOPE = DocumentScope(documents.ACTIVITY_PROFILE, activity_id="https://leerpaspoort.example/a")
NONE = Preconditions()
CREATE = Preconditions(if_none_match=frozenset({"*"}))


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        (None, None),
        ("*", {"*"}),
        ('"ABC"', {"abc"}),
        ('"a", "b" ,W/"c"', {"a", "b", "W/c"}),
        ("abc", {"abc"}),
        ("", set()),
    ],
)
def test_parse_entity_tags(header, tags):
    parsed = parse_entity_tags(header)
    assert parsed == (frozenset(tags) if tags is not None else None)


@pytest.mark.parametrize(
    ("current", "preconditions", "passes"),
    [
        (None, NONE, True),
        ("abc", NONE, True),
        (None, CREATE, True),
        ("abc", CREATE, False),
        ("abc", Preconditions(if_none_match=frozenset({"abc"})), False),
        ("abc", Preconditions(if_none_match=frozenset({"W/abc"})), False),
        ("abc", Preconditions(if_none_match=frozenset({"def"})), True),
        (None, Preconditions(if_match=frozenset({"*"})), False),
        ("abc", Preconditions(if_match=frozenset({"*"})), True),
        ("abc", Preconditions(if_match=frozenset({"def", "abc"})), True),
        ("abc", Preconditions(if_match=frozenset({"W/abc"})), False),
    ],
)
def test_check_preconditions(current, preconditions, passes):
    if passes:
        check_preconditions(current, preconditions)
    else:
        with pytest.raises(PreconditionFailedError):
            check_preconditions(current, preconditions)


def test_merge_replaces_top_level_properties_only():
    merged = merge_json_documents(b'{"x": "foo", "y": {"a": 1}}', b'{"x": "bash", "y": {"b": 2}, "z": "faz"}')
    assert merged == b'{"x":"bash","y":{"b":2},"z":"faz"}'


@pytest.mark.parametrize(
    ("stored", "posted"),
    [(b"[1]", b"{}"), (b"{}", b"[1]"), (b"{}", b"NaN"), (b"{}", b'{"a": Infinity}'), (b"\xff", b"{}"), (b"{}", b"")],
)
def test_merge_refuses_anything_but_two_json_objects(stored, posted):
    with pytest.raises(BadRequestError):
        merge_json_documents(stored, posted)


def test_merge_accepts_a_byte_order_mark():
    assert merge_json_documents("\ufeff{}".encode(), b'{"a": 1}') == b'{"a":1}'


def test_scope_keys_separate_kinds_activities_agents_and_registrations():
    state = DocumentScope(documents.STATE, activity_id="https://a.example", agent_key="k")
    assert state.scope_key != DocumentScope(documents.ACTIVITY_PROFILE, activity_id="https://a.example").scope_key
    assert state.scope_key == DocumentScope(documents.STATE, activity_id="https://a.example", agent_key="k", registration="r").scope_key
    assert state.document_key("s") != DocumentScope(documents.STATE, activity_id="https://a.example", agent_key="k", registration="r").document_key("s")
    with pytest.raises(ValueError):
        DocumentScope("statements")


def test_store_round_trip_and_tenant_scoping(db):
    documents.put_document(db, 1, SCOPE, "p", b"\x00binary", "application/octet-stream", CREATE, now=NOW, require_precondition=True)
    db.commit()
    stored = documents.get_document(db, 1, SCOPE, "p")
    assert stored.content == b"\x00binary"
    assert stored.etag == hashlib.sha1(b"\x00binary").hexdigest()
    assert stored.updated == NOW
    assert documents.get_document(db, 2, SCOPE, "p") is None
    assert documents.list_document_ids(db, 2, SCOPE) == ([], None)


def test_store_put_without_preconditions_on_a_profile(db):
    with pytest.raises(BadRequestError):
        documents.put_document(db, 1, SCOPE, "p", b"{}", "application/json", NONE, now=NOW, require_precondition=True)
    documents.put_document(db, 1, SCOPE, "p", b"{}", "application/json", CREATE, now=NOW, require_precondition=True)
    with pytest.raises(ConflictError):
        documents.put_document(db, 1, SCOPE, "p", b"{}", "application/json", NONE, now=NOW, require_precondition=True)


def test_store_since_is_exclusive(db):
    documents.post_document(db, 1, SCOPE, "early", b"{}", "application/json", NONE, now=NOW)
    documents.post_document(db, 1, SCOPE, "late", b"{}", "application/json", NONE, now=NOW + timedelta(seconds=1))
    db.commit()
    assert documents.list_document_ids(db, 1, SCOPE, since=NOW) == (["late"], NOW + timedelta(seconds=1))
    assert documents.list_document_ids(db, 1, SCOPE, since=NOW - timedelta(microseconds=1))[0] == ["early", "late"]


def test_store_delete_all_reports_how_many(db):
    state = DocumentScope(documents.STATE, activity_id="https://a.example", agent_key="k")
    for state_id in ("a", "b"):
        documents.post_document(db, 1, state, state_id, b"{}", "application/json", NONE, now=NOW)
    documents.post_document(db, 2, state, "a", b"{}", "application/json", NONE, now=NOW)
    assert documents.delete_documents(db, 1, state) == 2
    assert documents.list_document_ids(db, 2, state)[0] == ["a"]
