"""The tests' live server: its teardown waits for requests still running before it closes
the database connections (a browser's last request may still be on its way)."""

from __future__ import annotations

import threading
import urllib.request

from flask import request
from sqlalchemy import text

from lti_tool.db import get_session
from tests.support.live_server import RequestsInFlight, serve_app

HELD_PATH = "/xapi/about"


def test_teardown_waits_for_a_request_in_flight_and_leaves_no_connection_out(database_url, tmp_path):
    entered, release = threading.Event(), threading.Event()
    served, received = [], []

    with serve_app(database_url, tmp_path / "instance", demo_enabled=False) as live:
        engine = live.app.extensions["leerpaspoort.engine"]

        @live.app.before_request
        def hold_with_a_connection_checked_out():
            if request.path == HELD_PATH:
                get_session().execute(text("SELECT 1"))
                entered.set()
                release.wait(5)
                served.append(HELD_PATH)

        def fetch():
            with urllib.request.urlopen(live.base_url + HELD_PATH, timeout=10) as answer:
                received.append(answer.status)

        client = threading.Thread(target=fetch)
        client.start()
        assert entered.wait(5), "the held request never reached the app"
        threading.Timer(0.3, release.set).start()
        # Leaving the block now, while the request still holds its connection.

    # The application had finished the request, and given its connection back, before the
    # engine was disposed; the client may read the answer a moment later.
    assert served == [HELD_PATH]
    assert engine.pool.checkedout() == 0
    client.join(5)
    assert received == [200]


def test_once_teardown_has_begun_no_request_reaches_the_application():
    reached = []

    def application(environ, start_response):
        reached.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"ok"]

    in_flight = RequestsInFlight(application)
    assert b"".join(in_flight({"REQUEST_METHOD": "GET", "PATH_INFO": "/before"}, lambda *_: None)) == b"ok"
    assert in_flight.close_and_wait(1)

    statuses = []
    answer = b"".join(in_flight({"REQUEST_METHOD": "GET", "PATH_INFO": "/after"}, lambda status, _: statuses.append(status)))
    assert reached == ["/before"]
    assert statuses == ["503 Service Unavailable"] and b"shutting down" in answer
