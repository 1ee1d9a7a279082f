"""LRS query benchmark: p95 latency of filtered GET /xapi/statements over 1,000,000 stored
statements, paging through `more`, against gunicorn on SQLite.

    .venv/bin/python benchmarks/xapi_query.py [--statements 1000000] [--queries 300] [--pages 3] [--clients 4]
    .venv/bin/python benchmarks/xapi_query.py --statements 100000      # a quicker run
    .venv/bin/python benchmarks/xapi_query.py --rebuild                # load the statements again

The statements (5,000 actors, 30 verbs with a Zipf-like skew, 2,000 activities in modules of 20,
5,000 registrations; 30% with a result) are loaded once into a SQLite file cached under
$TMPDIR/leerpaspoort-bench-cache/, keyed by their number and by the migrations, so a rerun
starts at once. The load (rows built in parallel processes) writes the rows the store itself writes (xapi.statement_store.statement_row,
for the demo tenant) with the sqlite3 module, secondary indexes dropped during the load and
built again after it, without a journal: it is a fixture, not an acknowledged write.
`leerpaspoort serve` (gunicorn) then serves that file on a free port.

For each filter, --queries first pages with `limit=100`, each followed through `more` for up to
--pages pages, by --clients concurrent keep-alive clients; every GET is timed:

    verb (common)   one of the 5 most frequent verbs
    verb (rare)     one of the 5 least frequent verbs
    agent           one actor (about 200 statements each at 1M)
    activity        one activity (about 500 statements each at 1M)
    registration    one registration
    agent + verb    both, as a dashboard asks

Target: p95 <= 20 ms for every filter.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _support import (  # noqa: E402
    PROJECT_DIR,
    VERB_COUNT,
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

TARGET_P95_MS = 20.0
PAGE_LIMIT = 100
LOAD_TRANSACTION = 10000
CACHE_DIR = Path(tempfile.gettempdir()) / "leerpaspoort-bench-cache"
# The loaded statements belong to the demo platform of this (never served) address; the
# server, on a port of its own, makes a second demo platform beside it.
LOAD_BASE_URL = "http://statements.benchmark.invalid"
LOAD_TENANT_ISSUER = LOAD_BASE_URL + "/demo"


def cache_path(statements: int, population: Population) -> Path:
    """One file per size, population and schema: any change to the migrations builds afresh."""
    digest = hashlib.sha256()
    for migration in sorted((PROJECT_DIR / "migrations" / "versions").glob("*.py")):
        digest.update(migration.name.encode() + migration.read_bytes())
    digest.update(repr(population).encode())
    digest.update((PROJECT_DIR / "xapi" / "statement_store.py").read_bytes())
    return CACHE_DIR / f"xapi-query-{statements}-{digest.hexdigest()[:12]}.db"


def prepare_database(path: Path, statements: int, population: Population) -> None:
    """Migrate a new SQLite file, add the demo tenant, and load the statements into it."""
    from lti_tool import create_app, migrate
    from lti_tool.db import session_scope
    from lti_tool.demo.services import ensure_demo_platform

    path.parent.mkdir(parents=True, exist_ok=True)
    # Files of earlier schemas or loaders will never be used again (and 1M statements take GBs).
    for stale in path.parent.glob(f"xapi-query-{statements}-*"):
        stale.unlink(missing_ok=True)
    building = path.with_suffix(".building")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{building}"
    migrate.upgrade(url)
    with tempfile.TemporaryDirectory(prefix="leerpaspoort-load-") as instance:
        app = create_app({"env": "development", "database_url": url, "base_url": LOAD_BASE_URL, "instance_path": instance, "demo_enabled": True, "outbox_embedded_worker": False})
        with session_scope(app) as session:
            tenant_id = ensure_demo_platform(session, app.extensions["leerpaspoort.settings"]).platform_id
        app.extensions["leerpaspoort.engine"].dispose()

    started = time.perf_counter()
    first_stored = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(milliseconds=statements)
    connection = sqlite3.connect(building, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('xapi_statements', 'xapi_statement_filters')"
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    converter = SQLiteRows(tenant_id=tenant_id)
    chunks = [(tenant_id, population, first, min(first + LOAD_TRANSACTION, statements + 1), first_stored) for first in range(1, statements + 1, LOAD_TRANSACTION)]
    # Building rows (JSON, hashes) is the slow part: other processes build them while this one writes.
    with multiprocessing.get_context("spawn").Pool(max(1, (os.cpu_count() or 2) - 1)) as pool:
        for rows, filters, done in pool.imap(_chunk_rows, chunks):
            connection.execute("BEGIN")
            connection.executemany(converter.insert_statement, rows)
            connection.executemany(converter.insert_filter, filters)
            connection.execute("COMMIT")
            print(f"\rloading statements: {done:,}/{statements:,} ({done / (time.perf_counter() - started):,.0f}/s)", end="", flush=True)
    print("\nbuilding indexes ...", flush=True)
    for _, sql in indexes:
        connection.execute(sql)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    building.rename(path)
    print(f"loaded {statements:,} statements in {time.perf_counter() - started:.0f} s into {path}")


def _chunk_rows(chunk) -> tuple[list[tuple], list[tuple], int]:
    """The rows of statements first..end-1, the same whichever process builds them."""
    tenant_id, population, first, end, first_stored = chunk
    converter = SQLiteRows(tenant_id=tenant_id)
    maker = StatementMaker(population, 12345 + first)
    rows, filters = [], []
    for seq in range(first, end):
        row, filter_rows = converter.rows(maker(), seq, first_stored + timedelta(milliseconds=seq))
        rows.append(row)
        filters.extend(filter_rows)
    return rows, filters, end - 1


# --- the queries ------------------------------------------------------------------------------


def filters(population: Population) -> dict[str, callable]:
    verbs = population.verbs

    def agent(rng):
        return "agent=" + quote(json.dumps({"mbox": population.actor(rng.randrange(population.actors))["mbox"]}))

    return {
        "verb (common)": lambda rng: "verb=" + quote(verbs[rng.randrange(5)]),
        "verb (rare)": lambda rng: "verb=" + quote(verbs[VERB_COUNT - 1 - rng.randrange(5)]),
        "agent": agent,
        "activity": lambda rng: "activity=" + quote(population.activity(rng.randrange(population.activities))),
        "registration": lambda rng: "registration=" + population.registration(rng.randrange(population.registrations)),
        "agent + verb": lambda rng: agent(rng) + "&verb=" + quote(verbs[rng.randrange(3)]),
    }


def paging_work(make_query, pages: int):
    """One GET per call: a new first page, or the next `more` page of the client's last query."""
    pending: dict[int, tuple[str, int]] = {}

    def work(connection, rng) -> int:
        more, depth = pending.pop(id(rng), ("", 0))
        path = more if more else f"/xapi/statements?{make_query(rng)}&limit={PAGE_LIMIT}"
        status, data = connection.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path[:120]}: HTTP {status} {data[:200]!r}")
        body = json.loads(data)
        if body["more"] and depth + 1 < pages:
            pending[id(rng)] = (body["more"], depth + 1)
        return len(body["statements"])

    return work


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--statements", type=int, default=1_000_000, help="statements stored (default 1000000)")
    parser.add_argument("--queries", type=int, default=300, help="GETs per filter, first pages and more pages together (default 300)")
    parser.add_argument("--pages", type=int, default=3, help="pages followed through `more` per query (default 3)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--rebuild", action="store_true", help="load the statements again even when a cached file exists")
    parser.add_argument("--workers", help="gunicorn workers (default: LEERPASPOORT_WORKERS, else the server's own default)")
    parser.add_argument("--threads", help="threads per worker (default: LEERPASPOORT_THREADS, else 1)")
    args = parser.parse_args()
    if args.statements < 1:
        parser.error("--statements must be at least 1")
    install_sigterm_exit()
    population = Population()

    path = cache_path(args.statements, population)
    if args.rebuild or not path.exists():
        path.unlink(missing_ok=True)
        prepare_database(path, args.statements, population)
    else:
        print(f"using the cached {args.statements:,} statements in {path} (--rebuild to load them again)")

    results: list[PhaseResult] = []
    with served_lrs(
        database_url=f"sqlite:///{path}", workers=args.workers, threads=args.threads, tenant_issuer=LOAD_TENANT_ISSUER
    ) as lrs:
        run_phase("warm-up", lrs, args.clients, 100, paging_work(filters(population)["agent"], args.pages), seed=9)
        for seed, (name, make_query) in enumerate(filters(population).items(), start=1):
            results.append(run_phase(name, lrs, args.clients, args.queries, paging_work(make_query, args.pages), seed=seed))

    rows, all_met = [], True
    for result in results:
        met = result.p(0.95) <= TARGET_P95_MS and not result.errors
        all_met &= met
        cpu = result.server_cpu_ms_per_request
        rows.append([
            result.name, f"{result.requests}", f"{result.items / max(result.requests, 1):.0f}",
            f"{result.requests / result.wall:,.0f}" if result.wall else "-",
            f"{result.p(0.5):.1f}", f"{result.p(0.95):.1f}", f"{result.p(0.99):.1f}",
            f"{cpu:.2f}" if cpu is not None else "-",
            f"p95 <= {TARGET_P95_MS:.0f} ms: {verdict(met)}" + (f" ({len(result.errors)} errors)" if result.errors else ""),
        ])
    print(f"\n{lrs.description}; {args.statements:,} statements; {args.clients} concurrent clients; {machine_note()}")
    print_table(["filter", "GETs", "statements/page", "GETs/s", "p50 ms", "p95 ms", "p99 ms", "server CPU ms/GET", "target"], rows)
    for result in results:
        if result.errors:
            print(f"{result.name}: first error: {result.errors[0]}")
    return 0 if all_met else 2


if __name__ == "__main__":
    raise SystemExit(main())
