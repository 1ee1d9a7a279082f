"""about, agents and activities (Communication 2.4, 2.5, 2.8)."""

from __future__ import annotations

import json

import pytest

from tests.xapi.conftest import make_statement, new_id

SANNE = {"objectType": "Agent", "name": "Sanne de Vries", "mbox": "mailto:sanne@example.nl"}


# --- about ---------------------------------------------------------------------------------------


def test_about_needs_no_credentials_or_version_header(client):
    response = client.get("/xapi/about")
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    body = response.json
    assert set(body) == {"version", "extensions"}
    assert "1.0.3" in body["version"] and "2.0.0" in body["version"]
    assert body["extensions"] == {}


def test_about_ignores_an_unsupported_version_header(client):
    response = client.get("/xapi/about", headers={"X-Experience-API-Version": "0.95"})
    assert response.status_code == 200


@pytest.mark.parametrize("version", ["1.0.1", "1.0.2", "1.0.3"])
def test_about_lists_only_1_0_versions_to_a_1_0_client(client, version):
    response = client.get("/xapi/about", headers={"X-Experience-API-Version": version})
    assert response.json["version"] == ["1.0.0", "1.0.1", "1.0.2", "1.0.3"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_about_to_a_2_0_client_lists_2_0_0_and_answers_in_it(client):
    response = client.get("/xapi/about", headers={"X-Experience-API-Version": "2.0.0"})
    assert "2.0.0" in response.json["version"]
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


def test_about_rejects_parameters(client):
    assert client.get("/xapi/about?verbose=1").status_code == 400


# --- agents --------------------------------------------------------------------------------------


def test_agents_returns_a_person_with_names_from_statements(lrs):
    lrs.post("statements", json_body=make_statement(actor=SANNE))
    lrs.post("statements", json_body=make_statement(actor={**SANNE, "name": "S. de Vries"}))
    response = lrs.get("agents", query_string={"agent": json.dumps({"mbox": "mailto:SANNE@example.nl"})})
    assert response.status_code == 200
    person = response.json
    assert person["objectType"] == "Person"
    assert person["mbox"] == ["mailto:SANNE@example.nl"]
    assert sorted(person["name"]) == ["S. de Vries", "Sanne de Vries"]
    assert set(person) <= {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}


@pytest.mark.parametrize(
    ("agent", "ifi", "expected"),
    [
        ({"mbox_sha1sum": "a" * 40}, "mbox_sha1sum", ["a" * 40]),
        ({"openid": "http://openid.example.org/sanne"}, "openid", ["http://openid.example.org/sanne"]),
        ({"account": {"homePage": "http://www.example.com", "name": "sanne"}}, "account", [{"homePage": "http://www.example.com", "name": "sanne"}]),
    ],
)
def test_agents_for_an_unknown_agent_returns_a_person_with_what_was_asked(lrs, agent, ifi, expected):
    response = lrs.get("agents", query_string={"agent": json.dumps({**agent, "name": "Rick James"})})
    assert response.status_code == 200
    assert response.json == {"objectType": "Person", "name": ["Rick James"], ifi: expected}


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"agent": "not JSON"},
        {"agent": '{"key": "value"}'},
        {"agent": '{"objectType": "Group", "member": [{"mbox": "mailto:a@example.nl"}]}'},
        {"agent": json.dumps(SANNE), "profileId": "x"},
    ],
)
def test_agents_with_a_missing_or_invalid_agent_or_extra_parameter_is_400(lrs, query):
    assert lrs.get("agents", query_string=query).status_code == 400


def test_agents_needs_credentials_and_an_actor_limited_one_sees_only_itself(lrs, make_credential, lrs_client_for):
    assert lrs.without_auth().get("agents", query_string={"agent": json.dumps(SANNE)}).status_code == 401
    module = lrs_client_for(make_credential(["state"], actor={"mbox": "mailto:sanne@example.nl"}))
    assert module.get("agents", query_string={"agent": json.dumps(SANNE)}).status_code == 200
    assert module.get("agents", query_string={"agent": json.dumps({"mbox": "mailto:other@example.nl"})}).status_code == 403


def test_agents_names_never_cross_tenants(make_credential, lrs_client_for):
    first = lrs_client_for(make_credential(["all"], tenant_id=1))
    second = lrs_client_for(make_credential(["all"], tenant_id=2))
    first.post("statements", json_body=make_statement(actor=SANNE))
    person = second.get("agents", query_string={"agent": json.dumps({"mbox": SANNE["mbox"]})}).json
    assert person["name"] == []


def test_agents_for_a_read_mine_credential_uses_only_its_own_statements(lrs, make_credential, lrs_client_for):
    lrs.post("statements", json_body=make_statement(actor=SANNE))
    mine = lrs_client_for(make_credential(["statements/write", "statements/read/mine"]))
    assert mine.get("agents", query_string={"agent": json.dumps({"mbox": SANNE["mbox"]})}).json["name"] == []
    mine.post("statements", json_body=make_statement(actor={**SANNE, "name": "Sanne"}))
    assert mine.get("agents", query_string={"agent": json.dumps({"mbox": SANNE["mbox"]})}).json["name"] == ["Sanne"]


# --- activities ----------------------------------------------------------------------------------


def test_activities_returns_the_definition_merged_from_statements(lrs):
    activity_id = f"https://leerpaspoort.example/activities/{new_id()}"
    first = {"objectType": "Activity", "id": activity_id, "definition": {"name": {"en-US": "Introduction"}}}
    second = {"objectType": "Activity", "id": activity_id, "definition": {"name": {"nl-NL": "Introductie"}, "description": {"en-US": "The start"}}}
    lrs.post("statements", json_body=make_statement(object=first))
    lrs.post("statements", json_body=make_statement(object=second))
    response = lrs.get("activities", query_string={"activityId": activity_id})
    assert response.status_code == 200
    activity = response.json
    assert activity["objectType"] == "Activity"
    assert activity["id"] == activity_id
    assert activity["definition"]["name"] == {"en-US": "Introduction", "nl-NL": "Introductie"}
    assert activity["definition"]["description"] == {"en-US": "The start"}


def test_activities_for_an_unknown_activity_returns_an_activity_object(lrs):
    activity_id = f"https://leerpaspoort.example/activities/{new_id()}"
    assert lrs.get("activities", query_string={"activityId": activity_id}).json == {"objectType": "Activity", "id": activity_id}


@pytest.mark.parametrize("query", [{}, {"activityId": "not an iri"}, {"activityId": ""}, {"activityId": "http://a.example/x", "agent": "{}"}])
def test_activities_with_missing_invalid_or_extra_parameters_is_400(lrs, query):
    assert lrs.get("activities", query_string=query).status_code == 400


def test_activities_never_cross_tenants(make_credential, lrs_client_for):
    first = lrs_client_for(make_credential(["all"], tenant_id=1))
    second = lrs_client_for(make_credential(["all"], tenant_id=2))
    activity_id = f"https://leerpaspoort.example/activities/{new_id()}"
    first.post("statements", json_body=make_statement(object={"id": activity_id, "definition": {"name": {"en": "Secret"}}}))
    assert "definition" not in second.get("activities", query_string={"activityId": activity_id}).json
    assert lrs_client_for(make_credential(["all"], tenant_id=1)).get("activities", query_string={"activityId": activity_id}).json["definition"]


def test_activities_needs_credentials(lrs):
    assert lrs.without_auth().get("activities", query_string={"activityId": "http://a.example/x"}).status_code == 401
