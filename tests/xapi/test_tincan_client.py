"""The Python `tincan` client, and our wrapper around it (xapi.client), against our LRS over real HTTP."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from tincan import Activity, ActivityProfileDocument, Agent, AgentAccount, RemoteLRS, StateDocument, Statement, Verb
from werkzeug.serving import make_server

from tests.support.remote_lrs import serve_proxy
from tests.support.serving import free_port
from tests.xapi.conftest import make_statement
from xapi.client import RemoteLRSClient, RemoteLRSError, normalise_endpoint

ACTIVITY_ID = "https://leerpaspoort.example/activities/tincan-client"


@contextmanager
def serve_wsgi(wsgi_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class HeaderRecorder:
    """WSGI middleware that notes the xAPI version header of every request."""

    def __init__(self, app):
        self.app = app
        self.versions: list[str | None] = []

    def __call__(self, environ, start_response):
        self.versions.append(environ.get("HTTP_X_EXPERIENCE_API_VERSION"))
        return self.app(environ, start_response)


@pytest.fixture
def recorder(app) -> HeaderRecorder:
    return HeaderRecorder(app)


@pytest.fixture
def live_base(recorder) -> Iterator[str]:
    with serve_wsgi(recorder) as base:
        yield base


@pytest.fixture
def endpoint(live_base) -> str:
    return live_base + "/xapi/"


@pytest.fixture
def wrapper(endpoint, lrs_credential) -> RemoteLRSClient:
    return RemoteLRSClient(endpoint, key=lrs_credential.key, secret=lrs_credential.secret, timeout=5)


def _statements(count: int) -> list[dict]:
    return [
        make_statement(
            id=str(uuid.uuid4()),
            result={"score": {"scaled": round(i / 10, 1)}, "extensions": {"https://leerpaspoort.example/ext/nested": {"list": [i, {"deep": True}]}}},
        )
        for i in range(count)
    ]


# --- the tincan package itself against our LRS ---------------------------------------------------


def test_tincan_client_round_trips_a_statement_state_and_activity_profile_with_a_1_0_x_header(endpoint, lrs_credential, lrs, recorder):
    remote = RemoteLRS(endpoint=endpoint, username=lrs_credential.key, password=lrs_credential.secret)
    learner = Agent(name="Sanne de Vries", account=AgentAccount(home_page="https://moodle.example.nl", name="sanne"))
    activity = Activity(id=ACTIVITY_ID)

    statement = Statement(id=str(uuid.uuid4()), actor=learner, verb=Verb(id="http://adlnet.gov/expapi/verbs/experienced"), object=activity)
    saved = remote.save_statement(statement)
    assert saved.success, saved.data
    listed = remote.query_statements({"activity": activity, "limit": 10})
    assert listed.success
    assert [str(s.id) for s in listed.content.statements] == [str(statement.id)]

    state = StateDocument(id="bookmark", activity=activity, agent=learner, content=json.dumps({"page": 4}), content_type="application/json")
    assert remote.save_state(state).success
    assert json.loads(remote.retrieve_state(activity, learner, "bookmark").content.content) == {"page": 4}

    # tincan cannot send If-None-Match, which creating a profile needs (Communication 3.1): create it here.
    lrs.put("activities/profile", query_string={"activityId": ACTIVITY_ID, "profileId": "highscores"}, json_body={"top": 3}, headers={"If-None-Match": "*"})
    fetched = remote.retrieve_activity_profile(activity, "highscores")
    assert json.loads(fetched.content.content) == {"top": 3}
    profile = ActivityProfileDocument(id="highscores", activity=activity, content=json.dumps({"top": 12}), content_type="application/json")
    profile.etag = dict(fetched.response.getheaders())["ETag"]
    assert remote.save_activity_profile(profile).success
    assert json.loads(remote.retrieve_activity_profile(activity, "highscores").content.content) == {"top": 12}

    assert len(recorder.versions) >= 7 and set(recorder.versions) == {"1.0.3"}  # tincan's latest, a 1.0.x version


def test_tincan_client_with_a_wrong_secret_only_reports_failure_which_is_why_we_wrap_it(endpoint, lrs_credential):
    remote = RemoteLRS(endpoint=endpoint, username=lrs_credential.key, password="wrong")
    response = remote.query_statements({"limit": 1})
    assert response.success is False and response.response.status == 401


# --- the wrapper: errors ------------------------------------------------------------------------


def test_wrapper_raises_with_status_and_body_on_401(endpoint, lrs_credential):
    client = RemoteLRSClient(endpoint, key=lrs_credential.key, secret="wrong", timeout=5)
    with pytest.raises(RemoteLRSError) as caught:
        list(client.statements())
    assert caught.value.status == 401
    assert "check the key and secret" in str(caught.value)
    assert caught.value.body


def test_wrapper_raises_on_a_500_from_the_server(live_base, lrs_credential):
    with serve_proxy(live_base) as proxy:
        proxy.fail_next, proxy.fail_status = 1, 500
        client = RemoteLRSClient(proxy.endpoint(), key=lrs_credential.key, secret=lrs_credential.secret, timeout=5)
        with pytest.raises(RemoteLRSError) as caught:
            client.post_statements(_statements(1))
    assert caught.value.status == 500
    assert "injected failure" in str(caught.value)


def test_wrapper_keeps_the_retry_after_of_a_refusal(live_base, lrs_credential):
    with serve_proxy(live_base) as proxy:
        proxy.fail_next, proxy.fail_status, proxy.retry_after = 1, 429, "120"
        client = RemoteLRSClient(proxy.endpoint(), key=lrs_credential.key, secret=lrs_credential.secret, timeout=5)
        with pytest.raises(RemoteLRSError) as caught:
            client.post_statements(_statements(1))
    assert (caught.value.status, caught.value.retry_after) == (429, 120.0)


def test_wrapper_does_not_read_an_answer_larger_than_its_limit(endpoint, lrs_credential, monkeypatch):
    from xapi import client as client_module

    client = RemoteLRSClient(endpoint, key=lrs_credential.key, secret=lrs_credential.secret, timeout=5)
    assert client.about()["version"]
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", 10)  # /about answers more than this
    with pytest.raises(RemoteLRSError, match="more than"):
        client.about()


def test_wrapper_gives_up_after_its_timeout_on_a_stalled_server(live_base, lrs_credential):
    with serve_proxy(live_base) as proxy:
        proxy.stall_seconds = 1.5
        client = RemoteLRSClient(proxy.endpoint(), key=lrs_credential.key, secret=lrs_credential.secret, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(RemoteLRSError) as caught:
            client.about()
        elapsed = time.monotonic() - started
    assert caught.value.is_network_error
    assert "timed out" in str(caught.value)
    assert elapsed < 1.2


def test_wrapper_raises_when_nothing_listens():
    port = free_port()
    client = RemoteLRSClient(f"http://127.0.0.1:{port}/xapi/", key="k", secret="s", timeout=2)
    with pytest.raises(RemoteLRSError) as caught:
        client.about()
    assert caught.value.is_network_error and "Could not reach" in str(caught.value)


def test_wrapper_refuses_a_more_link_to_another_server():
    def hostile(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"statements": [], "more": "http://elsewhere.example/xapi/statements?more=1"}).encode()]

    with serve_wsgi(hostile) as base:
        client = RemoteLRSClient(base + "/xapi/", key="k", secret="s", timeout=2)
        pages = client.statement_pages()
        assert next(pages).statements == []
        with pytest.raises(RemoteLRSError, match="another server"):
            next(pages)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"endpoint": "ftp://lrs.example/xapi/"}, "http:// or https://"),
        ({"endpoint": "https://lrs.example/xapi/?x=1"}, "query string"),
        ({"version": "0.95"}, "not supported"),
        ({"secret": ""}, "key and a secret"),
        ({"timeout": 0}, "above 0"),
    ],
)
def test_wrapper_refuses_bad_arguments(kwargs, message):
    arguments = {"endpoint": "https://lrs.example/xapi/", "key": "k", "secret": "s", "version": "1.0.3", "timeout": 5, **kwargs}
    endpoint = arguments.pop("endpoint")
    with pytest.raises(ValueError, match=message):
        RemoteLRSClient(endpoint, **arguments)


# --- the wrapper: reading and writing ----------------------------------------------------------


def test_wrapper_posts_a_batch_and_pages_through_more_keeping_the_statements_as_sent(wrapper, app):
    app.config["XAPI_STATEMENT_LIMIT"] = 500
    sent = _statements(5)
    assert wrapper.post_statements(sent) == [s["id"] for s in sent]

    pages = list(wrapper.statement_pages(page_size=2))
    assert [len(page.statements) for page in pages] == [2, 2, 1]
    received = [s for page in pages for s in page.statements]
    assert [s["id"] for s in received] == [s["id"] for s in sent]  # oldest first
    assert received[3]["result"] == sent[3]["result"]  # nested extension values untouched
    assert all(page.consistent_through for page in pages)


def test_wrapper_reads_only_what_was_stored_after_since(wrapper):
    first = _statements(2)
    wrapper.post_statements(first)
    stored = wrapper.get_statement(first[1]["id"])["stored"]
    # A second request starts after the first committed, so its `stored` is later (HTTP plus a commit take well over 1 ms).
    later = _statements(1)
    wrapper.post_statements(later)
    assert [s["id"] for s in wrapper.statements(since=stored)] == [later[0]["id"]]


def test_wrapper_finds_a_voided_statement_and_answers_none_for_an_unknown_id(wrapper):
    target = _statements(1)[0]
    wrapper.post_statements([target])
    wrapper.post_statements([make_statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"}, object={"objectType": "StatementRef", "id": target["id"]})])
    assert wrapper.get_statement(target["id"])["id"] == target["id"]
    assert wrapper.get_statement(str(uuid.uuid4())) is None


def test_wrapper_reads_about_and_speaks_2_0_0_although_tincan_refuses_it(endpoint, lrs_credential, recorder):
    client = RemoteLRSClient(endpoint, key=lrs_credential.key, secret=lrs_credential.secret, version="2.0.0", timeout=5)
    assert "2.0.0" in client.about()["version"]
    with pytest.raises(Exception, match="Unsupported Version"):
        RemoteLRS(endpoint=endpoint, version="2.0.0")
    assert recorder.versions[-1] == "2.0.0"


def test_endpoints_compare_in_one_spelling():
    assert normalise_endpoint("HTTPS://LRS.example.nl/xapi") == normalise_endpoint("https://lrs.example.nl/xapi/")
