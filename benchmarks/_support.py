"""What the LRS benchmarks share: realistic statements, a gunicorn LRS to aim at, keep-alive
clients, concurrent phases with latency and server CPU, and the result table.

Not a benchmark itself (`make bench` skips files starting with "_").
"""

from __future__ import annotations

import base64
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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _http import SocketConnection  # noqa: E402
from launch import (  # noqa: E402,F401  (shared helpers)
    describe_layout,
    free_port,
    group_cpu_seconds,
    percentile,
    server_environment,
    stop_server,
)

PROJECT_DIR = Path(__file__).resolve().parent.parent
XAPI_VERSION = "1.0.3"
VERB_COUNT = 30
ACTIVITY_COUNT = 2000


@dataclass(frozen=True)
class Population:
    """The actors, verbs, activities and registrations statements are drawn from.

    Verbs follow a Zipf-like skew (the first few are most of the traffic, as "experienced"
    and "interacted" are in real content); the last verbs are rare, which is what makes a
    verb filter hard for an index that is not ordered within the verb.
    """

    actors: int = 5000
    activities: int = ACTIVITY_COUNT
    registrations: int = 5000
    seed: int = 7

    @property
    def verbs(self) -> list[str]:
        return [f"https://leerpaspoort.example/verbs/v{n:02d}" for n in range(VERB_COUNT)]

    def verb_weights(self) -> list[float]:
        return [1.0 / (rank + 1) ** 1.6 for rank in range(VERB_COUNT)]

    def actor(self, n: int) -> dict:
        return {"objectType": "Agent", "name": f"Learner {n}", "mbox": f"mailto:learner{n}@example.nl"}

    def activity(self, n: int) -> str:
        return f"https://leerpaspoort.example/modules/{n // 20}/pages/{n}"

    def registration(self, n: int) -> str:
        return str(uuid.UUID(int=random.Random(self.seed * 1_000_003 + n).getrandbits(128), version=4))


class StatementMaker:
    """Realistic statements: an actor, a skewed verb, a page of a module, a registration, often a result."""

    def __init__(self, population: Population, seed: int):
        self.population = population
        self.rng = random.Random(seed)
        self.verbs = population.verbs
        self.cumulative = _cumulative(population.verb_weights())

    def verb(self) -> str:
        return self.rng.choices(self.verbs, cum_weights=self.cumulative)[0]

    def __call__(self) -> dict:
        rng, population = self.rng, self.population
        page = rng.randrange(population.activities)
        activity = population.activity(page)
        # A learner mostly works in one registration of their own: registrations follow actors.
        actor_number = rng.randrange(population.actors)
        statement = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": population.actor(actor_number),
            "verb": {"id": self.verb(), "display": {"en-US": "did"}},
            "object": {
                "objectType": "Activity",
                "id": activity,
                "definition": {"name": {"en-US": f"Page {page}", "nl-NL": f"Pagina {page}"}},
            },
            "context": {
                "registration": population.registration(actor_number % population.registrations),
                "contextActivities": {"parent": [{"id": activity.rsplit("/pages/", 1)[0]}]},
            },
            "timestamp": "2026-11-23T10:00:00.000Z",
        }
        if rng.random() < 0.3:
            statement["result"] = {"score": {"scaled": round(rng.random(), 2)}, "success": rng.random() < 0.7, "duration": "PT4M12S"}
        return statement


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


# --- the server --------------------------------------------------------------------------------


@dataclass
class LRS:
    """An LRS to send requests to: its base URL, an Authorization header, and its process group."""

    base_url: str
    authorization: str
    process_group: int | None = None
    description: str = ""
    database_url: str | None = None

    def server_cpu(self) -> float | None:
        return group_cpu_seconds(self.process_group) if self.process_group else None

    def wait_for_feed(self, timeout: float = 120.0) -> float:
        """Wait until the server has read its stored-statements feed (xapi/feed.py), so the
        work it does after answering is counted too; return how long that took."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url)
        start = time.perf_counter()
        try:
            while time.perf_counter() - start < timeout:
                with engine.connect() as connection:
                    if not connection.execute(text("SELECT 1 FROM xapi_stored_batches LIMIT 1")).first():
                        break
                time.sleep(0.005)
        finally:
            engine.dispose()
        return time.perf_counter() - start


def basic_authorization(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def _leerpaspoort() -> str:
    # The console script installed next to this interpreter (pip install -e .).
    return str(Path(sys.executable).with_name("leerpaspoort"))


def create_credential(env: dict[str, str], tenant_issuer: str | None = None) -> tuple[str, str]:
    """A credential with every scope for the demo tenant (or the named one), through the operator's CLI."""
    command = [_leerpaspoort(), "lrs", "credentials", "create", "--name", "benchmark", "--scope", "all", "--json"]
    if tenant_issuer:
        command += ["--tenant", tenant_issuer]
    completed = subprocess.run(command, env=env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120, check=True)
    pair = json.loads(completed.stdout)
    return pair["key"], pair["secret"]


def wait_for_lrs(base_url: str, server: subprocess.Popen | None, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise SystemExit("`leerpaspoort serve` exited while starting; see its log.")
        try:
            client = KeepAliveClient(base_url, "")
            status, _ = client.request("GET", "/xapi/about")
            client.close()
            if status == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    raise SystemExit(f"The LRS at {base_url}/xapi/ did not answer within {timeout:.0f} s.")


@contextmanager
def served_lrs(
    *, database_url: str | None, workers: str | None, threads: str | None, tenant_issuer: str | None = None
) -> Iterator[LRS]:
    """Run `leerpaspoort serve` (gunicorn, config/gunicorn.conf.py) on a free port; stop it afterwards.

    Without `database_url` the LRS gets a fresh SQLite file in a temporary directory. The
    credential belongs to the demo platform `serve` creates, or to `tenant_issuer`.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="leerpaspoort-lrs-bench-") as tmp:
        url = database_url or f"sqlite:///{tmp}/bench.db"
        env = server_environment(tmp, base_url, url, workers, threads)
        log_path = Path(tmp) / "server.log"
        command = [_leerpaspoort(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        with log_path.open("w") as log:
            # Its own process group: `serve` becomes gunicorn, whose workers must stop with it.
            server = subprocess.Popen(command, env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            try:
                wait_for_lrs(base_url, server)
            except SystemExit:
                print(log_path.read_text()[-3000:], file=sys.stderr)
                raise
            key, secret = create_credential(env, tenant_issuer)
            database = "PostgreSQL" if database_url and database_url.startswith("postgres") else "SQLite"
            yield LRS(
                base_url,
                basic_authorization(key, secret),
                server.pid,
                f"leerpaspoort serve (gunicorn): {describe_layout(env)}, {database}",
                url,
            )
        finally:
            stop_server(server)


def install_sigterm_exit() -> None:
    """Let SIGTERM unwind `finally` blocks, so a stopped run still stops its server."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


# --- clients -----------------------------------------------------------------------------------


class KeepAliveClient(SocketConnection):
    """A keep-alive connection that speaks xAPI: version header, credential, JSON bodies."""

    def __init__(self, base_url: str, authorization: str, timeout: float = 60.0):
        headers = {"X-Experience-API-Version": XAPI_VERSION}
        if authorization:
            headers["Authorization"] = authorization
        super().__init__(base_url, headers, timeout)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        return self.exchange(method, path, body, "Content-Type: application/json\r\n" if body is not None else "")


@dataclass
class PhaseResult:
    name: str
    requests: int = 0
    items: int = 0  # statements stored, or statements read
    wall: float = 0.0
    server_cpu: float | None = None
    client_cpu: float = 0.0  # this process: the clients share the server's cores
    settle: float = 0.0  # seconds from the last answer until the server's after-commit work was done
    timings_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.items / self.wall if self.wall else 0.0

    def p(self, fraction: float) -> float:
        return percentile(self.timings_ms, fraction) if self.timings_ms else float("nan")

    @property
    def server_cpu_ms_per_request(self) -> float | None:
        if self.server_cpu is None or not self.requests:
            return None
        return self.server_cpu * 1000 / self.requests


Work = Callable[[KeepAliveClient, random.Random], int]


def run_phase(name: str, lrs: LRS, clients: int, total: int, work: Work, seed: int = 1, *, settle: bool = False) -> PhaseResult:
    """`clients` threads, each with its own connection, do `work` `total` times between them.

    With `settle`, the server's CPU is read once it has also read its statement feed: the
    rate counts answers, the CPU everything the requests caused."""
    result = PhaseResult(name)
    lock = threading.Lock()
    counts = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def client(count: int, index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        connection = KeepAliveClient(lrs.base_url, lrs.authorization)
        timings: list[float] = []
        items = 0
        barrier.wait()
        try:
            for _ in range(count):
                start = time.perf_counter()
                try:
                    items += work(connection, rng)
                except Exception as exc:  # reported in the table, never hidden
                    with lock:
                        result.errors.append(str(exc)[:300])
                        if len(result.errors) > 20:
                            return
                    continue
                timings.append((time.perf_counter() - start) * 1000)
        finally:
            connection.close()
            with lock:
                result.timings_ms.extend(timings)
                result.items += items
                result.requests += len(timings)

    threads = [threading.Thread(target=client, args=(n, i), daemon=True) for i, n in enumerate(counts)]
    for thread in threads:
        thread.start()
    cpu_before = lrs.server_cpu()
    client_cpu_before = time.process_time()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - start
    result.client_cpu = time.process_time() - client_cpu_before
    if settle and lrs.database_url:
        result.settle = lrs.wait_for_feed()
    if cpu_before is not None:
        result.server_cpu = lrs.server_cpu() - cpu_before
    return result


# --- reporting ---------------------------------------------------------------------------------


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    line = "  ".join(f"{{:<{width}}}" if index == 0 else f"{{:>{width}}}" for index, width in enumerate(widths))
    print(line.format(*headers))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line.format(*row))


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def machine_note() -> str:
    """Cores and load: figures measured on a busy machine are not the machine's best."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    return f"{os.cpu_count()} cores, load average {load:.1f} at the start"


# --- rows written straight into SQLite ------------------------------------------------------------


class SQLiteRows:
    """The store's own rows (xapi.statement_store.statement_row) as sqlite3 parameter tuples.

    Values go through each column's SQLAlchemy bind processor, so a row written here reads
    back exactly like one the store wrote (timestamps in the same text form, booleans as 0/1).
    """

    def __init__(self, tenant_id: int, credential_id: int | None = None):
        from sqlalchemy.dialects import sqlite as sqlite_dialect

        from xapi.models import Statement, StatementFilter
        from xapi.statement_store import Writer

        dialect = sqlite_dialect.dialect()
        self.tenant_id = tenant_id
        self.columns = list(Statement.__table__.columns)
        self.processors = [column.type.bind_processor(dialect) for column in self.columns]
        self.writer = Writer(
            tenant_id=tenant_id,
            authority={"objectType": "Agent", "name": "benchmark", "account": {"homePage": "http://127.0.0.1", "name": "benchmark"}},
            credential_id=credential_id,
        )
        names = ", ".join(column.name for column in self.columns)
        self.insert_statement = f"INSERT INTO {Statement.__tablename__} ({names}) VALUES ({', '.join('?' for _ in self.columns)})"
        self.insert_filter = (
            f"INSERT INTO {StatementFilter.__tablename__} (statement_seq, kind, value_key, tenant_id) VALUES (?, ?, ?, ?)"
        )

    def rows(self, statement: dict, seq: int, stored) -> tuple[tuple, list[tuple]]:
        """(statement row, filter rows) of one new statement stored at `stored` with number `seq`."""
        from xapi.statement_store import statement_row

        row, keys = statement_row(statement, statement["id"], self.writer, version="1.0.3", now=stored)
        row["seq"] = seq
        values = tuple(p(row[c.name]) if p else row[c.name] for c, p in zip(self.columns, self.processors))
        return values, [(seq, kind, value, self.tenant_id) for kind, value in keys]
