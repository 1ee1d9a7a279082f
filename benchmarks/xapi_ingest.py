"""LRS ingest benchmark: statements/s with single-statement POSTs and with batches of 100, against
gunicorn, next to a raw SQLite insert of the same rows as the ceiling.

    .venv/bin/python benchmarks/xapi_ingest.py [--clients 8] [--singles 4000] [--batches 200]
    .venv/bin/python benchmarks/xapi_ingest.py --database-url postgresql+psycopg://...   # an empty, migrated database

It runs `leerpaspoort serve` (gunicorn, config/gunicorn.conf.py) on 127.0.0.1 and a free port,
on a fresh SQLite file in a temporary directory (or --database-url), with a credential made by
`leerpaspoort lrs credentials create`, and stops it afterwards. Phases, each with --clients
concurrent keep-alive connections:

    single   POST /xapi/statements with one statement          target >= 1,000 statements/s
    batch    POST /xapi/statements with an array of 100        target >= 4,000 statements/s
    raw      the same statements' rows (xapi_statements and xapi_statement_filters, built by the
             store's own xapi.statement_store.statement_row) inserted with the sqlite3 module into
             a freshly migrated SQLite file: WAL, synchronous=NORMAL, 100 rows per transaction,
             one thread, no HTTP, no validation. The ceiling; target: batch >= 50% of it.

Before the single phase, GET /xapi/about (no database work) runs through the same server and
clients. Its server CPU per request is printed as a gauge of the machine's speed at that moment:
on a shared machine the same code's statements/s can change by half within an hour.

Statements come from 500 actors (a cohort), 30 verbs with a Zipf-like skew and 2,000 activities.
Each phase's request bodies are built before it starts (the clients run on the same cores).
Server CPU per request comes from /proc for the server's process group, so it can be judged on
a busy machine, where statements/s and latency are noisy. It is read once the server has also
done the work its feed reader does after answering (formal evidence, cmi5 tracking;
xapi/feed.py), and the time that took after the last answer is printed.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _support import (  # noqa: E402
    LRS,
    PhaseResult,
    Population,
    SQLiteRows,
    StatementMaker,
    install_sigterm_exit,
    machine_note,
    print_table,
    run_phase,
    served_lrs,
    verdict,
)

TARGET_SINGLE = 1000.0
TARGET_BATCH = 4000.0
TARGET_FRACTION_OF_RAW = 0.5
BATCH_SIZE = 100
GAUGE_REQUESTS = 2000


def post_statements(connection, body: bytes, expected: int) -> int:
    status, data = connection.request("POST", "/xapi/statements", body)
    if status != 200:
        raise RuntimeError(f"POST: HTTP {status} {data[:200]!r}")
    return expected


def get_about(connection, _rng) -> int:
    status, data = connection.request("GET", "/xapi/about")
    if status != 200:
        raise RuntimeError(f"GET /xapi/about: HTTP {status} {data[:200]!r}")
    return 1


def prepared_bodies(population: Population, requests: int, size: int, seed: int) -> list[bytes]:
    """Request bodies built before a phase starts, as the raw ceiling prepares its rows: the
    clients share the server's cores, and making statements and JSON in them during the phase
    would be counted against the LRS."""
    maker = StatementMaker(population, seed)
    if size == 1:
        return [json.dumps(maker()).encode() for _ in range(requests)]
    return [json.dumps([maker() for _ in range(size)]).encode() for _ in range(requests)]


def posting(bodies: list[bytes], size: int):
    """Work for run_phase: each call POSTs the next prepared body."""
    supply = iter(bodies)
    lock = threading.Lock()

    def work(connection, _rng) -> int:
        with lock:
            body = next(supply)
        return post_statements(connection, body, size)

    return work


def raw_sqlite_ceiling(population: Population, count: int) -> PhaseResult:
    """Insert `count` statements' rows with sqlite3 directly; time only the inserts."""
    from lti_tool import migrate

    converter = SQLiteRows(tenant_id=1, credential_id=1)
    maker = StatementMaker(population, 99)
    stored = datetime.now(timezone.utc).replace(microsecond=0)
    prepared = [converter.rows(maker(), seq, stored) for seq in range(1, count + 1)]

    result = PhaseResult("raw sqlite3")
    with tempfile.TemporaryDirectory(prefix="leerpaspoort-raw-") as tmp:
        path = Path(tmp) / "raw.db"
        migrate.upgrade(f"sqlite:///{path}")
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        start = time.perf_counter()
        for first in range(0, count, BATCH_SIZE):
            batch = prepared[first : first + BATCH_SIZE]
            batch_start = time.perf_counter()
            connection.execute("BEGIN")
            connection.executemany(converter.insert_statement, [row for row, _ in batch])
            connection.executemany(converter.insert_filter, [f for _, filters in batch for f in filters])
            connection.execute("COMMIT")
            result.timings_ms.append((time.perf_counter() - batch_start) * 1000)
            result.requests += 1
        result.wall = time.perf_counter() - start
        result.items = count
        connection.close()
    return result


def report(lrs: LRS, gauge: PhaseResult, single: PhaseResult, batch: PhaseResult, raw: PhaseResult, clients: int) -> bool:
    rows, all_met = [], True
    for phase, target, unit in ((single, TARGET_SINGLE, "POST x1"), (batch, TARGET_BATCH, f"POST x{BATCH_SIZE}")):
        met = phase.rate >= target and not phase.errors
        all_met &= met
        cpu = phase.server_cpu_ms_per_request
        rows.append([
            f"{phase.name} ({unit})",
            f"{phase.items}",
            f"{phase.rate:,.0f}",
            f"{phase.rate / raw.rate:.0%}" if raw.rate else "-",
            f"{phase.p(0.5):.1f}",
            f"{phase.p(0.95):.1f}",
            f"{cpu:.2f}" if cpu is not None else "-",
            f"{cpu / (BATCH_SIZE if phase is batch else 1):.3f}" if cpu is not None else "-",
            f">= {target:,.0f}/s: {verdict(met)}" + (f" ({len(phase.errors)} errors)" if phase.errors else ""),
        ])
    raw_met = batch.rate >= TARGET_FRACTION_OF_RAW * raw.rate
    all_met &= raw_met
    rows.append([
        f"raw sqlite3 (x{BATCH_SIZE}/txn)", f"{raw.items}", f"{raw.rate:,.0f}", "100%",
        f"{raw.p(0.5):.1f}", f"{raw.p(0.95):.1f}", "-", "-",
        f"batch >= {TARGET_FRACTION_OF_RAW:.0%} of this: {verdict(raw_met)}",
    ])
    print(f"\n{lrs.description}; {clients} concurrent clients; {machine_note()}")
    print_table(
        ["phase", "statements", "statements/s", "of raw", "p50 ms", "p95 ms", "server CPU ms/req", "ms/statement", "target"],
        rows,
    )
    for phase in (single, batch):
        print(
            f"{phase.name}: the clients used {phase.client_cpu * 1000 / max(phase.requests, 1):.2f} ms CPU per request; "
            f"the server finished its after-commit work (formal evidence, cmi5) {phase.settle * 1000:.0f} ms after the last answer"
        )
    floor, cpu = gauge.server_cpu_ms_per_request, single.server_cpu_ms_per_request
    if floor and cpu and not gauge.errors:
        print(
            f"machine gauge: GET /xapi/about took {floor:.2f} ms of server CPU per request ({gauge.rate:,.0f}/s); "
            f"a single POST took {cpu / floor:.1f} times that. When the gauge moves between runs, the machine's speed moved."
        )
    for phase in (gauge, single, batch):
        if phase.errors:
            print(f"{phase.name}: first error: {phase.errors[0]}")
    return all_met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--singles", type=int, default=4000, help="single-statement POSTs (default 4000)")
    parser.add_argument("--batches", type=int, default=200, help=f"POSTs of {BATCH_SIZE} statements (default 200)")
    parser.add_argument("--raw", type=int, default=20000, help="statements in the raw SQLite insert (default 20000)")
    parser.add_argument("--database-url", help="serve from this (empty, migrated) database instead of a fresh SQLite file")
    parser.add_argument("--workers", help="gunicorn workers (default: LEERPASPOORT_WORKERS, else the server's own default)")
    parser.add_argument("--threads", help="threads per worker (default: LEERPASPOORT_THREADS, else 1)")
    args = parser.parse_args()
    install_sigterm_exit()
    # A cohort of 500 learners sending statements about 2,000 pages: the application records
    # each actor it has not seen before, a one-off cost that a steady stream mostly skips.
    population = Population(actors=500, registrations=500)

    with served_lrs(database_url=args.database_url, workers=args.workers, threads=args.threads) as lrs:
        # Warm up: imports, connection pools, caches each worker keeps, before anything is timed.
        run_phase("warm-up", lrs, args.clients, 200, posting(prepared_bodies(population, 200, 1, 9), 1))
        lrs.wait_for_feed()
        gauge = run_phase("gauge", lrs, args.clients, GAUGE_REQUESTS, get_about)
        single = run_phase("single", lrs, args.clients, args.singles, posting(prepared_bodies(population, args.singles, 1, 1), 1), settle=True)
        bodies = prepared_bodies(population, args.batches, BATCH_SIZE, 2)
        batch = run_phase("batch", lrs, args.clients, args.batches, posting(bodies, BATCH_SIZE), settle=True)
    raw = raw_sqlite_ceiling(population, args.raw)
    return 0 if report(lrs, gauge, single, batch, raw, args.clients) else 2


if __name__ == "__main__":
    raise SystemExit(main())
