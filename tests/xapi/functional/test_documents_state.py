"""activities/state (xAPI 1.0.3 Communication 2.2, 2.3): parameters, storage, merge, ids, delete."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from tests.xapi.conftest import new_id

ACTIVITY = "http://www.example.com/activityId/hashset"
AGENT = {"objectType": "Agent", "account": {"homePage": "http://www.example.com/agentId/1", "name": "Rick James"}}
OTHER_AGENT = {"mbox": "mailto:other@example.nl"}
STATE = "activities/state"


def state_params(**overrides):
    params = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": new_id()}
    for name, value in overrides.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value if isinstance(value, str) else json.dumps(value)
    return params


def put_json(lrs, params, document, **headers):
    return lrs.put(STATE, query_string=params, json_body=document, headers=headers)


def get(lrs, params, **headers):
    return lrs.get(STATE, query_string=params, headers=headers)


# --- parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("missing", ["activityId", "agent"])
def test_state_request_without_required_parameter_is_400_naming_it(lrs, method, missing):
    response = lrs.open(method, STATE, query_string=state_params(**{missing: None}), json_body={"a": 1})
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == missing


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_state_write_without_state_id_is_400(lrs, method):
    response = lrs.open(method, STATE, query_string=state_params(stateId=None), json_body={"a": 1})
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == "stateId"


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("activity_id", ["1", "true", '{"key": "value"}', "undefined", "not an iri"])
def test_state_activity_id_that_is_not_an_iri_is_400(lrs, method, activity_id):
    response = lrs.open(method, STATE, query_string=state_params(activityId=activity_id), json_body={"a": 1})
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == "activityId"


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize(
    "agent",
    [
        "not JSON",
        "1",
        "true",
        '{"key": "value"}',
        '{"mbox": "learner@example.nl"}',
        '{"mbox": "mailto:a@example.nl", "openid": "http://openid.example/a"}',
        '{"objectType": "Group", "member": [{"mbox": "mailto:a@example.nl"}]}',
        '{"mbox": "mailto:a@example.nl", "extra": 1}',
    ],
)
def test_state_agent_that_is_not_an_agent_object_is_400(lrs, method, agent):
    response = lrs.open(method, STATE, query_string=state_params(agent=agent), json_body={"a": 1})
    assert response.status_code == 400
    assert response.json["error"]["parameter"].startswith("agent")


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("registration", ["1", "true", "not UUID", "0e4b2c3a1f5d4c8e9a7b3d2f1e0c9b8a"])
def test_state_registration_that_is_not_a_uuid_is_400(lrs, method, registration):
    response = lrs.open(method, STATE, query_string=state_params(registration=registration), json_body={"a": 1})
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == "registration"


@pytest.mark.parametrize("since", ["not a timestamp", "true", "1", "2024-13-01T00:00:00Z"])
def test_state_get_with_malformed_since_is_400_even_with_a_state_id(lrs, since):
    assert get(lrs, state_params(since=since)).status_code == 400
    assert get(lrs, state_params(since=since, stateId=None)).status_code == 400


@pytest.mark.parametrize(
    ("method", "extra"),
    [("GET", {"profileId": "x"}), ("PUT", {"since": "2024-01-01T00:00:00Z"}), ("DELETE", {"since": "2024-01-01T00:00:00Z"}), ("POST", {"Activityid": ACTIVITY})],
)
def test_state_request_with_unknown_or_miscased_parameter_is_400(lrs, method, extra):
    params = {**state_params(), **extra}
    response = lrs.open(method, STATE, query_string=params, json_body={"a": 1})
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == next(iter(extra))


def test_state_parameter_given_twice_is_400(lrs):
    query = f"activityId={ACTIVITY}&activityId={ACTIVITY}&agent={json.dumps(AGENT)}&stateId=s"
    response = lrs.get(STATE, query_string=query)
    assert response.status_code == 400
    assert "more than once" in response.json["error"]["message"]


def test_state_empty_state_id_is_400(lrs):
    assert put_json(lrs, state_params(stateId=""), {"a": 1}).status_code == 400


# --- storing and reading ----------------------------------------------------------------------


def test_state_put_then_get_returns_the_document_with_etag_and_last_modified(lrs):
    params = state_params()
    document = {"name": new_id(), "location": {"name": new_id()}}
    assert put_json(lrs, params, document).status_code == 204
    response = get(lrs, params)
    assert response.status_code == 200
    assert response.json == document
    assert response.mimetype == "application/json"
    assert response.headers["ETag"] == '"' + hashlib.sha1(response.data).hexdigest() + '"'
    assert response.headers["Last-Modified"].endswith("GMT")


def test_state_get_of_a_missing_document_is_404(lrs):
    response = get(lrs, state_params())
    assert response.status_code == 404
    assert response.json["error"]["code"] == 404


def test_state_put_without_concurrency_headers_replaces_an_existing_document(lrs):
    params = state_params()
    put_json(lrs, params, {"a": 1})
    assert put_json(lrs, params, {"b": 2}).status_code == 204
    assert get(lrs, params).json == {"b": 2}


def test_binary_state_is_stored_byte_for_byte_with_its_content_type(lrs):
    params = state_params()
    content = os.urandom(4096) + b"\x00\xff\xfe"
    response = lrs.put(STATE, query_string=params, data=content, content_type="image/png")
    assert response.status_code == 204
    fetched = get(lrs, params)
    assert fetched.status_code == 200
    assert fetched.data == content
    assert fetched.headers["Content-Type"] == "image/png"
    assert fetched.headers["ETag"] == f'"{hashlib.sha1(content).hexdigest()}"'


def test_text_state_keeps_its_charset_parameter(lrs):
    params = state_params()
    lrs.put(STATE, query_string=params, data="bladwijzer=pagina 3 – é".encode(), content_type="text/plain; charset=utf-8")
    fetched = get(lrs, params)
    assert fetched.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert fetched.data.decode("utf-8") == "bladwijzer=pagina 3 – é"


def test_state_without_content_type_is_stored_as_octet_stream(lrs):
    params = state_params()
    lrs.client.open(
        "/xapi/activities/state", method="PUT", query_string=params, data=b"raw", headers=lrs.headers()
    )
    assert get(lrs, params).headers["Content-Type"] == "application/octet-stream"


def test_state_put_labelled_json_that_is_not_json_is_400_and_stores_nothing(lrs):
    params = state_params()
    response = lrs.put(STATE, query_string=params, data=b'{"a": 1', content_type="application/json")
    assert response.status_code == 400
    assert get(lrs, params).status_code == 404


def test_registration_separates_state_documents(lrs):
    registration = new_id()
    params = state_params()
    put_json(lrs, params, {"where": "no registration"})
    put_json(lrs, {**params, "registration": registration}, {"where": "registration"})
    assert get(lrs, params).json == {"where": "no registration"}
    assert get(lrs, {**params, "registration": registration.upper()}).json == {"where": "registration"}


def test_agent_identity_not_its_name_or_key_order_finds_the_state(lrs):
    params = state_params(agent={"mbox": "mailto:Sanne@Example.nl", "name": "Sanne"})
    put_json(lrs, params, {"a": 1})
    same_person = {**params, "agent": json.dumps({"name": "S. de Vries", "mbox": "mailto:sanne@example.nl", "objectType": "Agent"})}
    assert get(lrs, same_person).json == {"a": 1}
    assert get(lrs, {**params, "agent": json.dumps(OTHER_AGENT)}).status_code == 404


def test_head_answers_like_get_without_a_body(lrs):
    params = state_params()
    put_json(lrs, params, {"a": 1})
    full = get(lrs, params)
    head = lrs.head(STATE, query_string=params)
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == full.headers["ETag"]
    assert head.headers["Content-Type"] == full.headers["Content-Type"]
    assert lrs.head(STATE, query_string=state_params()).status_code == 404


def test_get_with_matching_if_none_match_is_304(lrs):
    params = state_params()
    put_json(lrs, params, {"a": 1})
    etag = get(lrs, params).headers["ETag"]
    response = get(lrs, params, **{"If-None-Match": etag})
    assert response.status_code == 304
    assert response.headers["ETag"] == etag
    assert get(lrs, params, **{"If-None-Match": '"0000000000000000000000000000000000000000"'}).status_code == 200


# --- POST merge (Communication 2.2.s7/s8) ----------------------------------------------------------


@pytest.mark.parametrize("document", [b"1", b"true", b"abc"])
def test_state_post_of_a_new_document_stores_it_whatever_its_content(lrs, document):
    params = state_params()
    response = lrs.post(STATE, query_string=params, data=document, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 204
    fetched = get(lrs, params)
    assert fetched.data == document
    assert fetched.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_state_post_merges_top_level_properties_of_json_objects(lrs):
    params = state_params()
    first = {"car": {"make": "Ford", "model": "Escape"}, "driver": "Dale", "series": {"nascar": {"series": "sprint"}}}
    second = {"car": {"make": "Dodge", "model": "Ram"}, "driver": "Jeff", "extra": [1, 2]}
    assert lrs.post(STATE, query_string=params, json_body=first).status_code == 204
    assert lrs.post(STATE, query_string=params, json_body=second).status_code == 204
    assert get(lrs, params).json == {
        "car": {"make": "Dodge", "model": "Ram"},
        "driver": "Jeff",
        "series": {"nascar": {"series": "sprint"}},
        "extra": [1, 2],
    }


def test_state_post_merge_changes_the_etag(lrs):
    params = state_params()
    lrs.post(STATE, query_string=params, json_body={"x": "foo", "y": "bar"})
    before = get(lrs, params).headers["ETag"]
    lrs.post(STATE, query_string=params, json_body={"x": "bash", "z": "faz"})
    after = get(lrs, params)
    assert after.json == {"x": "bash", "y": "bar", "z": "faz"}
    assert after.headers["ETag"] != before
    assert after.headers["ETag"] == f'"{hashlib.sha1(after.data).hexdigest()}"'


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"abc", "application/x-www-form-urlencoded"),
        (b"abcdefg", "application/octet-stream"),
        (b'{"a": 1}', "text/plain"),
        (b"[1, 2]", "application/json"),
        (b'"text"', "application/json"),
        (b'{"a": 1}{', "application/json"),
    ],
)
def test_state_post_to_a_json_document_with_anything_but_a_json_object_is_400_and_changes_nothing(lrs, body, content_type):
    params = state_params()
    lrs.post(STATE, query_string=params, json_body={"keep": True})
    response = lrs.post(STATE, query_string=params, data=body, content_type=content_type)
    assert response.status_code == 400
    assert get(lrs, params).json == {"keep": True}


@pytest.mark.parametrize(("stored", "content_type"), [(b"/ asdf / undefined", "application/octet-stream"), (b"[1]", "application/json")])
def test_state_post_to_a_document_that_is_not_a_json_object_is_400_and_changes_nothing(lrs, stored, content_type):
    params = state_params()
    lrs.put(STATE, query_string=params, data=stored, content_type=content_type)
    response = lrs.post(STATE, query_string=params, json_body={"a": 1})
    assert response.status_code == 400
    assert get(lrs, params).data == stored


def test_json_with_charset_parameter_still_merges(lrs):
    params = state_params()
    lrs.post(STATE, query_string=params, data='{"a": "é"}'.encode(), content_type="application/json; charset=utf-8")
    lrs.post(STATE, query_string=params, data=b'{"b": 2}', content_type="application/json")
    assert get(lrs, params).json == {"a": "é", "b": 2}


# --- ids and since ------------------------------------------------------------------------------


def test_state_get_without_state_id_lists_the_ids_of_the_context(lrs):
    activity = f"{ACTIVITY}/{new_id()}"
    ids = [new_id() for _ in range(3)]
    for state_id in ids:
        put_json(lrs, state_params(activityId=activity, stateId=state_id), {"a": 1})
    put_json(lrs, state_params(activityId=activity, agent=OTHER_AGENT), {"other": True})
    response = get(lrs, state_params(activityId=activity, stateId=None))
    assert response.status_code == 200
    assert sorted(response.json) == sorted(ids)
    assert "Last-Modified" in response.headers


def test_state_ids_of_an_unknown_context_are_an_empty_array(lrs):
    response = get(lrs, state_params(activityId=f"{ACTIVITY}/{new_id()}", stateId=None))
    assert response.status_code == 200
    assert response.json == []


def test_state_ids_with_registration_list_only_that_registration(lrs):
    activity = f"{ACTIVITY}/{new_id()}"
    registration = new_id()
    put_json(lrs, state_params(activityId=activity, stateId="plain"), {})
    put_json(lrs, state_params(activityId=activity, stateId="registered", registration=registration), {})
    with_registration = get(lrs, state_params(activityId=activity, stateId=None, registration=registration)).json
    without = get(lrs, state_params(activityId=activity, stateId=None)).json
    assert with_registration == ["registered"]
    assert sorted(without) == ["plain", "registered"]


def test_since_lists_only_documents_stored_after_it(lrs, db):
    from xapi.models import Document

    activity = f"{ACTIVITY}/{new_id()}"
    put_json(lrs, state_params(activityId=activity, stateId="old"), {"v": 1})
    put_json(lrs, state_params(activityId=activity, stateId="new"), {"v": 2})
    # Date the first document back an hour, as if it had been written then.
    old = db.query(Document).filter_by(document_id="old").one()
    old.updated = datetime.now(timezone.utc) - timedelta(hours=1)
    db.commit()
    since = (datetime.now(timezone.utc) - timedelta(minutes=10)).isoformat()
    assert get(lrs, state_params(activityId=activity, stateId=None, since=since)).json == ["new"]
    long_ago = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    assert sorted(get(lrs, state_params(activityId=activity, stateId=None, since=long_ago)).json) == ["new", "old"]
    future = (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()
    assert get(lrs, state_params(activityId=activity, stateId=None, since=future)).json == []


def test_since_with_a_single_state_id_still_returns_the_document(lrs):
    params = state_params()
    put_json(lrs, params, {"a": 1})
    since = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    assert get(lrs, {**params, "since": since}).json == {"a": 1}


# --- delete -------------------------------------------------------------------------------------


def test_state_delete_removes_one_document(lrs):
    params = state_params()
    put_json(lrs, params, {"a": 1})
    assert lrs.delete(STATE, query_string=params).status_code == 204
    assert get(lrs, params).status_code == 404


def test_state_delete_of_a_missing_document_is_204(lrs):
    assert lrs.delete(STATE, query_string=state_params()).status_code == 204


def test_state_delete_without_state_id_removes_every_state_of_the_context_only(lrs):
    activity = f"{ACTIVITY}/{new_id()}"
    registration = new_id()
    put_json(lrs, state_params(activityId=activity, stateId="a"), {})
    put_json(lrs, state_params(activityId=activity, stateId="b", registration=registration), {})
    kept = state_params(activityId=activity, agent=OTHER_AGENT, stateId="c")
    put_json(lrs, kept, {"kept": True})
    assert lrs.delete(STATE, query_string=state_params(activityId=activity, stateId=None)).status_code == 204
    assert get(lrs, state_params(activityId=activity, stateId=None)).json == []
    assert get(lrs, kept).json == {"kept": True}


def test_state_delete_all_with_registration_keeps_other_registrations(lrs):
    activity = f"{ACTIVITY}/{new_id()}"
    first, second = new_id(), new_id()
    put_json(lrs, state_params(activityId=activity, stateId="a", registration=first), {})
    put_json(lrs, state_params(activityId=activity, stateId="b", registration=second), {})
    put_json(lrs, state_params(activityId=activity, stateId="c"), {})
    lrs.delete(STATE, query_string=state_params(activityId=activity, stateId=None, registration=first))
    assert sorted(get(lrs, state_params(activityId=activity, stateId=None)).json) == ["b", "c"]


def test_state_delete_with_stale_if_match_is_412_and_keeps_the_document(lrs):
    params = state_params()
    put_json(lrs, params, {"a": 1})
    response = lrs.delete(STATE, query_string=params, headers={"If-Match": '"1111111111111111111111111111111111111111"'})
    assert response.status_code == 412
    assert get(lrs, params).json == {"a": 1}
