"""activities/profile and agents/profile (Communication 2.6, 2.7) and concurrency (Communication 3.1)."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.xapi.conftest import new_id

ACTIVITY = "http://www.example.com/activityId/hashset"
AGENT = {"objectType": "Agent", "account": {"homePage": "http://www.example.com/agentId/1", "name": "Rick James"}}
ACTIVITY_PROFILE = "activities/profile"
AGENT_PROFILE = "agents/profile"
CREATE = {"If-None-Match": "*"}
BAD_TAG = '"1111111111111111111111111111111111111111"'


def activity_params(**overrides):
    params = {"activityId": ACTIVITY, "profileId": new_id()}
    params.update({k: v for k, v in overrides.items() if v is not None})
    return {k: v for k, v in params.items() if overrides.get(k, "") is not None}


def agent_params(**overrides):
    params = {"agent": json.dumps(AGENT), "profileId": new_id()}
    params.update({k: v for k, v in overrides.items() if v is not None})
    return {k: v for k, v in params.items() if overrides.get(k, "") is not None}


RESOURCES = [(ACTIVITY_PROFILE, activity_params), (AGENT_PROFILE, agent_params)]


@pytest.fixture(params=RESOURCES, ids=["activity-profile", "agent-profile"])
def resource(request):
    return request.param


# --- parameters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_profile_write_without_profile_id_is_400(lrs, resource, method):
    path, params = resource
    response = lrs.open(method, path, query_string=params(profileId=None), json_body={"a": 1}, headers=CREATE)
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == "profileId"


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
def test_activity_profile_without_activity_id_is_400(lrs, method):
    response = lrs.open(method, ACTIVITY_PROFILE, query_string=activity_params(activityId=None), json_body={}, headers=CREATE)
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == "activityId"


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("activity_id", ["1", "true", '{"key": "value"}'])
def test_activity_profile_with_activity_id_that_is_not_an_iri_is_400(lrs, method, activity_id):
    response = lrs.open(method, ACTIVITY_PROFILE, query_string=activity_params(activityId=activity_id), json_body={}, headers=CREATE)
    assert response.status_code == 400


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("agent", ["1", "true", "not Agent", '{"key": "value"}', '{"not_actor": "yup"}'])
def test_agent_profile_with_agent_that_is_not_an_agent_is_400(lrs, method, agent):
    response = lrs.open(method, AGENT_PROFILE, query_string=agent_params(agent=agent), json_body={}, headers=CREATE)
    assert response.status_code == 400


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
def test_agent_profile_without_agent_is_400(lrs, method):
    response = lrs.open(method, AGENT_PROFILE, query_string=agent_params(agent=None), json_body={}, headers=CREATE)
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == "agent"


@pytest.mark.parametrize("method", ["GET", "PUT", "POST"])
def test_activity_profile_rejects_an_agent_parameter(lrs, method):
    # The conformance suite sends agent= to the activity profile: it is not a parameter there.
    response = lrs.open(method, ACTIVITY_PROFILE, query_string=activity_params(agent=json.dumps(AGENT)), json_body={}, headers=CREATE)
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == "agent"


def test_agent_profile_with_broken_agent_encoding_is_400(lrs):
    agent = json.dumps(AGENT).replace(":", '"', 1)
    response = lrs.post(AGENT_PROFILE, query_string={"profileId": new_id(), "agent": agent}, json_body={"a": 1})
    assert response.status_code == 400


@pytest.mark.parametrize("since", ["true", "1", "not timestamp", '{"key": "value"}'])
def test_profile_ids_with_malformed_since_is_400(lrs, resource, since):
    path, params = resource
    assert lrs.get(path, query_string=params(profileId=None, since=since)).status_code == 400


def test_profile_delete_with_since_is_400(lrs, resource):
    path, params = resource
    assert lrs.delete(path, query_string=params(since="2024-01-01T00:00:00Z")).status_code == 400


# --- storing, merging, listing ------------------------------------------------------------------


def test_profile_put_with_if_none_match_star_creates_and_get_returns_it(lrs, resource):
    path, params = resource
    query = params()
    document = {"name": new_id(), "location": {"name": new_id()}}
    assert lrs.put(path, query_string=query, json_body=document, headers=CREATE).status_code == 204
    response = lrs.get(path, query_string=query)
    assert response.status_code == 200
    assert response.json == document
    assert response.headers["ETag"] == f'"{hashlib.sha1(response.data).hexdigest()}"'


def test_profile_post_of_a_new_document_stores_it(lrs, resource):
    path, params = resource
    query = params()
    assert lrs.post(path, query_string=query, json_body={"car": "Honda"}).status_code == 204
    assert lrs.get(path, query_string=query).json == {"car": "Honda"}


def test_profile_post_without_concurrency_headers_merges_into_an_existing_json_document(lrs, resource):
    path, params = resource
    query = params()
    lrs.post(path, query_string=query, json_body={"car": "Honda"})
    assert lrs.post(path, query_string=query, json_body={"type": "Civic"}).status_code == 204
    assert lrs.get(path, query_string=query).json == {"car": "Honda", "type": "Civic"}


@pytest.mark.parametrize(("body", "content_type"), [(b"abcdefg", "application/octet-stream"), (b"abcdefg", "not/json"), (b'{"a": 1}{', "application/json")])
def test_profile_post_of_a_non_json_object_onto_json_is_400_and_changes_nothing(lrs, resource, body, content_type):
    path, params = resource
    query = params()
    lrs.post(path, query_string=query, json_body={"keep": 1})
    assert lrs.post(path, query_string=query, data=body, content_type=content_type).status_code == 400
    assert lrs.get(path, query_string=query).json == {"keep": 1}


def test_profile_post_of_json_onto_a_binary_document_is_400_and_changes_nothing(lrs, resource):
    path, params = resource
    query = params()
    lrs.put(path, query_string=query, data=b"/ asdf / undefined", content_type="application/octet-stream", headers=CREATE)
    assert lrs.post(path, query_string=query, json_body={"a": 1}).status_code == 400
    fetched = lrs.get(path, query_string=query)
    assert fetched.data == b"/ asdf / undefined"
    assert fetched.headers["Content-Type"] == "application/octet-stream"


def test_profile_ids_list_and_since(lrs, resource):
    path, params = resource
    first = params(**({"activityId": f"{ACTIVITY}/{new_id()}"} if path == ACTIVITY_PROFILE else {"agent": json.dumps({"mbox": f"mailto:{new_id()}@example.nl"})}))
    second = {**first, "profileId": new_id()}
    lrs.post(path, query_string=first, json_body={})
    lrs.post(path, query_string=second, json_body={})
    listing = {k: v for k, v in first.items() if k != "profileId"}
    response = lrs.get(path, query_string=listing)
    assert response.status_code == 200
    assert sorted(response.json) == sorted([first["profileId"], second["profileId"]])
    assert lrs.get(path, query_string={**listing, "since": "2000-01-01T00:00:00Z"}).json == response.json
    assert lrs.get(path, query_string={**listing, "since": "2999-01-01T00:00:00Z"}).json == []


def test_profile_delete_removes_it_and_deleting_a_missing_one_is_204(lrs, resource):
    path, params = resource
    query = params()
    lrs.post(path, query_string=query, json_body={"a": 1})
    assert lrs.delete(path, query_string=query).status_code == 204
    assert lrs.get(path, query_string=query).status_code == 404
    assert lrs.delete(path, query_string=query).status_code == 204


# --- concurrency (Communication 3.1) -------------------------------------------------------------


def test_profile_put_without_either_header_on_an_existing_document_is_409_and_changes_nothing(lrs, resource):
    path, params = resource
    query = params()
    lrs.post(path, query_string=query, json_body={"original": True})
    response = lrs.put(path, query_string=query, json_body={"replacement": True})
    assert response.status_code == 409
    assert "If-Match" in response.json["error"]["message"]
    assert lrs.get(path, query_string=query).json == {"original": True}


def test_profile_put_without_either_header_on_a_new_document_is_400_naming_the_header(lrs, resource):
    path, params = resource
    query = params()
    response = lrs.put(path, query_string=query, json_body={"a": 1})
    assert response.status_code == 400
    assert "If-None-Match" in response.json["error"]["message"]
    assert lrs.get(path, query_string=query).status_code == 404


def test_profile_put_with_if_none_match_star_on_an_existing_document_is_412(lrs, resource):
    path, params = resource
    query = params()
    lrs.put(path, query_string=query, json_body={"first": 1}, headers=CREATE)
    assert lrs.put(path, query_string=query, json_body={"second": 2}, headers=CREATE).status_code == 412
    assert lrs.get(path, query_string=query).json == {"first": 1}


def test_profile_put_with_the_current_etag_replaces_and_with_a_stale_one_is_412(lrs, resource):
    path, params = resource
    query = params()
    lrs.put(path, query_string=query, json_body={"v": 1}, headers=CREATE)
    etag = lrs.get(path, query_string=query).headers["ETag"]
    assert lrs.put(path, query_string=query, json_body={"v": 2}, headers={"If-Match": etag}).status_code == 204
    # The first ETag is stale now.
    assert lrs.put(path, query_string=query, json_body={"v": 3}, headers={"If-Match": etag}).status_code == 412
    assert lrs.put(path, query_string=query, json_body={"v": 3}, headers={"If-Match": BAD_TAG}).status_code == 412
    assert lrs.get(path, query_string=query).json == {"v": 2}


def test_if_match_accepts_a_list_of_tags_a_star_and_an_unquoted_tag(lrs, resource):
    path, params = resource
    query = params()
    lrs.put(path, query_string=query, json_body={"v": 1}, headers=CREATE)
    etag = lrs.get(path, query_string=query).headers["ETag"]
    assert lrs.put(path, query_string=query, json_body={"v": 2}, headers={"If-Match": f"{BAD_TAG}, {etag}"}).status_code == 204
    assert lrs.put(path, query_string=query, json_body={"v": 3}, headers={"If-Match": "*"}).status_code == 204
    etag = lrs.get(path, query_string=query).headers["ETag"]
    assert lrs.put(path, query_string=query, json_body={"v": 4}, headers={"If-Match": etag.strip('"')}).status_code == 204
    assert lrs.get(path, query_string=query).json == {"v": 4}


def test_weak_etag_never_satisfies_if_match(lrs, resource):
    path, params = resource
    query = params()
    lrs.put(path, query_string=query, json_body={"v": 1}, headers=CREATE)
    etag = lrs.get(path, query_string=query).headers["ETag"]
    assert lrs.put(path, query_string=query, json_body={"v": 2}, headers={"If-Match": "W/" + etag}).status_code == 412


def test_if_match_on_a_missing_document_is_412_and_creates_nothing(lrs, resource):
    path, params = resource
    query = params()
    assert lrs.put(path, query_string=query, json_body={"v": 1}, headers={"If-Match": "*"}).status_code == 412
    assert lrs.get(path, query_string=query).status_code == 404


def test_profile_post_with_stale_if_match_is_412_and_does_not_merge(lrs, resource):
    path, params = resource
    query = params()
    lrs.post(path, query_string=query, json_body={"a": 1})
    assert lrs.post(path, query_string=query, json_body={"b": 2}, headers={"If-Match": BAD_TAG}).status_code == 412
    assert lrs.post(path, query_string=query, json_body={"b": 2}, headers=CREATE).status_code == 412
    assert lrs.get(path, query_string=query).json == {"a": 1}


def test_profile_delete_honours_if_match(lrs, resource):
    path, params = resource
    query = params()
    lrs.post(path, query_string=query, json_body={"a": 1})
    assert lrs.delete(path, query_string=query, headers={"If-Match": BAD_TAG}).status_code == 412
    etag = lrs.get(path, query_string=query).headers["ETag"]
    assert lrs.delete(path, query_string=query, headers={"If-Match": etag}).status_code == 204
    assert lrs.get(path, query_string=query).status_code == 404


def test_state_put_honours_concurrency_headers_when_given(lrs):
    query = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": new_id()}
    lrs.put("activities/state", query_string=query, json_body={"v": 1})
    assert lrs.put("activities/state", query_string=query, json_body={"v": 2}, headers=CREATE).status_code == 412
    assert lrs.put("activities/state", query_string=query, json_body={"v": 2}, headers={"If-Match": BAD_TAG}).status_code == 412
    assert lrs.get("activities/state", query_string=query).json == {"v": 1}


def test_activity_and_agent_profiles_with_the_same_id_are_separate(lrs):
    profile_id = new_id()
    lrs.put(ACTIVITY_PROFILE, query_string={"activityId": ACTIVITY, "profileId": profile_id}, json_body={"of": "activity"}, headers=CREATE)
    lrs.put(AGENT_PROFILE, query_string={"agent": json.dumps(AGENT), "profileId": profile_id}, json_body={"of": "agent"}, headers=CREATE)
    assert lrs.get(ACTIVITY_PROFILE, query_string={"activityId": ACTIVITY, "profileId": profile_id}).json == {"of": "activity"}
    assert lrs.get(AGENT_PROFILE, query_string={"agent": json.dumps(AGENT), "profileId": profile_id}).json == {"of": "agent"}
