"""cmi5 tracking benchmark: the after-commit hook for one commit of 100 AU statements.

    .venv/bin/python benchmarks/cmi5_tracking.py [--statements 100] [--rounds 20] [--database-url URL]

Builds a fresh, migrated database (SQLite in a temporary directory unless --database-url names
an empty PostgreSQL database), imports the example cmi5 course, opens one AU session for one
learner and stores a batch of statements in it, as an AU's request would. Then it runs
lti_tool.modules.cmi5_tracking.track on the batch's ids `--rounds` times, rolling back after
each round so every round sees the same state, and prints per round:

    queries      SQL statements the hook executes
    cpu ms       process CPU time (time.process_time), the figure to compare on a busy machine
    calls        Python function calls under cProfile, and the five most expensive functions

The statements end with Terminated, so a round also ends the session and evaluates moveOn for
the registration; the AU is not completed, so no Satisfied is written (that write is the same
one store call before and after batching, and its pending activity definitions would not
survive the rollback between rounds).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import event

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

BASE_URL = "http://localhost"
VERBS = "http://adlnet.gov/expapi/verbs/"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"


def build_app(database_url: str, instance: Path):
    from lti_tool import create_app, migrate

    migrate.upgrade(database_url)
    return create_app(
        {
            "env": "test",
            "database_url": database_url,
            "base_url": BASE_URL,
            "instance_path": str(instance),
            "demo_enabled": False,
            "outbox_embedded_worker": False,
        }
    )


def arrange(session, instance: Path, count: int) -> tuple[int, list[str]]:
    """One learner with one open AU session and `count` stored statements of it; return their ids."""
    from lti_tool.formal_evidence.learners import issued_actor
    from lti_tool.lti.models import Platform
    from lti_tool.modules.examples import example_builder
    from lti_tool.modules.models import Cmi5Session, ModuleRegistration
    from lti_tool.modules.services import content_store_for, importing_package
    from lti_tool.people.models import User
    from xapi.statement_store import Writer, store_statements

    platform = Platform(
        issuer="https://lms.example", client_id="bench", auth_login_url="https://lms.example/login",
        auth_token_url="https://lms.example/token",
    )
    session.add(platform)
    session.flush()
    user = User(platform_id=platform.id, sub="learner-1", name="Learner")
    session.add(user)
    session.flush()
    archive = io.BytesIO(example_builder().build_package("cmi5-course"))
    with importing_package(session, content_store_for(str(instance)), archive, platform_id=platform.id) as package:
        session.flush()
    unit = package.units[0]
    registration = ModuleRegistration(
        platform_id=platform.id, user_id=user.id, package_id=package.id, registration=str(uuid.uuid4())
    )
    session.add(registration)
    session.flush()
    session_id = str(uuid.uuid4())
    session.add(
        Cmi5Session(
            id=session_id, platform_id=platform.id, registration_id=registration.id, unit_id=unit.id,
            user_id=user.id, fetch_token_hash=uuid.uuid4().hex,
        )
    )
    actor = issued_actor(platform, user)
    verbs = ["initialized"] + ["experienced"] * (count - 2) + ["terminated"]
    statements = [_statement(actor, verb, unit.lms_activity_id, registration.registration, session_id) for verb in verbs]
    writer = Writer(tenant_id=platform.id, authority={"objectType": "Agent", "mbox": "mailto:au@example.com"})
    result = store_statements(session, writer, statements, version="1.0.3")
    session.commit()
    return platform.id, result.stored_ids


def _statement(actor: dict, verb: str, au_id: str, registration: str, session_id: str) -> dict:
    categories = [] if verb == "experienced" else [{"id": CMI5_CATEGORY}]
    result = {"duration": "PT1M"} if verb == "terminated" else None
    statement = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": VERBS + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": au_id + ("/page" if verb == "experienced" else "")},
        "context": {
            "registration": registration,
            "contextActivities": {"category": categories} if categories else {},
            "extensions": {SESSION_ID: session_id},
        },
    }
    if result:
        statement["result"] = result
    return statement


def measure(app, tenant_id: int, ids: list[str], rounds: int) -> None:
    from lti_tool.db import session_factory
    from lti_tool.modules.cmi5_tracking import track

    engine = app.extensions["leerpaspoort.engine"]
    queries: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda c, cur, statement, *rest: queries.append(statement))
    counts, cpu, calls, written = [], [], [], 0
    profile_text = ""
    with app.app_context():
        for round_number in range(rounds):
            session = session_factory(app)()
            try:
                queries.clear()
                profiler = cProfile.Profile()
                started = time.process_time()
                profiler.enable()
                written = len(track(session, tenant_id, ids, base_url=BASE_URL))
                profiler.disable()
                cpu.append((time.process_time() - started) * 1000)
                counts.append(len(queries))
                stats = pstats.Stats(profiler)
                calls.append(stats.total_calls)
                if round_number == rounds - 1:
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(5)
                    profile_text = out.getvalue()
            finally:
                session.rollback()
                session.close()
    print(f"cmi5 tracking hook, one commit of {len(ids)} statements ({rounds} rounds, {written} Satisfied written)")
    print(f"  queries per commit:      {statistics.median(counts):.0f}")
    print(f"  cpu ms per commit:       median {statistics.median(cpu):.1f}  min {min(cpu):.1f}")
    print(f"  python calls per commit: {statistics.median(calls):.0f}")
    print("  top functions by own time (last round):")
    for line in profile_text.splitlines():
        if line.strip() and ("{" in line or ".py" in line):
            print("   ", line.strip()[:150])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", help="an empty, migratable database (default: SQLite in a temporary directory)")
    args = parser.parse_args()
    if args.statements < 3:
        parser.error("--statements must be at least 3 (Initialized, something, Terminated)")
    with tempfile.TemporaryDirectory() as directory:
        instance = Path(directory) / "instance"
        url = args.database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
        app = build_app(url, instance)
        try:
            from lti_tool.db import session_factory

            with app.app_context():
                session = session_factory(app)()
                tenant_id, ids = arrange(session, instance, args.statements)
                session.close()
            measure(app, tenant_id, ids, args.rounds)
        finally:
            app.extensions["leerpaspoort.engine"].dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
