"""Portfolio home benchmark: the timeline of a learner with 1,000 evidence items and 200 reflections.

    .venv/bin/python benchmarks/portfolio.py [--requests 200] [--database-url URL] [--profile PAGE]

Builds a fresh, migrated database (SQLite in a temporary directory unless --database-url names
an empty PostgreSQL database), fills one portfolio with 1,000 evidence items (formal and informal,
with tags, files and competencies, spread over five years and three courses) and 200 reflections,
plus a classmate with as many items so scoping is exercised. It then requests pages as the
signed-in learner through the application's WSGI stack (Flask's test client, no network).

Server time is measured inside the server: a WSGI wrapper around the application times the call
and the reading of the body (wall clock), and the thread's CPU time over the same span, which is
steadier than wall time on a busy machine. For each page it prints server wall p50/p95, CPU
p50/p95, SQL statements per request and the size of the page. --profile PAGE (e.g. "home")
prints the functions that take the most time on that page (cProfile).
Target: server wall p95 <= 100 ms for the portfolio home.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

TARGET_P95_MS = 100.0
EVIDENCE = 1000
REFLECTIONS = 200
TYPES = ("photo", "video", "audio", "document", "link", "note", "diploma", "certificate", "module")
TAGS = ("teamwork", "zorg", "veiligheid", "communicatie", "stage", "EHBO", "hygiëne", "planning")


def build_portfolio(session, platform_id: int, user, contexts, competencies, rng: random.Random) -> int:
    from lti_tool.competencies.models import EvidenceCompetency
    from lti_tool.db import utcnow
    from lti_tool.portfolio.evidence import kind_of
    from lti_tool.portfolio.models import Evidence, EvidenceFile, EvidenceTag, Reflection
    from lti_tool.portfolio.ownership import portfolio_of

    portfolio = portfolio_of(session, user)
    start = date.today() - timedelta(days=5 * 365)
    for n in range(EVIDENCE):
        evidence_type = TYPES[n % len(TYPES)]
        evidence = Evidence(
            portfolio_id=portfolio.id, platform_id=platform_id, kind=kind_of(evidence_type), type=evidence_type,
            source="xapi" if evidence_type == "module" else "learner", title=f"Evidence {n} {rng.choice(TAGS)}",
            description=f"<p>What happened on day {n}: {' '.join(rng.choices(TAGS, k=12))}</p>",
            occurred_on=start + timedelta(days=rng.randrange(5 * 365)),
            context_id=rng.choice([None, *[c.id for c in contexts]]),
            issuer="ROC" if evidence_type in {"diploma", "certificate"} else None,
        )
        evidence.tags = [EvidenceTag(tag=tag) for tag in rng.sample(TAGS, 2)]
        if evidence_type in {"photo", "document"}:
            sha = f"{n:064x}"
            evidence.files = [
                EvidenceFile(storage_key=f"evidence/{portfolio.id}/{sha[:2]}/{sha}.jpg",
                             thumbnail_key=f"evidence/{portfolio.id}/{sha[:2]}/{sha}-thumb.jpg" if evidence_type == "photo" else None,
                             original_name=f"file{n}.jpg", content_type="image/jpeg", size=50_000, sha256=sha)
            ]
        session.add(evidence)
        if n % 200 == 0:
            session.flush()
    session.flush()
    ids = [e.id for e in session.query(Evidence.id).filter(Evidence.portfolio_id == portfolio.id)]
    for evidence_id in rng.sample(ids, 300):
        session.add(EvidenceCompetency(evidence_id=evidence_id, competency_id=rng.choice(competencies).id))
    for n in range(REFLECTIONS):
        session.add(Reflection(
            portfolio_id=portfolio.id, platform_id=platform_id, title=f"Reflection {n}", status="saved",
            content={"body": f"<p>{' '.join(rng.choices(TAGS, k=30))}</p>"},
            context_id=rng.choice([None, *[c.id for c in contexts]]),
            created_at=utcnow() - timedelta(days=rng.randrange(5 * 365)),
        ))
    session.commit()
    return portfolio.id


def arrange(app) -> tuple[int, int]:
    """Create the platform, two learners in three courses, and their portfolios."""
    from lti_tool.competencies.models import Competency, CompetencyFramework
    from lti_tool.db import session_scope
    from lti_tool.lti.platforms import PlatformInput, add_platform
    from lti_tool.people.models import Context, Membership, User

    rng = random.Random(7)
    with session_scope(app) as session:
        platform = add_platform(session, PlatformInput(
            issuer="https://moodle.example.nl", client_id="bench", auth_login_url="https://moodle.example.nl/auth",
            auth_token_url="https://moodle.example.nl/token", key_set_url="https://moodle.example.nl/certs",
            deployment_ids=["1"], name="Bench"))
        session.flush()
        contexts = [Context(platform_id=platform.id, context_id=str(i), title=f"Course {i}", label=f"C{i}") for i in range(3)]
        framework = CompetencyFramework(platform_id=platform.id, name="Zorg", levels=["1", "2", "3"])
        framework.competencies = [Competency(code=f"Z{i}", title=f"Competency {i}", position=i) for i in range(20)]
        session.add_all([*contexts, framework])
        learners = [User(platform_id=platform.id, sub=str(i), name=f"Learner {i}") for i in range(2)]
        session.add_all(learners)
        session.flush()
        learner_role = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
        for user in learners:
            session.add_all(Membership(user_id=user.id, context_id=c.id, roles=learner_role) for c in contexts)
        session.flush()
        for user in learners:
            build_portfolio(session, platform.id, user, contexts, framework.competencies, rng)
        return learners[0].id, contexts[0].id


class ServerTimer:
    """WSGI wrapper: wall and CPU milliseconds from the call until the body has been produced."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.last: tuple[float, float] = (0.0, 0.0)

    def __call__(self, environ, start_response):
        began, began_cpu = time.perf_counter(), time.thread_time()
        body = b"".join(self.wsgi_app(environ, start_response))
        self.last = ((time.perf_counter() - began) * 1000, (time.thread_time() - began_cpu) * 1000)
        return [body]


class QueryCounter:
    """Counts SQL statements sent by the application's engine."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args) -> None:
        self.count += 1


class Sample:
    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.queries = 0
        self.size = 0


def measure(client, timer: ServerTimer, counter: QueryCounter, path: str, runs: int) -> Sample:
    """Server wall and CPU milliseconds per request, statements per request and page size."""
    client.get(path)  # warm the caches and the template
    sample = Sample()
    for _ in range(runs):
        counter.count = 0
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        wall, cpu = timer.last
        sample.wall.append(wall)
        sample.cpu.append(cpu)
        sample.queries = counter.count
        sample.size = len(response.get_data())
    sample.wall.sort()
    sample.cpu.sort()
    return sample


def profile(client, path: str, runs: int = 20, top: int = 25) -> str:
    """cProfile of `runs` requests of one page: the functions with the most cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(path).get_data()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[max(0, int(len(ordered) * fraction + 0.5) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", help="an empty database to migrate and use (default: SQLite in a temp dir)")
    parser.add_argument("--profile", metavar="PAGE", help="print a cProfile of one page (a name from the table)")
    args = parser.parse_args()

    from lti_tool import create_app, migrate

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        migrate.upgrade(url)
        app = create_app({"env": "test", "database_url": url, "instance_path": tmp, "demo_enabled": False,
                          "outbox_embedded_worker": False, "default_locale": "en"})
        began = time.perf_counter()
        user_id, course_id = arrange(app)
        print(f"arranged {EVIDENCE} evidence + {REFLECTIONS} reflections per learner (2 learners) "
              f"in {time.perf_counter() - began:.1f} s on {url.split(':', 1)[0]}")
        timer = ServerTimer(app.wsgi_app)
        app.wsgi_app = timer
        counter = QueryCounter(app.extensions["leerpaspoort.engine"])
        client = app.test_client()
        with client.session_transaction() as cookie:
            cookie["_user_id"] = str(user_id)
            cookie["_fresh"] = True
        pages = {
            "home": "/portfolio",
            "page 20": "/portfolio?page=20",
            "search": "/portfolio?q=hygi%C3%ABne",
            "tag filter": "/portfolio?tag=zorg",
            "kind + type": "/portfolio?kind=formal&type=diploma",
            "course view": f"/portfolio/courses/{course_id}",
        }
        if args.profile:
            if args.profile not in pages:
                parser.error(f"--profile takes one of: {', '.join(pages)}")
            print(profile(client, pages[args.profile]))
        failed = False
        print(f"server time per request, {args.requests} requests per page (milliseconds)")
        print(f"{'page':<12} {'wall p50':>9} {'wall p95':>9} {'cpu p50':>8} {'cpu p95':>8} {'queries':>8} {'kB':>6}")
        for name, path in pages.items():
            sample = measure(client, timer, counter, path, args.requests)
            p95 = percentile(sample.wall, 0.95)
            print(f"{name:<12} {statistics.median(sample.wall):9.1f} {p95:9.1f} "
                  f"{statistics.median(sample.cpu):8.1f} {percentile(sample.cpu, 0.95):8.1f} "
                  f"{sample.queries:8d} {sample.size / 1024:6.1f}")
            failed |= name == "home" and p95 > TARGET_P95_MS
        app.extensions["leerpaspoort.engine"].dispose()
        print(f"target: home server wall p95 <= {TARGET_P95_MS:.0f} ms -> {'MISSED' if failed else 'met'}")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
