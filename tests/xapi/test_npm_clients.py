"""Real xAPI clients from the npm registry, run under node against our LRS on a real socket.

Each script in tests/node/ drives one client library through what e-learning content does with
it and asserts the answers itself; it exits non-zero with the failing step named. Here we start
the server, hand each script a credential (or, for cmi5, a real AU launch), and check afterwards
from Python what the LRS stored.

The node packages come from tests/node/package-lock.json (`npm ci` in tests/node). Without them
these tests are skipped, unless LEERPASPOORT_REQUIRE_NODE_TESTS is set (CI sets it): then a
missing install is a failure, not a silent skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from lti_tool.lti.models import Platform
from tests.conftest import TOOL_BASE_URL
from xapi.models import Attachment, Document, Statement

NODE_DIR = Path(__file__).resolve().parent.parent / "node"
REQUIRE_ENV = "LEERPASPOORT_REQUIRE_NODE_TESTS"
SCRIPT_TIMEOUT = 120  # seconds; a script normally finishes in one or two
VERBS = "http://adlnet.gov/expapi/verbs/"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"


def node_clients_problem(node_dir: Path, environ) -> tuple[str, str] | None:
    """Return ("skip" or "fail", why) when the node clients cannot run here, None when they can."""
    if (node_dir / "node_modules").is_dir():
        return None
    why = f"{node_dir / 'node_modules'} is missing: run `npm ci` in {node_dir}"
    return ("fail", f"{why} ({REQUIRE_ENV} is set)") if environ.get(REQUIRE_ENV) else ("skip", why)


@pytest.fixture
def node_clients() -> Path:
    problem = node_clients_problem(NODE_DIR, os.environ)
    if problem is not None:
        action, why = problem
        (pytest.fail if action == "fail" else pytest.skip)(why)
    return NODE_DIR


@dataclass
class Seen:
    """One request that reached the server: what a client really sends."""

    method: str
    path: str
    query: dict[str, str]
    version: str | None


@dataclass
class LiveServer:
    base_url: str
    requests: list[Seen] = field(default_factory=list)

    def xapi_requests(self) -> list[Seen]:
        return [seen for seen in self.requests if seen.path.startswith("/xapi/")]


@pytest.fixture
def live(app) -> Iterator[LiveServer]:
    """This test's app on 127.0.0.1 (the app of the `client` fixture, so launches and node share it),
    noting every request.

    tests/support/live_server.serve_app builds an app of its own; the cmi5 and Tin Can launch tests
    need the one the launcher signs in to. Links the app writes still say TOOL_BASE_URL; `reachable`
    points them at the socket.
    """
    server_holder: dict[str, LiveServer] = {}

    def recording(environ, start_response):
        server_holder["live"].requests.append(
            Seen(
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", ""),
                dict(parse_qsl(environ.get("QUERY_STRING", ""))),
                environ.get("HTTP_X_EXPERIENCE_API_VERSION"),
            )
        )
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, recording, threaded=True)
    server_holder["live"] = LiveServer(f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_holder["live"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def reachable(url: str, live: LiveServer) -> str:
    """A URL the app wrote for TOOL_BASE_URL, pointed at the live socket instead."""
    assert url.startswith(TOOL_BASE_URL + "/"), url
    return live.base_url + url[len(TOOL_BASE_URL):]


def run_node(node_dir: Path, script: str, *args: str) -> dict:
    """Run a client script; assert it exits 0 and return the summary it printed."""
    node = shutil.which("node")
    assert node, "node is not on PATH; install nodejs (20 or later) to run the npm client tests"
    completed = subprocess.run(
        [node, script, *args],
        cwd=node_dir,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    assert completed.returncode == 0, f"{script} failed:\n{completed.stderr}\n{completed.stdout}"
    return json.loads(completed.stdout.strip().splitlines()[-1])


def lrs_args(live: LiveServer, credential) -> list[str]:
    return ["--endpoint", live.base_url + "/xapi/", "--key", credential.key, "--secret", credential.secret]


def stored(db, statement_ids) -> dict[str, Statement]:
    db.expire_all()
    rows = db.scalars(select(Statement).where(Statement.statement_id.in_(list(statement_ids)))).all()
    return {row.statement_id: row for row in rows}


def documents_of(db, activity_id: str) -> dict[str, Document]:
    db.expire_all()
    return {row.document_id: row for row in db.scalars(select(Document).where(Document.activity_id == activity_id))}


# --- when the clients can run ------------------------------------------------------------------


def test_missing_node_modules_fails_when_ci_requires_the_node_tests(tmp_path):
    action, why = node_clients_problem(tmp_path, {REQUIRE_ENV: "1"})
    assert action == "fail" and "npm ci" in why


def test_missing_node_modules_is_a_skip_outside_ci(tmp_path):
    assert node_clients_problem(tmp_path, {})[0] == "skip"


def test_installed_node_modules_run(tmp_path):
    (tmp_path / "node_modules").mkdir()
    assert node_clients_problem(tmp_path, {REQUIRE_ENV: "1"}) is None


# --- the clients ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_xapijs_client_runs_statements_documents_and_about(node_clients, live, lrs_credential, db, version):
    summary = run_node(node_clients, "xapi-xapi.js", *lrs_args(live, lrs_credential), "--version", version)
    assert summary["version"] == version
    # What the library sends: the chosen version on every request, `cachebuster` when asked to.
    assert {seen.version for seen in live.xapi_requests()} == {version}
    assert any("cachebuster" in seen.query for seen in live.xapi_requests())

    rows = stored(db, [*summary["sent"], summary["voiding"]])
    assert set(rows) == {*summary["sent"], summary["voiding"]}
    assert rows[summary["voided"]].voided and rows[summary["voiding"]].voiding
    # The client sends no statement version: Data 2.4.10 makes that 1.0.0; a 2.0 request stores 2.0.0.
    assert {rows[i].version for i in summary["sent"]} == {"1.0.0" if version == "1.0.3" else "2.0.0"}
    assert {rows[i].registration for i in summary["sent"]} == {summary["registration"]}
    certificate = f"Certificate of completion for {summary['learner']['name']}".encode()
    attachment = json.loads(rows[summary["attachment"]].payload)["attachments"][0]
    kept = db.scalars(select(Attachment).where(Attachment.sha2 == attachment["sha2"])).one()
    assert kept.content == certificate
    documents = documents_of(db, summary["activityId"])
    # Left behind on purpose by the script: the state outside the registration.
    assert json.loads(documents["bookmark"].content) == {"suspendData": "other"}
    assert documents["bookmark"].registration is None


def test_tincanjs_saves_with_put_as_1_0_2_and_keeps_state_per_registration(node_clients, live, lrs_credential, db):
    summary = run_node(node_clients, "tincanjs.js", *lrs_args(live, lrs_credential))
    assert summary["version"] == "1.0.2"
    assert {seen.version for seen in live.xapi_requests()} == {"1.0.2"}
    puts = [seen.query["statementId"] for seen in live.xapi_requests() if (seen.method, seen.path) == ("PUT", "/xapi/statements")]
    assert puts == [summary["sent"][0]] * 3  # saved, saved again, and the refused changed copy
    rows = stored(db, summary["sent"])
    assert set(rows) == set(summary["sent"])
    first = json.loads(rows[summary["sent"][0]].payload)
    assert first["verb"]["id"] == VERBS + "attempted"  # the PUT, not the refused changed copy
    assert first["context"]["registration"] == summary["registration"]
    documents = documents_of(db, summary["activityId"])
    assert set(documents) == {"suspend_data", "highscores"}  # the bookmark was dropped
    assert json.loads(documents["highscores"].content) == {"top": [["Ahmed", 9]]}
    assert documents["highscores"].registration is None
    assert documents["suspend_data"].registration == summary["registration"]
    assert json.loads(documents["suspend_data"].content) == {"progress": 80}


def test_adl_xapiwrapper_sends_1_0_1_statements_and_state(node_clients, live, lrs_credential, db):
    summary = run_node(node_clients, "adl-xapiwrapper.js", *lrs_args(live, lrs_credential))
    assert summary["version"] == "1.0.1"
    assert {seen.version for seen in live.xapi_requests()} == {"1.0.1"}
    rows = stored(db, summary["sent"])
    assert [json.loads(rows[i].payload)["verb"]["id"] for i in summary["sent"]] == [
        VERBS + "attempted", VERBS + "experienced", VERBS + "passed",
    ]
    documents = documents_of(db, summary["activityId"])
    assert documents["location"].content == b"page-5"
    # Stored with the type the client sent, misspelling and all (Communication 2.2: any content type).
    assert documents["location"].content_type == "application/octect-stream"
    assert json.loads(documents["progress"].content) == {"chapters": [1], "score": 0.9}


def _launched_quiz_au(app, launcher, client, db, platform):
    """A learner starts the example course's quiz AU (moveOn Passed, masteryScore 0.8): its unit
    and the launch URL's parameters, as the cmi5 launch tests obtain them."""
    from lti_tool.modules.models import ModuleUnit
    from tests.functional.test_cmi5_launch import _import, _open_course, _parameters, _start

    tenant = db.scalars(select(Platform).where(Platform.issuer == platform.issuer)).one()
    package = _import(app, db, tenant.id)
    course = _open_course(launcher, client, package.id)
    quiz = db.scalars(select(ModuleUnit).where(ModuleUnit.package_id == package.id).order_by(ModuleUnit.position)).all()[1]
    return quiz, _parameters(_start(client, course, quiz))


def test_xapijs_cmi5_runs_a_real_au_launch_to_satisfied_and_evidence(app, node_clients, live, launcher, client, db, platform):
    from lti_tool.portfolio.models import Evidence

    quiz, params = _launched_quiz_au(app, launcher, client, db, platform)

    summary = run_node(
        node_clients,
        "cmi5.js",
        "--endpoint", reachable(params["endpoint"], live),
        "--fetch", reachable(params["fetch"], live),
        "--actor", params["actor"],
        "--registration", params["registration"],
        "--activity-id", params["activityId"],
        "--scaled", "0.9",
        "--move-on", "Passed",
        "--mastery-score", "0.8",
    )

    assert {seen.version for seen in live.xapi_requests()} == {"1.0.3"}
    assert [seen.path for seen in live.requests if seen.path.startswith("/modules/cmi5/fetch/")] == [
        urlsplit(params["fetch"]).path
    ] * 2  # the library's fetch, and the script's second try that is refused
    db.expire_all()
    rows = db.scalars(
        select(Statement).where(Statement.registration == summary["registration"]).order_by(Statement.seq)
    ).all()
    verbs = [row.verb_id.rsplit("/", 1)[1] for row in rows]
    # Launched by the LMS; Initialized, Passed, Completed, Terminated by the AU; Satisfied by the LMS.
    # The Progressed the script tried after Terminated was refused.
    assert [v for v in verbs if v != "satisfied"] == [
        "launched", "initialized", "progressed", "answered", "passed", "completed", "terminated",
    ]
    passed = json.loads(next(row.payload for row in rows if row.verb_id == VERBS + "passed"))
    assert passed["result"]["score"]["scaled"] == 0.9 and passed["result"]["success"] is True
    assert passed["object"]["id"] == quiz.lms_activity_id
    satisfied = {json.loads(row.payload)["object"]["id"] for row in rows if row.verb_id == SATISFIED}
    assert quiz.lms_activity_id in satisfied
    evidence = db.scalars(select(Evidence).where(Evidence.activity_id == quiz.lms_activity_id)).all()
    assert len(evidence) == 1 and evidence[0].source == "xapi"
    assert evidence[0].outcome["status"] == "passed"
    assert urlsplit(params["fetch"]).path.startswith("/modules/cmi5/fetch/")
    assert uuid.UUID(summary["registration"])


def _tin_can_launch_url(live, launcher, client, db, platform, *, own_query: str = "") -> str:
    """Launch the example Tin Can module from a course link; the launch URL, pointed at the socket."""
    # The module launch tests' own steps: install the example Tin Can module, launch it from a link.
    from tests.functional.test_module_launch import _import, _launch

    tenant = db.scalars(select(Platform).where(Platform.issuer == platform.issuer)).one()
    package = _import(client.application, db, tenant.id)
    if own_query:
        package.units[0].url += "?" + own_query
        db.commit()
    response = _launch(launcher, client, package.id)
    assert response.status_code == 303
    launch_url = urlsplit(reachable(urljoin(TOOL_BASE_URL + "/", response.headers["Location"]), live))
    parameters = dict(parse_qsl(launch_url.query))
    parameters["endpoint"] = reachable(parameters["endpoint"], live)
    return launch_url._replace(query=urlencode(parameters)).geturl()


def test_tincanjs_runs_a_tin_can_module_launch_to_evidence(node_clients, live, launcher, client, db, platform):
    from lti_tool.portfolio.models import Evidence

    summary = run_node(node_clients, "tincanjs-launch.js", "--url", _tin_can_launch_url(live, launcher, client, db, platform))

    statement_writes = [seen for seen in live.xapi_requests() if seen.path == "/xapi/statements"]
    assert [(seen.method, seen.query.get("statementId"), seen.version) for seen in statement_writes] == [
        ("PUT", statement_id, "1.0.2") for statement_id in summary["sent"]
    ]
    rows = stored(db, summary["sent"])
    assert {row.registration for row in rows.values()} == {summary["registration"]}
    documents = documents_of(db, summary["activityId"])
    assert documents["resume"].content == b"slide-3" and documents["resume"].registration == summary["registration"]
    assert json.loads(documents["suspend_data"].content) == {"answers": [1, 0, 2]}
    evidence = db.scalars(select(Evidence).where(Evidence.source == "xapi")).one()
    assert (evidence.title, evidence.outcome["status"], evidence.outcome["score_scaled"]) == (
        "Veilig werken op hoogte", "passed", 0.67,
    )


def test_a_cmi5_au_may_read_its_learner_preferences(app, launcher, client, db, platform):
    # cmi5 11.0: the AU reads the cmi5LearnerPreferences document of the launch's actor from the
    # Agent Profile. None was written, so the answer is 404 (no such document), not 403 (not allowed).
    _, params = _launched_quiz_au(app, launcher, client, db, platform)
    token = client.post(urlsplit(params["fetch"]).path).get_json()["auth-token"]
    response = client.get(
        "/xapi/agents/profile",
        query_string={"agent": params["actor"], "profileId": "cmi5LearnerPreferences"},
        headers={"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 404, response.get_data(as_text=True)


def test_tincanjs_runs_a_module_whose_url_has_its_own_query_string(node_clients, live, launcher, client, db, platform):
    # TinCanJS sends the module's own lang=nl on every LRS request as an "extended" parameter; the
    # LRS ignores it for the launch's own credential (Communication 3.2.s3.b8), so the module works.
    url = _tin_can_launch_url(live, launcher, client, db, platform, own_query="lang=nl")
    summary = run_node(node_clients, "tincanjs-launch.js", "--url", url)

    assert all(seen.query.get("lang") == "nl" for seen in live.xapi_requests())
    assert set(stored(db, summary["sent"])) == set(summary["sent"])
