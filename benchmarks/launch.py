"""Launch benchmark: full LTI 1.3 launches through the demo platform against gunicorn and SQLite.

    python benchmarks/launch.py [--launches 2000] [--clients 16]

Starts gunicorn (config/gunicorn.conf.py) on 127.0.0.1 and a free port, on a fresh SQLite
instance with the demo platform, then runs concurrent clients, each with its own
requests.Session, through the five round trips of a launch as a browser makes them:

    login   POST /lti/login          (the demo's login initiation form)  -> 302 to /demo/auth
    auth    GET  /demo/auth?...      (the platform signs the id_token)   -> auto-post form
    launch  POST /lti/launch         (id_token + state)                  -> 302 to /lti/enter/<ticket>
    enter   GET  /lti/enter/<ticket> (ticket exchanged for a session)    -> hand-off page
    page    GET  /home               (the learner's first page)

It prints requests per second and p50/p95/p99 latency per step and for the whole launch.
Target: p95 <= 50 ms per request on a 2-core machine with SQLite.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

PROJECT_DIR = Path(__file__).resolve().parent.parent
STEPS = ("login", "auth", "launch", "enter", "page")
TARGET_P95_MS = 50.0
LEARNER_BUTTON = "Launch as learner (Sam Student)"
_FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)
_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_ACTION = re.compile(r'action="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_instance(env: dict[str, str]) -> None:
    """Migrate, create the tool's key and the demo platform, as `leerpaspoort serve` does."""
    script = (
        "from lti_tool import create_app, migrate\n"
        "from lti_tool.db import session_scope\n"
        "from lti_tool.demo.services import ensure_demo_platform\n"
        "from lti_tool.lti.keys import ensure_signing_key\n"
        "app = create_app()\n"
        "settings = app.extensions['leerpaspoort.settings']\n"
        "migrate.upgrade(settings.database_url)\n"
        "with session_scope(app) as session:\n"
        "    ensure_signing_key(session)\n"
        "    ensure_demo_platform(session, settings)\n"
        "app.extensions['leerpaspoort.engine'].dispose()\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT_DIR, check=True)


def start_gunicorn(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn",
        "-c", str(PROJECT_DIR / "config" / "gunicorn.conf.py"),
        "lti_tool.wsgi:app",
    ]
    log = log_path.open("w")
    return subprocess.Popen(command, env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT)


def wait_until_up(base_url: str, server: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited while starting; see its log.")
        try:
            if requests.get(base_url + "/demo", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"gunicorn did not answer on {base_url} within {timeout:.0f} s")


def login_form(session: requests.Session, base_url: str) -> tuple[str, dict[str, str]]:
    """The learner button's login initiation form, read from the demo course page."""
    page = session.get(base_url + "/demo", timeout=10).text
    for form in _FORM.findall(page):
        if LEARNER_BUTTON in form:
            fields = {name: html.unescape(value) for name, value in _INPUT.findall(form)}
            return html.unescape(_ACTION.search(form).group(1)), fields
    raise SystemExit("The demo course page has no learner launch button.")


class Client(threading.Thread):
    """One browser: a cookie jar, and a loop of complete launches."""

    def __init__(self, base_url: str, launches: int, warmup: int, barrier: threading.Barrier):
        super().__init__(daemon=True)
        self.base_url = base_url
        self.launches = launches
        self.warmup = warmup
        self.barrier = barrier
        self.timings: dict[str, list[float]] = {step: [] for step in (*STEPS, "launch total")}
        self.errors: list[str] = []

    def run(self) -> None:
        session = requests.Session()
        try:
            action, fields = login_form(session, self.base_url)
            for _ in range(self.warmup):
                self.one_launch(session, action, fields, record=False)
        except Exception as exc:  # a failed warm-up is reported, not hidden
            self.errors.append(f"warm-up: {exc}")
        self.barrier.wait()
        if self.errors:
            return
        for _ in range(self.launches):
            try:
                self.one_launch(session, action, fields, record=True)
            except Exception as exc:
                self.errors.append(str(exc))
                if len(self.errors) > 5:
                    return

    def _timed(self, step: str, record: bool, call):
        start = time.perf_counter()
        response = call()
        elapsed = (time.perf_counter() - start) * 1000
        if record:
            self.timings[step].append(elapsed)
        return response, elapsed

    def one_launch(self, session: requests.Session, action: str, fields: dict[str, str], record: bool) -> None:
        base = self.base_url
        total = 0.0
        login, ms = self._timed("login", record, lambda: session.post(action, data=fields, allow_redirects=False, timeout=30))
        total += ms
        expect(login, 302, "login")
        auth, ms = self._timed("auth", record, lambda: session.get(login.headers["Location"], allow_redirects=False, timeout=30))
        total += ms
        expect(auth, 200, "auth")
        answer = {name: html.unescape(value) for name, value in _INPUT.findall(auth.text)}
        launch, ms = self._timed(
            "launch", record,
            lambda: session.post(base + "/lti/launch", data={"id_token": answer["id_token"], "state": answer["state"]}, allow_redirects=False, timeout=30),
        )
        total += ms
        expect(launch, 302, "launch")
        enter_url = base + urlsplit(launch.headers["Location"]).path
        enter, ms = self._timed("enter", record, lambda: session.get(enter_url, allow_redirects=False, timeout=30))
        total += ms
        expect(enter, 200, "enter")
        next_path = html.unescape(enter.text.split('data-next="', 1)[1].split('"', 1)[0])
        page, ms = self._timed("page", record, lambda: session.get(base + next_path, allow_redirects=False, timeout=30))
        total += ms
        expect(page, 200, "page")
        if "Sam Student" not in page.text:
            raise RuntimeError("first page does not show the learner")
        if record:
            self.timings["launch total"].append(total)


def expect(response: requests.Response, status: int, step: str) -> None:
    if response.status_code != status:
        raise RuntimeError(f"{step}: HTTP {response.status_code} (expected {status})")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def report(clients: list[Client], wall: float, args: argparse.Namespace) -> bool:
    merged: dict[str, list[float]] = {step: [] for step in (*STEPS, "launch total")}
    for client in clients:
        for step, values in client.timings.items():
            merged[step].extend(values)
    launches = len(merged["launch total"])
    requests_done = sum(len(merged[step]) for step in STEPS)
    every_request = [value for step in STEPS for value in merged[step]]
    print()
    print(f"{launches} launches ({requests_done} requests) by {args.clients} clients in {wall:.2f} s")
    print(f"throughput: {requests_done / wall:.1f} requests/s, {launches / wall:.1f} launches/s")
    print()
    print(f"{'step':<14}{'count':>7}{'mean ms':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for step in (*STEPS, "all requests", "launch total"):
        values = every_request if step == "all requests" else merged[step]
        if not values:
            continue
        print(
            f"{step:<14}{len(values):>7}{statistics.fmean(values):>10.1f}{percentile(values, 0.50):>9.1f}"
            f"{percentile(values, 0.95):>9.1f}{percentile(values, 0.99):>9.1f}{max(values):>9.1f}"
        )
    worst = max(percentile(merged[step], 0.95) for step in STEPS if merged[step])
    passed = worst <= TARGET_P95_MS
    print()
    print(f"target p95 <= {TARGET_P95_MS:.0f} ms per request: {'met' if passed else 'MISSED'} (worst step p95 {worst:.1f} ms)")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=2000, help="launches to measure (default 2000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured launches per client first (default 2)")
    parser.add_argument("--workers", default=os.environ.get("LEERPASPOORT_WORKERS", "2"), help="gunicorn workers")
    parser.add_argument("--threads", default=os.environ.get("LEERPASPOORT_THREADS", "4"), help="threads per worker")
    args = parser.parse_args()

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="leerpaspoort-bench-") as tmp:
        env = dict(
            os.environ,
            LEERPASPOORT_ENV="development",
            LEERPASPOORT_BASE_URL=base_url,
            LEERPASPOORT_INSTANCE_PATH=tmp,
            LEERPASPOORT_DATABASE_URL=f"sqlite:///{tmp}/bench.db",
            LEERPASPOORT_DEMO_ENABLED="true",
            # Nothing is queued by a launch; keep the outbox loop out of the measurement.
            LEERPASPOORT_OUTBOX_EMBEDDED_WORKER="false",
            LEERPASPOORT_BIND=f"127.0.0.1:{port}",
            LEERPASPOORT_WORKERS=str(args.workers),
            LEERPASPOORT_THREADS=str(args.threads),
        )
        env.pop("LEERPASPOORT_CONFIG", None)
        prepare_instance(env)
        log_path = Path(tmp) / "gunicorn.log"
        server = start_gunicorn(env, log_path)
        try:
            wait_until_up(base_url, server)
            per_client = [args.launches // args.clients + (1 if i < args.launches % args.clients else 0) for i in range(args.clients)]
            barrier = threading.Barrier(args.clients + 1)
            clients = [Client(base_url, n, args.warmup, barrier) for n in per_client]
            print(f"gunicorn on {base_url}: {args.workers} workers x {args.threads} threads, SQLite in {tmp}")
            print(f"warming up ({args.warmup} launches per client), then {args.launches} launches by {args.clients} clients ...")
            for client in clients:
                client.start()
            barrier.wait()
            start = time.perf_counter()
            for client in clients:
                client.join()
            wall = time.perf_counter() - start
        finally:
            server.terminate()
            server.wait(timeout=30)
        errors = [error for client in clients for error in client.errors]
        if errors:
            print(f"{len(errors)} error(s), first: {errors[0]}", file=sys.stderr)
            print(log_path.read_text()[-3000:], file=sys.stderr)
            return 1
        return 0 if report(clients, wall, args) else 2


if __name__ == "__main__":
    raise SystemExit(main())
