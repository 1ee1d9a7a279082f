"""Who may use the document resources: authentication, scopes, actor/registration limits, tenants."""

from __future__ import annotations

import json

import pytest

from tests.xapi.conftest import new_id

ACTIVITY = "https://leerpaspoort.example/activities/module-1"
LEARNER = {"objectType": "Agent", "mbox": "mailto:learner@example.nl"}
OTHER = {"objectType": "Agent", "mbox": "mailto:other@example.nl"}


def state_query(agent=LEARNER, **extra):
    return {"activityId": ACTIVITY, "agent": json.dumps(agent), "stateId": "bookmark", **extra}


def test_document_request_without_credentials_is_401_and_stores_nothing(lrs):
    anonymous = lrs.without_auth()
    response = anonymous.put("activities/state", query_string=state_query(), json_body={"a": 1})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert lrs.get("activities/state", query_string=state_query()).status_code == 404


@pytest.mark.parametrize(
    ("scopes", "method", "path", "query", "allowed"),
    [
        (["state"], "PUT", "activities/state", state_query(), True),
        (["profile"], "PUT", "activities/state", state_query(), False),
        (["statements/write"], "GET", "activities/state", state_query(), False),
        (["all/read"], "GET", "activities/state", state_query(), True),
        (["all/read"], "PUT", "activities/state", state_query(), False),
        (["all/read"], "DELETE", "activities/state", state_query(), False),
        (["profile"], "POST", "activities/profile", {"activityId": ACTIVITY, "profileId": "p"}, True),
        (["state"], "POST", "activities/profile", {"activityId": ACTIVITY, "profileId": "p"}, False),
        (["profile"], "POST", "agents/profile", {"agent": json.dumps(LEARNER), "profileId": "p"}, True),
        (["state"], "GET", "agents/profile", {"agent": json.dumps(LEARNER), "profileId": "p"}, False),
        (["all/read"], "GET", "agents/profile", {"agent": json.dumps(LEARNER)}, True),
        (["all"], "DELETE", "agents/profile", {"agent": json.dumps(LEARNER), "profileId": "p"}, True),
    ],
)
def test_document_scopes(make_credential, lrs_client_for, scopes, method, path, query, allowed):
    client = lrs_client_for(make_credential(scopes))
    response = client.open(method, path, query_string=query, json_body={"a": 1})
    if allowed:
        assert response.status_code in (200, 204, 404), response.json
    else:
        assert response.status_code == 403
        assert "scope" in response.json["error"]["message"]


def test_actor_limited_credential_uses_only_its_own_state(make_credential, lrs_client_for, lrs):
    module = lrs_client_for(make_credential(["state", "profile"], actor=LEARNER))
    assert module.put("activities/state", query_string=state_query(), json_body={"page": 3}).status_code == 204
    # Same person, another name: still the credential's own agent.
    renamed = {"name": "Learner", "mbox": "mailto:LEARNER@example.nl"}
    assert module.get("activities/state", query_string=state_query(agent=renamed)).json == {"page": 3}
    lrs.put("activities/state", query_string=state_query(agent=OTHER), json_body={"secret": True})
    for method in ("GET", "PUT", "POST", "DELETE"):
        response = module.open(method, "activities/state", query_string=state_query(agent=OTHER), json_body={"x": 1})
        assert response.status_code == 403, method
    assert module.get("agents/profile", query_string={"agent": json.dumps(OTHER)}).status_code == 403
    assert module.get("agents/profile", query_string={"agent": json.dumps(LEARNER)}).status_code == 200
    assert lrs.get("activities/state", query_string=state_query(agent=OTHER)).json == {"secret": True}


def test_registration_limited_credential_uses_only_its_registration(make_credential, lrs_client_for):
    registration = new_id()
    module = lrs_client_for(make_credential(["state"], actor=LEARNER, registration=registration))
    own = state_query(registration=registration.upper())
    assert module.put("activities/state", query_string=own, json_body={"page": 1}).status_code == 204
    assert module.get("activities/state", query_string=own).json == {"page": 1}
    assert module.get("activities/state", query_string=state_query(registration=new_id())).status_code == 403
    assert module.get("activities/state", query_string=state_query()).status_code == 403
    assert module.delete("activities/state", query_string={"activityId": ACTIVITY, "agent": json.dumps(LEARNER)}).status_code == 403


def test_tenants_never_see_each_others_documents(make_credential, lrs_client_for):
    first = lrs_client_for(make_credential(["all"], tenant_id=1))
    second = lrs_client_for(make_credential(["all"], tenant_id=2))
    profile = {"activityId": ACTIVITY, "profileId": "leaderboard"}
    assert first.put("activities/profile", query_string=profile, json_body={"tenant": 1}, headers={"If-None-Match": "*"}).status_code == 204
    assert first.put("activities/state", query_string=state_query(), json_body={"tenant": 1}).status_code == 204
    # The other tenant sees nothing, and can create its own document under the same keys.
    assert second.get("activities/profile", query_string=profile).status_code == 404
    assert second.get("activities/profile", query_string={"activityId": ACTIVITY}).json == []
    assert second.get("activities/state", query_string=state_query()).status_code == 404
    assert second.put("activities/profile", query_string=profile, json_body={"tenant": 2}, headers={"If-None-Match": "*"}).status_code == 204
    second.delete("activities/state", query_string={"activityId": ACTIVITY, "agent": json.dumps(LEARNER)})
    assert first.get("activities/profile", query_string=profile).json == {"tenant": 1}
    assert first.get("activities/state", query_string=state_query()).json == {"tenant": 1}
    assert second.get("activities/profile", query_string=profile).json == {"tenant": 2}


def test_document_too_large_is_413(app, lrs):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = lrs.put("activities/state", query_string=state_query(), data=b"x" * 4096, content_type="text/plain")
    assert response.status_code == 413
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_actor_limited_credential_reads_but_never_changes_shared_activity_profiles(make_credential, lrs_client_for, lrs):
    profile = {"activityId": ACTIVITY, "profileId": "leaderboard"}
    assert lrs.put("activities/profile", query_string=profile, json_body={"top": 1}, headers={"If-None-Match": "*"}).status_code == 204
    module = lrs_client_for(make_credential(["state", "profile"], actor=LEARNER))

    assert module.get("activities/profile", query_string=profile).json == {"top": 1}
    assert module.post("activities/profile", query_string=profile, json_body={"top": 2}).status_code == 403
    assert module.put("activities/profile", query_string=profile, json_body={"top": 2}).status_code == 403
    assert module.delete("activities/profile", query_string=profile).status_code == 403
    assert lrs.get("activities/profile", query_string=profile).json == {"top": 1}
