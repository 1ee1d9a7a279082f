"""The Python `tincan` client (RemoteLRS) against the LRS served over real HTTP on 127.0.0.1.

It speaks 1.0.1, sends documents with its own Content-Type handling and sends If-Match only when
it holds an ETag: the same paths Tin Can content takes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import urllib.request
from urllib.parse import urlencode

import pytest
from tincan import Activity, ActivityProfileDocument, Agent, AgentAccount, AgentProfileDocument, RemoteLRS, StateDocument
from werkzeug.serving import make_server

ACTIVITY_ID = "https://leerpaspoort.example/activities/tincan-module"


@pytest.fixture
def live_lrs(app):
    """The application served by a real HTTP server in a thread; yields its /xapi/ endpoint."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/xapi/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def remote(live_lrs, lrs_credential):
    return RemoteLRS(endpoint=live_lrs, username=lrs_credential.key, password=lrs_credential.secret)


@pytest.fixture
def learner():
    return Agent(name="Sanne de Vries", account=AgentAccount(home_page="https://moodle.example.nl", name="sanne"))


def test_tincan_client_reads_about(remote):
    response = remote.about()
    assert response.success
    assert "1.0.3" in response.content.version


def test_tincan_client_saves_reads_lists_and_deletes_state(remote, learner):
    activity = Activity(id=ACTIVITY_ID)
    suspend_data = json.dumps({"page": 12, "answers": [1, 3]})
    state = StateDocument(id="suspend_data", activity=activity, agent=learner, content=suspend_data, content_type="application/json")
    assert remote.save_state(state).success

    fetched = remote.retrieve_state(activity, learner, "suspend_data")
    assert fetched.success
    assert fetched.response.status == 200
    assert json.loads(fetched.content.content) == {"page": 12, "answers": [1, 3]}

    ids = remote.retrieve_state_ids(activity, learner)
    assert ids.success
    assert ids.content == ["suspend_data"]

    assert remote.delete_state(fetched.content).success
    gone = remote.retrieve_state(activity, learner, "suspend_data")
    assert gone.response.status == 404


def test_tincan_client_round_trips_text_state_with_its_content_type(remote, learner):
    activity = Activity(id=ACTIVITY_ID)
    # tincan hands text to http.client, which sends it as Latin-1: plain ASCII here.
    text = "cmi.suspend_data=hoofdstuk 3; vraag 2"
    state = StateDocument(id="suspend.txt", activity=activity, agent=learner, content=text, content_type="text/plain; charset=utf-8")
    assert remote.save_state(state).success
    fetched = remote.retrieve_state(activity, learner, "suspend.txt")
    assert bytes(fetched.content.content) == text.encode("utf-8")
    assert dict(fetched.response.getheaders())["Content-Type"] == "text/plain; charset=utf-8"


def test_binary_state_round_trips_byte_for_byte_over_http(live_lrs, lrs_credential):
    # tincan can only send text, so the binary round trip uses plain HTTP.
    content = os.urandom(4096)
    query = urlencode({"activityId": ACTIVITY_ID, "agent": json.dumps({"mbox": "mailto:learner@example.nl"}), "stateId": "blob"})
    token = base64.b64encode(f"{lrs_credential.key}:{lrs_credential.secret}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}
    put = urllib.request.Request(f"{live_lrs}activities/state?{query}", data=content, method="PUT",
                                 headers={**headers, "Content-Type": "application/vnd.example.save"})
    with urllib.request.urlopen(put, timeout=10) as response:
        assert response.status == 204
    with urllib.request.urlopen(urllib.request.Request(f"{live_lrs}activities/state?{query}", headers=headers), timeout=10) as response:
        assert response.read() == content
        assert response.headers["Content-Type"] == "application/vnd.example.save"
        assert response.headers["ETag"] == f'"{hashlib.sha1(content).hexdigest()}"'


def test_tincan_client_updates_an_activity_profile_with_its_etag(remote, lrs):
    # tincan sends no concurrency header when it holds no ETag, which a profile PUT needs
    # (Communication 3.1): the document is created here with If-None-Match: *.
    lrs.put("activities/profile", query_string={"activityId": ACTIVITY_ID, "profileId": "leaderboard"},
            json_body={"top": ["sanne"]}, headers={"If-None-Match": "*"})
    activity = Activity(id=ACTIVITY_ID)
    fetched = remote.retrieve_activity_profile(activity, "leaderboard")
    assert fetched.success
    etag = dict(fetched.response.getheaders())["ETag"]

    without_etag = ActivityProfileDocument(id="leaderboard", activity=activity, content='{"top": []}', content_type="application/json")
    refused = remote.save_activity_profile(without_etag)
    assert not refused.success and refused.response.status == 409

    stale = ActivityProfileDocument(id="leaderboard", activity=activity, content='{"top": []}', content_type="application/json")
    stale.etag = '"' + "0" * 40 + '"'
    assert remote.save_activity_profile(stale).response.status == 412

    current = ActivityProfileDocument(id="leaderboard", activity=activity, content='{"top": ["sanne", "ali"]}', content_type="application/json")
    current.etag = etag
    assert remote.save_activity_profile(current).success
    assert json.loads(remote.retrieve_activity_profile(activity, "leaderboard").content.content) == {"top": ["sanne", "ali"]}
    assert remote.retrieve_activity_profile_ids(activity).content == ["leaderboard"]


def test_tincan_client_reads_and_lists_agent_profiles(remote, lrs, learner):
    agent = json.loads(learner.to_json())
    lrs.put("agents/profile", query_string={"agent": json.dumps(agent), "profileId": "cmi5LearnerPreferences"},
            json_body={"languagePreference": "nl-NL"}, headers={"If-None-Match": "*"})
    fetched = remote.retrieve_agent_profile(learner, "cmi5LearnerPreferences")
    assert fetched.success
    assert json.loads(fetched.content.content) == {"languagePreference": "nl-NL"}
    assert remote.retrieve_agent_profile_ids(learner).content == ["cmi5LearnerPreferences"]
    profile = AgentProfileDocument(id="cmi5LearnerPreferences", agent=learner)
    profile.etag = dict(fetched.response.getheaders())["ETag"]
    assert remote.delete_agent_profile(profile).success
    assert remote.retrieve_agent_profile(learner, "cmi5LearnerPreferences").response.status == 404
