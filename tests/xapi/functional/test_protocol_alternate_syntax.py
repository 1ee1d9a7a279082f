"""The 1.0.x alternate request syntax (Communication 1.3): method= plus a form body, as cmi5
drivers send on window close; removed in 2.0."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest

from tests.xapi.conftest import make_statement, new_id

ACTIVITY = "https://leerpaspoort.example/activities/module-1"
LEARNER = {"mbox": "mailto:learner@example.nl"}
FORM = "application/x-www-form-urlencoded"


def basic(credential) -> str:
    return "Basic " + base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()


def post_form(client, path, method, form, headers=None, query_extra=""):
    """POST path?method=METHOD with a form body and nothing else, like a posted HTML form."""
    return client.post(
        f"/xapi/{path}?method={method}{query_extra}",
        data=urlencode(form),
        content_type=FORM,
        headers=headers or {},
    )


def state_form(credential, **extra):
    return {
        "activityId": ACTIVITY,
        "agent": json.dumps(LEARNER),
        "stateId": "suspend_data",
        "Authorization": basic(credential),
        "X-Experience-API-Version": "1.0.3",
        **extra,
    }


def test_put_state_with_headers_and_content_as_form_fields(client, lrs, lrs_credential):
    form = state_form(lrs_credential, content=json.dumps({"page": 7, "é": "ü"}), **{"Content-Type": "application/json"})
    response = post_form(client, "activities/state", "PUT", form)
    assert response.status_code == 204, response.json
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    stored = lrs.get("activities/state", query_string={"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "stateId": "suspend_data"})
    assert stored.json == {"page": 7, "é": "ü"}
    assert stored.headers["Content-Type"] == "application/json"


def test_content_is_stored_as_utf8_text_with_the_form_content_type(client, lrs, lrs_credential):
    form = state_form(lrs_credential, content="hoofdstuk 2 – klaar", **{"Content-Type": "text/plain; charset=utf-8"})
    assert post_form(client, "activities/state", "PUT", form).status_code == 204
    stored = lrs.get("activities/state", query_string={"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "stateId": "suspend_data"})
    assert stored.data == "hoofdstuk 2 – klaar".encode("utf-8")
    assert stored.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_get_through_the_alternate_syntax_reads_parameters_from_the_form(client, lrs, lrs_credential):
    query = {"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "stateId": "suspend_data"}
    lrs.put("activities/state", query_string=query, json_body={"page": 2})
    response = post_form(client, "activities/state", "GET", state_form(lrs_credential))
    assert response.status_code == 200
    assert response.json == {"page": 2}
    assert response.headers["ETag"]


def test_if_match_as_a_form_field_is_a_precondition(client, lrs, lrs_credential):
    query = {"activityId": ACTIVITY, "profileId": "scores"}
    lrs.put("activities/profile", query_string=query, json_body={"high": 1}, headers={"If-None-Match": "*"})
    form = {
        "activityId": ACTIVITY,
        "profileId": "scores",
        "Authorization": basic(lrs_credential),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "content": json.dumps({"high": 2}),
        "If-Match": '"1111111111111111111111111111111111111111"',
    }
    assert post_form(client, "activities/profile", "PUT", form).status_code == 412
    form["If-Match"] = lrs.get("activities/profile", query_string=query).headers["ETag"]
    assert post_form(client, "activities/profile", "PUT", form).status_code == 204
    assert lrs.get("activities/profile", query_string=query).json == {"high": 2}


def test_delete_through_the_alternate_syntax(client, lrs, lrs_credential):
    query = {"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "stateId": "suspend_data"}
    lrs.put("activities/state", query_string=query, json_body={"page": 2})
    assert post_form(client, "activities/state", "DELETE", state_form(lrs_credential)).status_code == 204
    assert lrs.get("activities/state", query_string=query).status_code == 404


def test_real_headers_still_count_and_win_over_form_stand_ins(client, lrs, lrs_credential):
    form = state_form(lrs_credential, content="{}", **{"Content-Type": "application/json", "X-Experience-API-Version": "0.8"})
    response = post_form(client, "activities/state", "PUT", form, headers={"X-Experience-API-Version": "1.0.2"})
    assert response.status_code == 204


def test_statements_put_through_the_alternate_syntax(client, lrs, lrs_credential):
    statement_id = new_id()
    form = {
        "statementId": statement_id,
        "content": json.dumps(make_statement()),
        "Authorization": basic(lrs_credential),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    response = post_form(client, "statements", "PUT", form)
    assert response.status_code == 204, response.get_data(as_text=True)
    assert lrs.get("statements", query_string={"statementId": statement_id}).json["id"] == statement_id


def test_statements_get_through_the_alternate_syntax(client, lrs, lrs_credential):
    lrs.post("statements", json_body=make_statement())
    response = post_form(client, "statements", "GET", {"limit": "1"}, headers={
        "Authorization": basic(lrs_credential), "X-Experience-API-Version": "1.0.3"})
    assert response.status_code == 200
    assert "statements" in response.json and "more" in response.json


def test_method_value_is_case_insensitive(client, lrs, lrs_credential):
    form = state_form(lrs_credential, content="{}", **{"Content-Type": "application/json"})
    assert post_form(client, "activities/state", "put", form).status_code == 204


# --- refusals ------------------------------------------------------------------------------------


def test_alternate_syntax_not_sent_as_post_is_400(client, lrs_credential):
    response = client.get(
        "/xapi/activities/state?method=PUT",
        headers={"Authorization": basic(lrs_credential), "X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 400
    assert "POST" in response.json["error"]["message"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_other_query_parameters_next_to_method_are_400_and_store_nothing(client, lrs, lrs_credential):
    form = state_form(lrs_credential, content="{}", **{"Content-Type": "application/json"})
    response = post_form(client, "activities/state", "PUT", form, query_extra="&stateId=suspend_data")
    assert response.status_code == 400
    assert "stateId" in response.json["error"]["message"]
    query = {"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "stateId": "suspend_data"}
    assert lrs.get("activities/state", query_string=query).status_code == 404


@pytest.mark.parametrize("method", ["PATCH", "OPTIONS", "", "TRACE"])
def test_unknown_method_value_is_400(client, lrs_credential, method):
    assert post_form(client, "activities/state", method, state_form(lrs_credential)).status_code == 400


def test_body_that_is_not_form_encoded_is_400(client, lrs_credential):
    form = state_form(lrs_credential, content="{}")
    response = client.post("/xapi/activities/state?method=PUT", data=json.dumps(form), content_type=FORM)
    assert response.status_code == 400


def test_body_with_another_content_type_is_400(client, lrs_credential):
    form = state_form(lrs_credential, content="{}")
    response = client.post("/xapi/activities/state?method=PUT", data=urlencode(form), content_type="application/json")
    assert response.status_code == 400
    assert FORM in response.json["error"]["message"]


def test_unknown_form_parameter_is_400_naming_it(client, lrs_credential):
    form = state_form(lrs_credential, content="{}", happy="day")
    response = post_form(client, "activities/state", "PUT", form)
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == "happy"


def test_statements_put_without_content_is_400(client, lrs_credential):
    response = post_form(client, "statements", "PUT", {"statementId": new_id(), "Authorization": basic(lrs_credential), "X-Experience-API-Version": "1.0.3"})
    assert response.status_code == 400


def test_missing_credentials_in_form_and_headers_is_401(client):
    form = {"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "stateId": "s", "X-Experience-API-Version": "1.0.3", "content": "{}"}
    assert post_form(client, "activities/state", "PUT", form).status_code == 401


def test_missing_version_in_form_and_headers_is_400(client, lrs_credential):
    form = {"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "stateId": "s", "Authorization": basic(lrs_credential), "content": "{}"}
    assert post_form(client, "activities/state", "PUT", form).status_code == 400


@pytest.mark.parametrize("where", ["form", "header"])
def test_alternate_syntax_is_refused_in_xapi_2(client, lrs, lrs_credential, where):
    form = state_form(lrs_credential, content="{}", **{"Content-Type": "application/json"})
    headers = {}
    if where == "form":
        form["X-Experience-API-Version"] = "2.0.0"
    else:
        del form["X-Experience-API-Version"]
        headers["X-Experience-API-Version"] = "2.0.0"
    response = post_form(client, "activities/state", "PUT", form, headers=headers)
    assert response.status_code == 400
    assert "2.0" in response.json["error"]["message"]
    query = {"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "stateId": "suspend_data"}
    assert lrs.get("activities/state", query_string=query).status_code == 404


def test_preflight_of_an_alternate_syntax_request_is_still_answered(client):
    response = client.options(
        "/xapi/statements?method=PUT",
        headers={"Origin": "https://content.example.org", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "https://content.example.org"


def test_a_plain_form_post_without_method_is_just_a_document(lrs):
    # The conformance suite posts "1" as a form-encoded state document: no method, no rewrite.
    query = {"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "stateId": new_id()}
    assert lrs.post("activities/state", query_string=query, data=b"1", content_type=FORM).status_code == 204
    assert lrs.get("activities/state", query_string=query).data == b"1"


def test_alternate_syntax_body_over_the_size_limit_is_413(app, client, lrs_credential):
    app.config["MAX_CONTENT_LENGTH"] = 512
    form = state_form(lrs_credential, content="x" * 2048, **{"Content-Type": "text/plain"})
    response = post_form(client, "activities/state", "PUT", form)
    assert response.status_code == 413
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
