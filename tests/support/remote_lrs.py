"""A second instance of our own LRS, on its own database and a real port: the "external LRS".

Also a small fault-injecting HTTP proxy in front of it, to make a real server answer 5xx or
stall, and to count what reaches it.
"""

from __future__ import annotations

import http.client
import http.server
import os
import secrets
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import _truncate_all
from tests.support.live_server import serve_app
from tests.support.serving import server_thread

REMOTE_TENANT = 7


@pytest.fixture(scope="session")
def remote_migrated_database(tmp_path_factory, migrated_database):
    """A second migrated database: a copy of the SQLite template, or its own PostgreSQL database."""
    kind, source = migrated_database
    if kind == "sqlite":
        yield ("sqlite", source)
        return
    from lti_tool import migrate

    url = make_url(source)
    name = f"leerpaspoort_remote_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    private = url.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(private)
    yield ("postgresql", private)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def remote_database_url(remote_migrated_database, tmp_path):
    kind, source = remote_migrated_database
    if kind == "sqlite":
        target = tmp_path / "remote-lrs.db"
        shutil.copy(source, target)
        yield f"sqlite:///{target}"
        return
    yield source
    _truncate_all(source)


@dataclass
class RemoteLRS:
    """The external LRS: its xAPI endpoint, a credential that may do everything, its app."""

    base_url: str
    app: object
    key: str
    secret: str

    @property
    def endpoint(self) -> str:
        return self.base_url + "/xapi/"

    def statement_ids(self, tenant_id: int = REMOTE_TENANT) -> list[str]:
        """Ids of what it stores, in arrival order (read from its database, not over HTTP)."""
        from sqlalchemy import select

        from lti_tool.db import session_scope
        from xapi.models import Statement

        with session_scope(self.app) as session:
            return list(session.scalars(select(Statement.statement_id).where(Statement.tenant_id == tenant_id).order_by(Statement.seq)))


@pytest.fixture
def remote_lrs(remote_database_url, tmp_path) -> Iterator[RemoteLRS]:
    """Our LRS served on 127.0.0.1 from a second database, with one all-scopes credential."""
    from lti_tool.db import session_scope
    from xapi.auth import credential_pepper
    from xapi.credentials import create_credential

    with serve_app(remote_database_url, tmp_path / "remote-instance", demo_enabled=False, default_locale="en") as live:
        with session_scope(live.app) as session:
            made = create_credential(session, tenant_id=REMOTE_TENANT, name="pull and forward", scopes=("all",), pepper=credential_pepper(live.app))
        yield RemoteLRS(live.base_url, live.app, made.key, made.secret)


@dataclass
class FaultyProxy:
    """Forwards to `upstream`; answers the next `fail_next` requests with `fail_status` itself.

    It can also play an LRS with rules of its own: 400 for a body that contains `refuse_marker`,
    413 for a body over `max_body` bytes, and a Retry-After header on the failures it injects.
    """

    upstream: str
    pass_first: int = 0  # requests relayed before failing starts
    fail_next: int = 0
    fail_status: int = 503
    fail_method: str = ""  # only requests of this method fail (empty: any)
    retry_after: str = ""
    refuse_marker: bytes = b""
    max_body: int = 0
    stall_seconds: float = 0.0
    on_request: Callable[[str, str], None] | None = None  # called with method and path before answering
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def endpoint(self) -> str:
        return self.base_url + "/xapi/"

    def count(self, method: str, path_prefix: str = "/xapi/statements") -> int:
        with self.lock:
            return sum(1 for m, p in self.requests if m == method and p.startswith(path_prefix))


def _handler_for(proxy: FaultyProxy):
    upstream = urlparse(proxy.upstream)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output clean
            pass

        def _relay(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            with proxy.lock:
                proxy.requests.append((self.command, self.path))
                failing = proxy.pass_first <= 0 and proxy.fail_next > 0 and proxy.fail_method in ("", self.command)
                if failing:
                    proxy.fail_next -= 1
                proxy.pass_first -= 1
            if proxy.on_request is not None:
                proxy.on_request(self.command, self.path)
            status = proxy.fail_status if failing else None
            if body and proxy.refuse_marker and proxy.refuse_marker in body:
                status = 400
            elif body and proxy.max_body and len(body) > proxy.max_body:
                status = 413
            if proxy.stall_seconds:
                threading.Event().wait(proxy.stall_seconds)
            if status is not None:
                payload = b'{"error": {"code": %d, "message": "injected failure"}}' % status
                self.send_response(status)
                if proxy.retry_after:
                    self.send_header("Retry-After", proxy.retry_after)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "connection"}}
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            connection.close()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in {"content-length", "connection", "transfer-encoding", "server", "date"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _relay

    return Handler


@contextmanager
def serve_proxy(upstream: str) -> Iterator[FaultyProxy]:
    """A real HTTP server on 127.0.0.1 relaying to `upstream`, that can fail or stall on demand."""
    proxy = FaultyProxy(upstream=upstream)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(proxy))
    server.daemon_threads = True
    proxy.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = server_thread(server)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def faulty_proxy(remote_lrs) -> Iterator[FaultyProxy]:
    """The fault-injecting proxy in front of the external LRS."""
    with serve_proxy(remote_lrs.base_url) as proxy:
        yield proxy


def new_id() -> str:
    return str(uuid.uuid4())
