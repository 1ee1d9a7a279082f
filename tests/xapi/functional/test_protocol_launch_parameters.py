"""Unknown query parameters: refused for ordinary credentials, ignored for a module launch's own.

Tin Can players (TinCanJS and the Storyline/Captivate players built on it) send every launch-URL
parameter they do not know, such as a module's own `?lang=nl`, on each LRS request. A launch's
credential (limited to one actor and one registration) therefore has them recognised and ignored
(Communication 3.2.s3.b8); every other credential keeps the 400 of 3.2.s3.b7.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.xapi.conftest import new_id

ACTIVITY = "https://leerpaspoort.example/activities/module-1"
LEARNER = {"objectType": "Agent", "account": {"homePage": "https://moodle.example.nl", "name": "42"}}
REGISTRATION = str(uuid.uuid4())


def statement(statement_id=None):
    body = {
        "actor": LEARNER,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": ACTIVITY},
        "context": {"registration": REGISTRATION},
    }
    if statement_id:
        body["id"] = statement_id
    return body


@pytest.fixture
def launch_client(make_credential, lrs_client_for):
    credential = make_credential(
        ["statements/write", "statements/read/mine", "state", "profile"], actor=LEARNER, registration=REGISTRATION
    )
    return lrs_client_for(credential)


@pytest.fixture
def ordinary_client(make_credential, lrs_client_for):
    return lrs_client_for(make_credential(["all"]))


def state_query(**extra):
    return {"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "registration": REGISTRATION, "stateId": "bookmark", **extra}


def test_a_launch_credential_may_send_its_module_s_own_parameters(launch_client):
    assert launch_client.put("activities/state", query_string=state_query(lang="nl"), json_body={"slide": 3}).status_code == 204
    got = launch_client.get("activities/state", query_string=state_query(lang="nl"))
    assert got.status_code == 200 and got.json == {"slide": 3}

    statement_id = new_id()
    put = launch_client.put("statements", query_string={"statementId": statement_id, "lang": "nl"}, json_body=statement())
    assert put.status_code == 204, put.get_data(as_text=True)
    posted = launch_client.post("statements", query_string={"lang": "nl"}, json_body=statement())
    assert posted.status_code == 200, posted.get_data(as_text=True)
    read = launch_client.get("statements", query_string={"statementId": statement_id, "lang": "nl"})
    assert read.status_code == 200 and read.json["id"] == statement_id


def test_an_ordinary_credential_still_gets_400_for_unknown_parameters(ordinary_client):
    response = ordinary_client.put("activities/state", query_string=state_query(lang="nl"), json_body={"slide": 3})
    assert response.status_code == 400 and "lang" in response.get_data(as_text=True)
    assert ordinary_client.get("activities/state", query_string=state_query()).status_code == 404

    statement_id = new_id()
    put = ordinary_client.put("statements", query_string={"statementId": statement_id, "lang": "nl"}, json_body=statement())
    assert put.status_code == 400
    assert ordinary_client.get("statements", query_string={"statementId": statement_id}).status_code == 404
    assert ordinary_client.get("statements", query_string={"verb": "http://adlnet.gov/expapi/verbs/experienced", "lang": "nl"}).status_code == 400
