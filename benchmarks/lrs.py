"""LRS benchmark: statement POSTs (batches of 1 and 50) and filtered GETs against gunicorn.

    .venv/bin/python benchmarks/lrs.py [--clients 16] [--singles 2000] [--batches 200] [--queries 1000]
    .venv/bin/python benchmarks/lrs.py --url http://127.0.0.1:8000 --key K --secret S   # a running server

Without --url it runs `leerpaspoort serve` (gunicorn, config/gunicorn.conf.py) on 127.0.0.1 and a
free port, on a fresh SQLite instance in a temporary directory (set --database-url for
PostgreSQL), creates a credential with `leerpaspoort lrs credentials create --json`, and stops
the server afterwards. Each phase runs concurrent clients, each with its own requests.Session:

    post x1    POST /xapi/statements with one statement
    post x50   POST /xapi/statements with an array of 50
    get        GET /xapi/statements?<verb|agent|activity|registration>=...&limit=100, then its `more` page

It prints statements/s (requests/s for GET) and p50/p95 latency per phase.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from launch import free_port, group_cpu_seconds, percentile, stop_server  # noqa: E402  (shared helpers)

PROJECT_DIR = Path(__file__).resolve().parent.parent
VERSION_HEADERS = {"X-Experience-API-Version": "1.0.3"}
VERBS = [f"http://adlnet.gov/expapi/verbs/{name}" for name in (
    "experienced", "attempted", "completed", "passed", "failed", "answered", "interacted", "progressed", "launched", "terminated",
)]
ACTORS = [{"objectType": "Agent", "name": f"Learner {n}", "mbox": f"mailto:learner{n}@example.nl"} for n in range(200)]
ACTIVITIES = [f"https://leerpaspoort.example/modules/{n // 20}/pages/{n}" for n in range(400)]
REGISTRATIONS = [str(uuid.uuid4()) for _ in range(100)]


def make_statement(rng: random.Random) -> dict:
    activity = rng.choice(ACTIVITIES)
    statement = {
        "id": str(uuid.uuid4()),
        "actor": rng.choice(ACTORS),
        # A skewed verb mix, as real content sends: mostly experienced/interacted.
        "verb": {"id": VERBS[min(int(rng.expovariate(0.6)), len(VERBS) - 1)], "display": {"en-US": "did"}},
        "object": {"objectType": "Activity", "id": activity, "definition": {"name": {"en-US": "Page", "nl-NL": "Pagina"}}},
        "context": {
            "registration": rng.choice(REGISTRATIONS),
            "contextActivities": {"parent": [{"id": activity.rsplit("/pages/", 1)[0]}]},
        },
        "timestamp": "2026-11-23T10:00:00.000Z",
    }
    if rng.random() < 0.3:
        statement["result"] = {"score": {"scaled": round(rng.random(), 2)}, "success": rng.random() < 0.7, "duration": "PT4M12S"}
    return statement


def random_query(rng: random.Random) -> str:
    kind = rng.choice(("verb", "agent", "activity", "registration"))
    if kind == "verb":
        value = rng.choice(VERBS)
    elif kind == "agent":
        value = json.dumps({"mbox": rng.choice(ACTORS)["mbox"]})
    elif kind == "activity":
        value = rng.choice(ACTIVITIES)
    else:
        value = rng.choice(REGISTRATIONS)
    return f"{kind}={quote(value)}&limit=100"


class Phase:
    """Concurrent clients doing `work(session, rng)` `total` times; each call returns statements done."""

    def __init__(self, name: str, base_url: str, auth: tuple[str, str], clients: int, total: int, work):
        self.name, self.base_url, self.auth, self.clients, self.total, self.work = name, base_url, auth, clients, total, work
        self.timings: list[float] = []
        self.statements = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def _client(self, count: int, seed: int, barrier: threading.Barrier) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        session.auth = self.auth
        session.headers.update(VERSION_HEADERS)
        barrier.wait()
        for _ in range(count):
            start = time.perf_counter()
            try:
                done = self.work(self, session, rng)
            except Exception as exc:  # reported, never hidden
                with self._lock:
                    self.errors.append(str(exc))
                if len(self.errors) > 5:
                    return
                continue
            elapsed = (time.perf_counter() - start) * 1000
            with self._lock:
                self.timings.append(elapsed)
                self.statements += done

    def run(self, server_group: int | None) -> None:
        counts = [self.total // self.clients + (1 if i < self.total % self.clients else 0) for i in range(self.clients)]
        barrier = threading.Barrier(self.clients + 1)
        threads = [threading.Thread(target=self._client, args=(n, i, barrier), daemon=True) for i, n in enumerate(counts)]
        for thread in threads:
            thread.start()
        cpu_before = group_cpu_seconds(server_group) if server_group else None
        barrier.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        self.wall = time.perf_counter() - start
        self.server_cpu = group_cpu_seconds(server_group) - cpu_before if server_group else None

    def report(self) -> None:
        if not self.timings:
            print(f"{self.name:<10} no successful requests; errors: {self.errors[:3]}")
            return
        rate = self.statements / self.wall
        unit = "statements/s" if self.name.startswith("post") else "requests/s"
        cpu = f"  server CPU {self.server_cpu * 1000 / len(self.timings):.1f} ms/request" if self.server_cpu else ""
        print(
            f"{self.name:<10}{len(self.timings):>7} requests {self.statements:>7} {'statements' if unit[0] == 's' else 'pages'}"
            f"  {rate:>8.1f} {unit:<13} p50 {percentile(self.timings, 0.5):>6.1f} ms  p95 {percentile(self.timings, 0.95):>6.1f} ms{cpu}"
        )
        if self.errors:
            print(f"           {len(self.errors)} errors, first: {self.errors[0]}")


def post_one(phase: Phase, session: requests.Session, rng: random.Random) -> int:
    response = session.post(phase.base_url + "/xapi/statements", json=make_statement(rng), timeout=60)
    if response.status_code != 200:
        raise RuntimeError(f"POST x1: HTTP {response.status_code} {response.text[:200]}")
    return 1


def post_fifty(phase: Phase, session: requests.Session, rng: random.Random) -> int:
    response = session.post(phase.base_url + "/xapi/statements", json=[make_statement(rng) for _ in range(50)], timeout=60)
    if response.status_code != 200:
        raise RuntimeError(f"POST x50: HTTP {response.status_code} {response.text[:200]}")
    return 50


def get_query(phase: Phase, session: requests.Session, rng: random.Random) -> int:
    response = session.get(phase.base_url + "/xapi/statements?" + random_query(rng), timeout=60)
    if response.status_code != 200:
        raise RuntimeError(f"GET: HTTP {response.status_code} {response.text[:200]}")
    more = response.json()["more"]
    if more:
        page = session.get(phase.base_url + more, timeout=60)
        if page.status_code != 200:
            raise RuntimeError(f"GET more: HTTP {page.status_code}")
        return 2
    return 1


def start_server(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("leerpaspoort")), "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = log_path.open("w")
    return subprocess.Popen(command, env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_lrs(base_url: str, server: subprocess.Popen | None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise SystemExit("`leerpaspoort serve` exited while starting; see its log.")
        try:
            if requests.get(base_url + "/xapi/about", headers=VERSION_HEADERS, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"The LRS at {base_url}/xapi/ did not answer within {timeout:.0f} s.")


def create_credential(env: dict[str, str]) -> tuple[str, str]:
    command = [str(Path(sys.executable).with_name("leerpaspoort")), "lrs", "credentials", "create", "--name", "benchmark", "--scope", "all", "--json"]
    completed = subprocess.run(command, env=env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60, check=True)
    pair = json.loads(completed.stdout)
    return pair["key"], pair["secret"]


def run_phases(base_url: str, auth: tuple[str, str], args, server_group: int | None) -> None:
    phases = [
        Phase("post x1", base_url, auth, args.clients, args.singles, post_one),
        Phase("post x50", base_url, auth, args.clients, args.batches, post_fifty),
        Phase("get", base_url, auth, args.clients, args.queries, get_query),
    ]
    print(f"{args.clients} concurrent clients against {base_url}/xapi/")
    for phase in phases:
        phase.run(server_group)
        phase.report()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--singles", type=int, default=2000, help="single-statement POSTs (default 2000)")
    parser.add_argument("--batches", type=int, default=200, help="POSTs of 50 statements (default 200)")
    parser.add_argument("--queries", type=int, default=1000, help="filtered GETs (default 1000)")
    parser.add_argument("--url", help="a running server (give --key and --secret)")
    parser.add_argument("--key")
    parser.add_argument("--secret")
    parser.add_argument("--database-url", help="instead of a fresh SQLite file (e.g. an empty PostgreSQL database)")
    parser.add_argument("--workers", default=os.environ.get("LEERPASPOORT_WORKERS", "2"))
    parser.add_argument("--threads", default=os.environ.get("LEERPASPOORT_THREADS", "4"))
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if args.url:
        if not (args.key and args.secret):
            parser.error("--url needs --key and --secret")
        base_url = args.url.rstrip("/")
        wait_for_lrs(base_url, None, timeout=10)
        run_phases(base_url, (args.key, args.secret), args, None)
        return 0

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="leerpaspoort-lrs-bench-") as tmp:
        env = dict(
            os.environ,
            LEERPASPOORT_ENV="development",
            LEERPASPOORT_BASE_URL=base_url,
            LEERPASPOORT_INSTANCE_PATH=tmp,
            LEERPASPOORT_DATABASE_URL=args.database_url or f"sqlite:///{tmp}/bench.db",
            # The demo platform is the one tenant the credential is created for.
            LEERPASPOORT_DEMO_ENABLED="true",
            LEERPASPOORT_OUTBOX_EMBEDDED_WORKER="false",
            LEERPASPOORT_WORKERS=str(args.workers),
            LEERPASPOORT_THREADS=str(args.threads),
        )
        env.pop("LEERPASPOORT_CONFIG", None)
        log_path = Path(tmp) / "server.log"
        server = start_server(env, port, log_path)
        try:
            try:
                wait_for_lrs(base_url, server)
            except SystemExit:
                print(log_path.read_text()[-3000:], file=sys.stderr)
                raise
            auth = create_credential(env)
            database = "PostgreSQL" if args.database_url else "SQLite"
            print(f"leerpaspoort serve: {args.workers} workers x {args.threads} threads, {database}")
            run_phases(base_url, auth, args, server.pid)
        finally:
            stop_server(server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
