"""Formal evidence benchmark: projection throughput, and the L&D view of 5,000 learners x 40 modules.

    .venv/bin/python benchmarks/evidence.py [--requests 30] [--database-url URL] [--rebuild]
                                            [--learners 5000] [--modules 40] [--projected 200]

Builds a migrated database (SQLite in a cache folder under the system's temp dir unless
--database-url names an empty PostgreSQL database) with one course: 40 modules placed through
deep linking, 5,000 learners on its roster, and a realistic statement mix per learner x module
(a quarter never started, some only launched, most completed, passed or failed, 1-4 statements
each). For the first --projected learners (200) statements are stored by the LRS's own store
and turned into evidence by the real projection, called on each stored batch of statement ids as
the after-commit hook does; the projection's throughput (statements/s and learner x activity
pairs/s, wall and CPU) is printed. The other learners' registrations and evidence are loaded in
bulk, summarised by the projection's own outcome function (projecting all ~400,000 statements
would take most of an hour on a small machine and measure nothing more).
The built database is kept for reruns (--rebuild builds it again).

Then, through the application's WSGI stack (Flask's test client: server time, no network) as
the course's instructor, it requests the L&D view (first page, a later page, a status filter,
a module + status filter, a learner search), the per-module summary and the CSV export of the
whole course, and prints
p50/p95 wall and CPU milliseconds. Target: the L&D view renders in <= 300 ms (p95).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

TARGET_P95_MS = 300.0
ISSUER = "https://moodle.bench.example"
LEARNER_ROLE = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
INSTRUCTOR_ROLE = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
VERBS = "http://adlnet.gov/expapi/verbs/"
# (share of learner x module pairs, verbs sent); None: never started.
MIX = (
    (0.25, None),
    (0.10, ("launched",)),
    (0.10, ("launched", "experienced")),
    (0.20, ("launched", "experienced", "completed")),
    (0.25, ("launched", "experienced", "completed", "passed")),
    (0.10, ("launched", "experienced", "failed")),
)


def _statement(actor: dict, verb: str, activity_id: str, registration: str, when: datetime, rng: random.Random) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": VERBS + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": activity_id},
        "context": {"registration": registration},
        "timestamp": when.isoformat().replace("+00:00", "Z"),
    }
    if verb == "completed":
        body["result"] = {"completion": True, "duration": f"PT{rng.randrange(5, 60)}M"}
    elif verb in ("passed", "failed"):
        scaled = round(rng.uniform(0.55, 1.0) if verb == "passed" else rng.uniform(0.0, 0.54), 2)
        body["result"] = {"success": verb == "passed", "score": {"scaled": scaled}}
    return body


def arrange_course(app, learners: int, modules: int, rng: random.Random) -> dict:
    """Platform, course, instructor, learners on the roster, modules placed (some launched)."""
    from lti_tool.db import session_scope
    from lti_tool.lti.deep_linking import PlacedItem
    from lti_tool.lti.platforms import PlatformInput, add_platform
    from lti_tool.modules.models import ModulePackage, ModuleUnit
    from lti_tool.people.models import Context, Membership, ResourceLink, User

    with session_scope(app) as session:
        platform = add_platform(session, PlatformInput(
            issuer=ISSUER, client_id="bench", auth_login_url=f"{ISSUER}/auth", auth_token_url=f"{ISSUER}/token",
            key_set_url=f"{ISSUER}/certs", deployment_ids=["1"], name="Bench"))
        session.flush()
        course = Context(platform_id=platform.id, context_id="course-1", title="Veiligheid 2027", label="VH27")
        session.add(course)
        instructor = User(platform_id=platform.id, sub="teacher", name="Terry Teacher")
        session.add(instructor)
        session.flush()
        session.add(Membership(user_id=instructor.id, context_id=course.id, roles=INSTRUCTOR_ROLE))
        names = ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos", "Vos")
        people = [
            User(platform_id=platform.id, sub=f"l{n:05d}", given_name=f"Learner{n}", family_name=rng.choice(names),
                 name=f"Learner{n} {rng.choice(names)}", email=f"learner{n}@example.nl")
            for n in range(learners)
        ]
        session.add_all(people)
        session.flush()
        session.add_all(
            Membership(user_id=u.id, context_id=course.id, roles=LEARNER_ROLE, source="nrps" if n % 3 else "launch")
            for n, u in enumerate(people)
        )
        placed = []
        for m in range(modules):
            activity = f"https://modules.bench.example/m{m:02d}"
            package = ModulePackage(platform_id=platform.id, kind="tincan", course_activity_id=activity,
                                    title=f"Module {m:02d}", content_key=uuid.uuid4().hex, total_bytes=1, file_count=1)
            package.units = [ModuleUnit(activity_id=activity, lms_activity_id=activity, title=f"Module {m:02d}", url="index.html")]
            session.add(package)
            session.flush()
            item = PlacedItem(public_id=uuid.uuid4().hex, platform_id=platform.id, context_id=course.id,
                              placed_by=instructor.id, kind="module", title=f"Module {m:02d}", score_maximum=100,
                              custom={"leerpaspoort_module": str(package.id)})
            session.add(item)
            link = None
            if m < modules - 2:  # the last two were placed but nobody has opened them yet
                link = ResourceLink(platform_id=platform.id, context_id=course.id, resource_link_id=f"link-{m}",
                                    title=f"Module {m:02d}", kind="module",
                                    custom={"leerpaspoort_kind": "module", "leerpaspoort_item": item.public_id,
                                            "leerpaspoort_module": str(package.id)},
                                    lineitem_url=f"{ISSUER}/lineitems/{m}/lineitem")
                session.add(link)
                session.flush()
            placed.append((package.id, activity, link.id if link else None, package.units[0].id))
        return {"platform_id": platform.id, "course_id": course.id, "instructor_id": instructor.id,
                "learners": [(u.id, u.sub) for u in people], "placed": placed}


def fill_statements(app, world: dict, rng: random.Random, projected: int) -> dict:
    """Store each learner's statements as the LRS does, then project them as the after-commit hook does.

    Only the first `projected` learners go this way (it measures the projection); the others get
    the same registrations and evidence in bulk, summarised by the projection's own function."""
    from lti_tool.db import session_scope
    from lti_tool.formal_evidence.projection import project_statements
    from lti_tool.modules.models import ModuleRegistration
    from xapi.store import Writer, store_statements

    writer = Writer(tenant_id=world["platform_id"], authority={"objectType": "Agent", "name": "bench",
                                                              "account": {"homePage": ISSUER, "name": "bench"}})
    weights = [share for share, _ in MIX]
    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    totals = {"statements": 0, "pairs": 0, "store_s": 0.0, "project_s": 0.0, "project_cpu_s": 0.0}
    launched = [p for p in world["placed"] if p[2] is not None]
    for done, (user_id, sub) in enumerate(world["learners"][:projected], 1):
        actor = {"objectType": "Agent", "account": {"homePage": ISSUER, "name": sub}}
        batch = []
        with session_scope(app) as session:
            for package_id, activity, link_id, _unit_id in launched:
                verbs = rng.choices([v for _, v in MIX], weights)[0]
                if verbs is None:
                    continue
                registration = str(uuid.uuid4())
                session.add(ModuleRegistration(platform_id=world["platform_id"], user_id=user_id, package_id=package_id,
                                               registration=registration, resource_link_id=link_id))
                when = start + timedelta(days=rng.randrange(80), minutes=rng.randrange(600))
                for step, verb in enumerate(verbs):
                    batch.append(_statement(actor, verb, activity, registration, when + timedelta(minutes=7 * step), rng))
            began = time.perf_counter()
            result = store_statements(session, writer, batch, version="1.0.3")
        totals["store_s"] += time.perf_counter() - began
        # The hook's path: a fresh session after the statements' commit, projecting their ids.
        began, began_cpu = time.perf_counter(), time.process_time()
        with session_scope(app) as session:
            totals["pairs"] += project_statements(session, world["platform_id"], result.stored_ids, result.voided_ids)
        totals["project_s"] += time.perf_counter() - began
        totals["project_cpu_s"] += time.process_time() - began_cpu
        totals["statements"] += len(result.stored_ids)
        if done % 50 == 0:
            print(f"  {done} learners, {totals['statements']} statements projected "
                  f"({totals['statements'] / totals['project_s']:.0f} statements/s)", flush=True)
    rest = world["learners"][projected:]
    for chunk in range(0, len(rest), 500):
        _bulk_evidence(app, world, rest[chunk : chunk + 500], rng)
    return totals


def _bulk_evidence(app, world: dict, learners: list[tuple[int, str]], rng: random.Random) -> None:
    """Registrations, portfolios and evidence rows exactly as projection would leave them."""
    from types import SimpleNamespace

    from sqlalchemy import insert, select

    from lti_tool.db import session_scope, utcnow
    from lti_tool.formal_evidence.outcome import StatementFact, summarise
    from lti_tool.formal_evidence.projection import projection_key
    from lti_tool.modules.models import ModuleRegistration
    from lti_tool.portfolio.models import FORMAL, SOURCE_XAPI, Evidence, Portfolio

    weights = [share for share, _ in MIX]
    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    now = utcnow()
    launched = [p for p in world["placed"] if p[2] is not None]
    with session_scope(app) as session:
        session.execute(insert(Portfolio), [{"owner_id": u, "platform_id": world["platform_id"], "created_at": now} for u, _ in learners])
        portfolios = dict(session.execute(select(Portfolio.owner_id, Portfolio.id).where(Portfolio.owner_id.in_([u for u, _ in learners]))).all())
        registrations, evidence = [], []
        for user_id, _sub in learners:
            for package_id, activity, link_id, unit_id in launched:
                verbs = rng.choices([v for _, v in MIX], weights)[0]
                if verbs is None:
                    continue
                registrations.append({"platform_id": world["platform_id"], "user_id": user_id, "package_id": package_id,
                                      "registration": str(uuid.uuid4()), "resource_link_id": link_id, "state": {},
                                      "created_at": now})
                when = start + timedelta(days=rng.randrange(80), minutes=rng.randrange(600))
                statements = [_statement({}, verb, activity, "", when + timedelta(minutes=7 * step), rng)
                              for step, verb in enumerate(verbs)]
                facts = [StatementFact(verb_id=st["verb"]["id"], when=datetime.fromisoformat(st["timestamp"].replace("Z", "+00:00")),
                                       result=st.get("result") or {}) for st in statements]
                outcome = summarise(facts)
                if not outcome.has_result:
                    continue
                evidence.append({
                    "portfolio_id": portfolios[user_id], "platform_id": world["platform_id"], "kind": FORMAL,
                    "type": "module", "source": SOURCE_XAPI, "title": f"Module {activity[-2:]}", "description": "",
                    "occurred_on": outcome.achieved_at.date(), "context_id": world["course_id"], "activity_id": activity,
                    "projection_key": projection_key(SimpleNamespace(id=user_id), activity),
                    "outcome": {**outcome.as_json(), "module_unit_id": unit_id, "module_package_id": None},
                    "created_at": now, "updated_at": now,
                })
        session.execute(insert(ModuleRegistration), registrations)
        session.execute(insert(Evidence), evidence)


def measure(client, path: str, runs: int) -> tuple[list[float], list[float], int]:
    """Wall-clock and CPU milliseconds per request (CPU time is steadier on a busy machine)."""
    size = len(client.get(path).get_data())  # warm the caches and the template
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        response.get_data()
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return sorted(wall), sorted(cpu), size


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[max(0, int(len(ordered) * fraction + 0.5) - 1)]


def _app(url: str, instance: str):
    from lti_tool import create_app

    return create_app({"env": "test", "database_url": url, "instance_path": instance, "demo_enabled": False,
                       "outbox_embedded_worker": False, "default_locale": "en"})


def _built(app) -> dict | None:
    from sqlalchemy import select

    from lti_tool.db import session_scope
    from lti_tool.lti.models import Platform
    from lti_tool.people.models import Context, User

    with session_scope(app) as session:
        platform = session.scalars(select(Platform).where(Platform.issuer == ISSUER)).first()
        if platform is None:
            return None
        course = session.scalars(select(Context).where(Context.platform_id == platform.id)).one()
        instructor = session.scalars(select(User).where(User.platform_id == platform.id, User.sub == "teacher")).one()
        return {"platform_id": platform.id, "course_id": course.id, "instructor_id": instructor.id}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per page measured")
    parser.add_argument("--database-url", help="an empty database to migrate and use (default: cached SQLite)")
    parser.add_argument("--rebuild", action="store_true", help="build the cached SQLite database again")
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--modules", type=int, default=40)
    parser.add_argument("--projected", type=int, default=200,
                        help="learners whose statements go through the LRS store and the projection (the rest in bulk)")
    args = parser.parse_args()

    from lti_tool import migrate

    cache = Path(tempfile.gettempdir()) / f"leerpaspoort-bench-evidence-{args.learners}x{args.modules}"
    cache.mkdir(exist_ok=True)
    url = args.database_url or f"sqlite:///{cache}/bench.db"
    if args.rebuild and not args.database_url:
        (cache / "bench.db").unlink(missing_ok=True)
    migrate.upgrade(url)
    app = _app(url, str(cache))
    with app.app_context():
        return run(app, args, cache, url)


def run(app, args, cache: Path, url: str) -> int:
    world = _built(app)
    if world is None or args.rebuild:
        print(f"building {args.learners} learners x {args.modules} modules on {url.split(':', 1)[0]} ...", flush=True)
        began = time.perf_counter()
        world = arrange_course(app, args.learners, args.modules, random.Random(11))
        totals = fill_statements(app, world, random.Random(12), min(args.projected, args.learners))
        per_statement = totals["statements"] / totals["project_s"]
        print(f"built in {time.perf_counter() - began:.0f} s; {min(args.projected, args.learners)} learners through the "
              f"LRS and the projection: {totals['statements']} statements stored in "
              f"{totals['store_s']:.0f} s ({totals['statements'] / totals['store_s']:.0f} statements/s)")
        print(f"projection: {totals['statements']} statements, {totals['pairs']} learner x activity pairs in "
              f"{totals['project_s']:.0f} s wall, {totals['project_cpu_s']:.0f} s CPU -> "
              f"{per_statement:.0f} statements/s ({totals['statements'] / totals['project_cpu_s']:.0f} per CPU-second), "
              f"{totals['pairs'] / totals['project_s']:.0f} pairs/s")
        (cache / "projection.json").write_text(json.dumps(totals))
    elif (cache / "projection.json").exists():
        totals = json.loads((cache / "projection.json").read_text())
        print(f"cached database {url} (projection when built: "
              f"{totals['statements'] / totals['project_s']:.0f} statements/s wall, "
              f"{totals['statements'] / totals['project_cpu_s']:.0f} per CPU-second; --rebuild to measure again)")

    # As a gunicorn worker does after loading the application (config/gunicorn.conf.py), keep what
    # is loaded by now out of the collector's full passes, which otherwise walk it every few requests.
    gc.collect()
    gc.freeze()
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(world["instructor_id"])
        cookie["_fresh"] = True
    base = f"/courses/{world['course_id']}/completions"
    pages = {
        "first page": base,
        "page 50": f"{base}?page=50",
        "status filter": f"{base}?status=failed",
        "module+status": f"{base}?module=https%3A%2F%2Fmodules.bench.example%2Fm03&status=not_started",
        "learner search": f"{base}?q=Jansen",
    }
    failed = False
    print(f"{'L&D view':<16} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'cpu p95':>8} {'KiB':>6}   ({args.requests} requests each)")
    for name, path in pages.items():
        wall, cpu, size = measure(client, path, args.requests)
        p95 = percentile(wall, 0.95)
        print(f"{name:<16} {statistics.median(wall):8.1f} {p95:8.1f} "
              f"{statistics.median(cpu):8.1f} {percentile(cpu, 0.95):8.1f} {size / 1024:6.0f}", flush=True)
        failed |= p95 > TARGET_P95_MS
    wall, cpu, size = measure(client, f"{base}/summary", max(3, args.requests // 3))
    print(f"{'summary (course)':<16} {statistics.median(wall):8.1f} {percentile(wall, 0.95):8.1f} "
          f"{statistics.median(cpu):8.1f} {percentile(cpu, 0.95):8.1f} {size / 1024:6.0f}   (per-module counts, its own page)")
    runs = max(3, args.requests // 10)
    wall, cpu, size = measure(client, f"{base}.csv", runs)
    print(f"{'CSV (course)':<16} {statistics.median(wall):8.1f} {percentile(wall, 0.95):8.1f} "
          f"{statistics.median(cpu):8.1f} {percentile(cpu, 0.95):8.1f} {size / 1024:6.0f}   ({runs} requests)")
    app.extensions["leerpaspoort.engine"].dispose()
    print(f"target: every L&D view page p95 <= {TARGET_P95_MS:.0f} ms -> {'MISSED' if failed else 'met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
