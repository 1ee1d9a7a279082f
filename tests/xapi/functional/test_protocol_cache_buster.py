"""The cache-busting parameter of xapijs clients on reads.

@xapi/xapi and @xapi/cmi5 append `cachebuster=<milliseconds>` to a GET when content asks for
`useCacheBuster: true`. xAPI 1.0.3 Communication 3.2.s3.b7 has the LRS refuse parameters it does
not recognise (400), and 3.2.s3.b8 lets it recognise parameters outside the specification: we
recognise this one on GET and HEAD and drop it, and still refuse it (and every other unknown
parameter) on writes, in another case, or beside a parameter that is really unknown.
"""

from __future__ import annotations

import json

import pytest

from tests.xapi.conftest import make_statement, new_id

ACTIVITY = "https://leerpaspoort.example/activities/cache-buster"
LEARNER = {"mbox": "mailto:cachebuster@example.nl"}
STATE = {"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "stateId": "bookmark"}
BUSTER = {"cachebuster": "1763931234567"}


@pytest.fixture
def statement_id(lrs) -> str:
    statement_id = new_id()
    assert lrs.put(f"statements?statementId={statement_id}", json_body=make_statement()).status_code == 204
    return statement_id


@pytest.fixture
def state_saved(lrs) -> None:
    assert lrs.put("activities/state", query_string=STATE, json_body={"page": 2}).status_code == 204


def test_a_single_statement_get_with_a_cache_buster_is_answered(lrs, statement_id):
    # 2.1.3.s2.b1 would refuse anything beside statementId, attachments and format.
    response = lrs.get("statements", query_string={"statementId": statement_id, **BUSTER})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["id"] == statement_id


def test_a_filtered_statement_query_with_a_cache_buster_is_answered(lrs, statement_id):
    response = lrs.get("statements", query_string={"agent": json.dumps(make_statement()["actor"]), **BUSTER})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [s["id"] for s in response.get_json()["statements"]] == [statement_id]


@pytest.mark.usefixtures("state_saved")
def test_a_document_get_and_head_with_a_cache_buster_are_answered(lrs):
    got = lrs.get("activities/state", query_string={**STATE, **BUSTER})
    assert got.status_code == 200, got.get_data(as_text=True)
    assert got.get_json() == {"page": 2}
    assert lrs.head("activities/state", query_string={**STATE, **BUSTER}).status_code == 200


def test_about_agents_and_activities_accept_a_cache_buster(lrs, statement_id):
    assert lrs.get("about", query_string=BUSTER).status_code == 200
    assert lrs.get("agents", query_string={"agent": json.dumps(LEARNER), **BUSTER}).status_code == 200
    activity = make_statement()["object"]["id"]
    assert lrs.get("activities", query_string={"activityId": activity, **BUSTER}).status_code == 200


def test_a_write_with_a_cache_buster_is_refused_and_changes_nothing(lrs):
    response = lrs.put("activities/state", query_string={**STATE, **BUSTER}, json_body={"page": 9})
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "cachebuster"
    assert lrs.get("activities/state", query_string=STATE).status_code == 404


@pytest.mark.usefixtures("state_saved")
def test_parameter_names_stay_case_sensitive(lrs):
    # Communication 3.2.s3.b7: only the exact name is recognised.
    response = lrs.get("activities/state", query_string={**STATE, "cacheBuster": "1"})
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "cacheBuster"


@pytest.mark.usefixtures("state_saved")
def test_an_unknown_parameter_beside_a_cache_buster_is_still_refused(lrs):
    response = lrs.get("activities/state", query_string={**STATE, **BUSTER, "nocache": "1"})
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "nocache"


@pytest.mark.usefixtures("state_saved")
def test_an_alternate_syntax_get_may_carry_a_cache_buster_as_a_form_parameter(lrs):
    # Communication 1.3.s3.b14: form parameters stand for query parameters.
    form = {**STATE, **BUSTER, "X-Experience-API-Version": "1.0.3", "Authorization": lrs.headers()["Authorization"]}
    response = lrs.without_auth().as_version(None).post(
        "activities/state?method=GET", data=form, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"page": 2}
