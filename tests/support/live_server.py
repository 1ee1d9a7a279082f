"""The application on a real HTTP server on 127.0.0.1, for browser and interoperability tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from werkzeug.serving import make_server

from tests.support.serving import server_thread


@dataclass
class LiveApp:
    base_url: str
    app: object


@contextmanager
def serve_app(database_url: str, instance_path: Path, *, demo_enabled: bool = True, **settings) -> Iterator[LiveApp]:
    """Serve a fresh, migrated instance on a free port; with the demo platform when `demo_enabled`."""
    from lti_tool import create_app
    from lti_tool.db import session_scope
    from lti_tool.lti.keys import ensure_signing_key

    holder = {}
    # Bind first: the app's base URL (and the demo's issuer) must carry the chosen port.
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
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
        app.extensions["leerpaspoort.engine"].dispose()
