"""Concurrent writers on one document over real HTTP: no lost merge, one winner per creation."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

ACTIVITY = "https://leerpaspoort.example/activities/concurrent"
LEARNER = {"mbox": "mailto:learner@example.nl"}
WRITERS = 6
WRITES_EACH = 4


@pytest.fixture
def endpoint(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/xapi/"
    server.shutdown()
    server.server_close()


def send(endpoint, credential, method, path, query, body=None, headers=None) -> int:
    token = base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()
    request = urllib.request.Request(
        f"{endpoint}{path}?{urlencode(query)}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={
            "Authorization": f"Basic {token}",
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_concurrent_merges_into_one_state_document_lose_nothing(endpoint, lrs_credential, lrs):
    query = {"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "stateId": "answers"}

    def writer(number: int) -> list[int]:
        return [
            send(endpoint, lrs_credential, "POST", "activities/state", query, {f"q{number}_{i}": i})
            for i in range(WRITES_EACH)
        ]

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = [status for result in pool.map(writer, range(WRITERS)) for status in result]
    assert statuses == [204] * (WRITERS * WRITES_EACH)
    document = lrs.get("activities/state", query_string=query).json
    assert document == {f"q{n}_{i}": i for n in range(WRITERS) for i in range(WRITES_EACH)}


def test_concurrent_creations_with_if_none_match_have_exactly_one_winner(endpoint, lrs_credential, lrs):
    query = {"activityId": ACTIVITY, "profileId": "leaderboard"}

    def create(number: int) -> int:
        return send(endpoint, lrs_credential, "PUT", "activities/profile", query, {"winner": number}, {"If-None-Match": "*"})

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = list(pool.map(create, range(WRITERS)))
    assert sorted(statuses) == [204] + [412] * (WRITERS - 1)
    winner = statuses.index(204)
    assert lrs.get("activities/profile", query_string=query).json == {"winner": winner}
