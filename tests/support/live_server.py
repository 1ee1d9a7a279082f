"""The application on a real HTTP server on 127.0.0.1, for browser and interoperability tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from werkzeug.serving import make_server

from tests.support.serving import server_thread

# How long teardown waits for requests still running. A browser may have fired its last
# requests (a redirect's target, a favicon) when the test ends; they finish in milliseconds.
IN_FLIGHT_GRACE_SECONDS = 10


@dataclass
class LiveApp:
    base_url: str
    app: object


class RequestsInFlight:
    """A WSGI wrapper that knows which requests run, from their call until their answer has
    been sent (or the client went away).

    werkzeug's threaded server runs each request in a daemon thread that nothing joins, and a
    thread lives on after its answer (werkzeug drains the socket until the client closes it),
    so the threads cannot be waited for. A request still running when the engine is disposed
    would keep its database connection checked out, to be garbage-collected open later, in
    some other test.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.running: list[str] = []
        self._closed = False
        self._changed = threading.Condition()

    def __call__(self, environ, start_response):
        described = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
        with self._changed:
            admitted = not self._closed
            if admitted:
                self.running.append(described)
        if not admitted:
            # A connection accepted just before the server stopped: it must not reach the
            # application (and its database) once teardown has begun.
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            yield b"The test server is shutting down."
            return
        try:
            answer = self.app(environ, start_response)
            try:
                yield from answer
            finally:
                if hasattr(answer, "close"):
                    answer.close()
        finally:
            with self._changed:
                self.running.remove(described)
                self._changed.notify_all()

    def close_and_wait(self, timeout: float) -> bool:
        """Let no new request in; True once none runs any more, False when `timeout` passed first."""
        with self._changed:
            self._closed = True
            return self._changed.wait_for(lambda: not self.running, timeout)


@contextmanager
def serve_app(database_url: str, instance_path: Path, *, demo_enabled: bool = True, **settings) -> Iterator[LiveApp]:
    """Serve a fresh, migrated instance on a free port; with the demo platform when `demo_enabled`.

    On exit the server stops accepting, and the requests still running are given
    `IN_FLIGHT_GRACE_SECONDS` to finish before the engine's connections are closed.
    """
    from lti_tool import create_app
    from lti_tool.db import session_scope
    from lti_tool.lti.keys import ensure_signing_key

    holder = {}
    in_flight = RequestsInFlight(lambda environ, start: holder["app"](environ, start))
    # Bind first: the app's base URL (and the demo's issuer) must carry the chosen port.
    server = make_server("127.0.0.1", 0, in_flight, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = create_app(
        {
            "env": "test",
            "database_url": database_url,
            "base_url": base_url,
            "instance_path": str(instance_path),
            "demo_enabled": demo_enabled,
            "outbox_embedded_worker": False,
            **settings,
        }
    )
    with session_scope(app) as session:
        ensure_signing_key(session)
        if demo_enabled:
            from lti_tool.demo.services import ensure_demo_platform

            ensure_demo_platform(session, app.extensions["leerpaspoort.settings"])
    holder["app"] = app
    thread = server_thread(server)
    thread.start()
    try:
        yield LiveApp(base_url, app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        idle = in_flight.close_and_wait(IN_FLIGHT_GRACE_SECONDS)
        app.extensions["leerpaspoort.engine"].dispose()
        if not idle:
            raise RuntimeError(
                f"still running {IN_FLIGHT_GRACE_SECONDS} s after the test on {base_url}: {', '.join(in_flight.running)}"
            )
