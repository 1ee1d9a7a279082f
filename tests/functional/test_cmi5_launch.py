"""The LMS side of cmi5 for a hosted course: course page, AU launch (Launched, LMS.LaunchData,
launch URL), the one-time fetch URL, sessions (Terminated, Abandoned), moveOn and Satisfied,
formal evidence and the course grade."""

from __future__ import annotations

import base64
import io
import json
import re
import uuid
import zipfile
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from lti_tool.lti.claims import CUSTOM
from lti_tool.lti.models import Platform
from lti_tool.modules.models import Cmi5Session, ModulePackage, ModuleUnit
from lti_tool.modules.services import content_store_for, importing_package
from lti_tool.outbox.models import OutboxMessage
from lti_tool.portfolio.models import Evidence
from tests.support.examples import EXAMPLES, example_package
from tests.support.platform import TestPlatform
from xapi.models import CredentialRecord, Statement

LINKED = "launch-learner-deep-linked-link"
PUBLISHER_COURSE = "https://leerpaspoort.example/cmi5/klantgesprekken"
READ_AU = PUBLISHER_COURSE + "/lezen"
QUIZ_AU = PUBLISHER_COURSE + "/toets"
EXT = "https://w3id.org/xapi/cmi5/context/extensions/"
VERBS = "http://adlnet.gov/expapi/verbs/"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
ABANDONED = "https://w3id.org/xapi/adl/verbs/abandoned"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"


STRUCTURE = (EXAMPLES / "cmi5-course" / "cmi5.xml").read_text(encoding="utf-8")


def _course_with(structure: str) -> bytes:
    """The example course with another course structure (cmi5.xml)."""
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(example_package("cmi5-course"))) as source, zipfile.ZipFile(rebuilt, "w") as target:
        for item in source.infolist():
            target.writestr(item, structure if item.filename == "cmi5.xml" else source.read(item))
    return rebuilt.getvalue()


def _import(app, db, platform_id: int, data: bytes | None = None) -> ModulePackage:
    store = content_store_for(app.extensions["leerpaspoort.settings"].instance_path)
    archive = io.BytesIO(data if data is not None else example_package("cmi5-course"))
    with importing_package(db, store, archive, platform_id=platform_id) as package:
        db.commit()
    return package


@pytest.fixture
def tenant(db, platform) -> Platform:
    return db.scalars(select(Platform).where(Platform.issuer == platform.issuer)).one()


@pytest.fixture
def package(app, db, tenant) -> ModulePackage:
    return _import(app, db, tenant.id)


def _course_link(package_id: int):
    def mutate(claims):
        claims[CUSTOM] = {"leerpaspoort_kind": "module", "leerpaspoort_module": str(package_id)}
        return claims

    return mutate


def _open_course(launcher, client, package_id: int) -> str:
    """A learner opens the course link; returns the course page's path."""
    landing = launcher.launch(LINKED, _course_link(package_id))
    assert landing.status_code == 302
    page = client.get(landing.headers["Location"]).get_data(as_text=True)
    next_path = page.split('data-next="', 1)[1].split('"', 1)[0]
    response = client.get(next_path)
    assert response.status_code == 303
    path = urlsplit(response.headers["Location"]).path
    assert re.fullmatch(r"/modules/cmi5/\d+", path)
    return path


def _csrf(client, course_path: str) -> str:
    page = client.get(course_path).get_data(as_text=True)
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def _start(client, course_path: str, unit: ModuleUnit):
    return client.post(f"{course_path}/units/{unit.id}/start", data={"csrf_token": _csrf(client, course_path)})


def _parameters(response) -> dict[str, str]:
    assert response.status_code == 303, response.get_data(as_text=True)
    url = urlsplit(response.headers["Location"])
    return {key: values[0] for key, values in parse_qs(url.query).items()} | {"path": url.path, "url": response.headers["Location"]}


def _fetch(client, params) -> dict:
    response = client.post(urlsplit(params["fetch"]).path)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.get_json()


def _auth(client, params) -> str:
    return "Basic " + _fetch(client, params)["auth-token"]


def _launch_data(client, params, auth) -> dict:
    response = client.get(
        "/xapi/activities/state",
        query_string={
            "activityId": params["activityId"], "agent": params["actor"], "registration": params["registration"],
            "stateId": "LMS.LaunchData",
        },
        headers={"Authorization": auth, "X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data())


def _send(client, params, auth, launch_data, verb: str, result=None, move_on=False, mastery=None):
    """An AU statement, built as cmi5 9.6 requires from the LMS's context template."""
    context = json.loads(json.dumps(launch_data["contextTemplate"]))
    context["registration"] = params["registration"]
    categories = [{"id": CMI5_CATEGORY}] + ([{"id": MOVEON_CATEGORY}] if move_on else [])
    context["contextActivities"]["category"] = categories
    if mastery is not None:
        context["extensions"][EXT + "masteryscore"] = mastery
    statement = {
        "actor": json.loads(params["actor"]),
        "verb": {"id": VERBS + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": params["activityId"]},
        "context": context,
        "timestamp": datetime.now(timezone.utc).isoformat(),
    }
    if result:
        statement["result"] = result
    return client.put(
        f"/xapi/statements?statementId={uuid.uuid4()}",
        data=json.dumps(statement),
        headers={"Authorization": auth, "X-Experience-API-Version": "1.0.3"},
        content_type="application/json",
    )


def _units(db, package) -> tuple[ModuleUnit, ModuleUnit]:
    units = db.scalars(select(ModuleUnit).where(ModuleUnit.package_id == package.id).order_by(ModuleUnit.position)).all()
    return units[0], units[1]


def _statements(db, verb_id: str) -> list[dict]:
    db.expire_all()
    rows = db.scalars(select(Statement).where(Statement.verb_id == verb_id).order_by(Statement.seq)).all()
    return [json.loads(row.payload) for row in rows]


class _AU:
    """One launched AU session, as an AU runs it: fetch once, read LaunchData, report."""

    def __init__(self, client, course_path, unit):
        self.client = client
        self.params = _parameters(_start(client, course_path, unit))
        self.auth = _auth(client, self.params)
        self.launch_data = _launch_data(client, self.params, self.auth)

    def send(self, verb, result=None, move_on=False):
        """Send a statement; what cmi5 requires of it and the test leaves out is filled in
        (result.duration, cmi5 9.5.4.1; the masteryscore extension, cmi5 9.6.3.2)."""
        result = dict(result or {})
        if verb in ("terminated", "completed", "passed", "failed"):
            result.setdefault("duration", "PT1M")
        mastery = self.launch_data.get("masteryScore") if verb in ("passed", "failed") else None
        return _send(self.client, self.params, self.auth, self.launch_data, verb, result, move_on, mastery)

    def started(self):
        """The AU's first statement, Initialized (cmi5 9.3.2); returns the session for chaining."""
        assert self.send("initialized").status_code == 204
        return self


# --- ids --------------------------------------------------------------------------------------


def test_import_generates_lms_ids_that_differ_from_the_publishers(db, package):
    read, quiz = _units(db, package)
    assert read.activity_id == READ_AU and read.lms_activity_id == f"urn:leerpaspoort:cmi5:{package.content_key}:au:0"
    assert quiz.lms_activity_id == f"urn:leerpaspoort:cmi5:{package.content_key}:au:1"
    assert package.lms_course_id == f"urn:leerpaspoort:cmi5:{package.content_key}:course"
    assert package.lms_course_id != package.course_activity_id


def test_tin_can_units_keep_the_publishers_id(app, db, tenant):
    package = _import(app, db, tenant.id, example_package("tincan-module"))
    assert package.units[0].lms_activity_id == package.units[0].activity_id
    assert package.lms_course_id == ""


# --- course page and launch ------------------------------------------------------------------


def test_the_course_link_opens_the_course_page_with_each_au(launcher, client, package):
    course = _open_course(launcher, client, package.id)
    page = client.get(course)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.index("Lezen: actief luisteren") < text.index("Toets: klantgesprekken")
    assert text.count("Not attempted") == 2
    assert page.headers["Cache-Control"] == "no-store"


def test_starting_needs_the_csrf_token(launcher, client, db, package):
    course = _open_course(launcher, client, package.id)
    read, _ = _units(db, package)
    assert client.post(f"{course}/units/{read.id}/start").status_code == 400
    assert db.scalars(select(Cmi5Session)).all() == []
    assert _statements(db, VERBS + "launched") == []


def test_a_unit_of_another_course_cannot_be_started_from_this_link(app, launcher, client, db, tenant, package):
    course = _open_course(launcher, client, package.id)
    other = _import(app, db, tenant.id, _course_with(STRUCTURE.replace("klantgesprekken", "andere-cursus")))
    foreign_unit = other.units[0]
    response = client.post(f"{course}/units/{foreign_unit.id}/start", data={"csrf_token": _csrf(client, course)})
    assert response.status_code == 404
    assert db.scalars(select(Cmi5Session)).all() == []


def test_the_launch_url_carries_the_cmi5_parameters(launcher, client, db, platform, package):
    course = _open_course(launcher, client, package.id)
    read, quiz = _units(db, package)
    params = _parameters(_start(client, course, quiz))
    assert params["path"] == f"/modules/content/{package.content_key}/au-quiz/index.html"
    assert params["endpoint"] == "http://localhost/xapi/"
    assert params["activityId"] == quiz.lms_activity_id != quiz.activity_id
    assert json.loads(params["actor"])["account"] == {"homePage": platform.issuer, "name": "4"}
    assert re.fullmatch(r"http://localhost/modules/cmi5/fetch/[A-Za-z0-9_-]{40,}", params["fetch"])
    uuid.UUID(params["registration"])
    assert "auth" not in params  # cmi5 hands out credentials only through the fetch URL


def test_an_au_url_with_its_own_query_string_gets_the_parameters_after_an_ampersand(launcher, client, db, package):
    read, _ = _units(db, package)
    read.url = "au-read/index.html?lang=nl"
    db.commit()
    course = _open_course(launcher, client, package.id)
    url = _parameters(_start(client, course, read))["url"]
    assert "/au-read/index.html?lang=nl&endpoint=" in url


def test_the_launched_statement_and_launch_data(launcher, client, db, package):
    course = _open_course(launcher, client, package.id)
    _, quiz = _units(db, package)
    params = _parameters(_start(client, course, quiz))
    (launched,) = _statements(db, VERBS + "launched")
    session_id = launched["context"]["extensions"][EXT + "sessionid"]
    assert launched["object"]["id"] == quiz.lms_activity_id
    assert launched["authority"]["account"] == {"homePage": "http://localhost", "name": "leerpaspoort"}
    assert launched["context"]["registration"] == params["registration"]
    assert launched["context"]["contextActivities"]["category"] == [{"id": CMI5_CATEGORY}]
    assert launched["context"]["contextActivities"]["grouping"] == [{"id": QUIZ_AU}]
    extensions = launched["context"]["extensions"]
    assert extensions[EXT + "launchmode"] == "Normal"
    assert extensions[EXT + "launchurl"] == f"http://localhost/modules/content/{package.content_key}/au-quiz/index.html"
    assert extensions[EXT + "moveon"] == "Passed"
    assert extensions[EXT + "launchparameters"] == '{"questions":5}'
    assert extensions[EXT + "masteryscore"] == 0.8

    data = _launch_data(client, params, _auth(client, params))
    assert data["contextTemplate"]["extensions"] == {EXT + "sessionid": session_id}
    assert data["contextTemplate"]["contextActivities"]["grouping"] == [{"id": QUIZ_AU}]
    assert data["launchMode"] == "Normal"
    assert data["launchParameters"] == '{"questions":5}'
    assert data["masteryScore"] == 0.8
    assert data["moveOn"] == "Passed"
    assert data["returnURL"] == f"http://localhost{course}/return"
    assert "entitlementKey" not in data


def test_the_return_url_leads_back_to_the_course_page_without_showing_anything(launcher, client, package):
    course = _open_course(launcher, client, package.id)
    anonymous = client.application.test_client()
    page = anonymous.get(f"{course}/return")
    assert page.status_code == 200
    assert f'content="0;url={course}"' in page.get_data(as_text=True)
    assert "Lezen" not in page.get_data(as_text=True)


def test_an_entitlement_key_is_passed_in_launch_data(launcher, client, db, package):
    read, _ = _units(db, package)
    read.entitlement_key = "licence-42"
    db.commit()
    course = _open_course(launcher, client, package.id)
    assert _AU(client, course, read).launch_data["entitlementKey"] == {"courseStructure": "licence-42"}


def test_the_reading_au_has_no_mastery_score_or_parameters(launcher, client, db, package):
    course = _open_course(launcher, client, package.id)
    read, _ = _units(db, package)
    au = _AU(client, course, read)
    assert "masteryScore" not in au.launch_data and "launchParameters" not in au.launch_data
    assert au.launch_data["moveOn"] == "Completed"
    (launched,) = _statements(db, VERBS + "launched")
    assert EXT + "masteryscore" not in launched["context"]["extensions"]


# --- fetch ------------------------------------------------------------------------------------


def test_fetch_answers_once_then_with_error_code_1(launcher, client, db, package):
    course = _open_course(launcher, client, package.id)
    read, _ = _units(db, package)
    params = _parameters(_start(client, course, read))
    first = _fetch(client, params)
    key, secret = base64.b64decode(first["auth-token"]).decode().split(":", 1)
    assert db.scalars(select(CredentialRecord).where(CredentialRecord.key == key)).one().registration == params["registration"]
    second = _fetch(client, params)
    assert second["error-code"] == "1" and second["error-text"]
    assert "auth-token" not in second
    token = urlsplit(params["fetch"]).path.rsplit("/", 1)[1]
    assert db.scalars(select(Cmi5Session)).one().fetch_token_hash != token  # stored hashed


def test_an_unknown_fetch_token_gets_error_code_2(client):
    response = client.post("/modules/cmi5/fetch/not-a-real-token")
    assert response.status_code == 200
    assert response.get_json()["error-code"] == "2"


def test_fetch_is_post_only(launcher, client, db, package):
    course = _open_course(launcher, client, package.id)
    read, _ = _units(db, package)
    params = _parameters(_start(client, course, read))
    assert client.get(urlsplit(params["fetch"]).path).status_code == 405
    assert "auth-token" in _fetch(client, params)  # the GET did not use it up


def test_fetch_answers_cross_origin(client):
    response = client.post("/modules/cmi5/fetch/whatever", headers={"Origin": "null"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# --- statements, sessions -------------------------------------------------------------------


def test_the_fetched_token_writes_au_statements_but_cannot_void(launcher, client, db, package):
    course = _open_course(launcher, client, package.id)
    read, _ = _units(db, package)
    au = _AU(client, course, read)
    assert au.send("initialized").status_code == 204
    (initialized,) = _statements(db, VERBS + "initialized")
    void = {
        "actor": json.loads(au.params["actor"]),
        "verb": {"id": VERBS + "voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": initialized["id"]},
    }
    response = client.post(
        "/xapi/statements", data=json.dumps(void), content_type="application/json",
        headers={"Authorization": au.auth, "X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code in (401, 403)


def test_after_terminated_the_session_takes_no_more_statements(launcher, client, db, package):
    course = _open_course(launcher, client, package.id)
    read, _ = _units(db, package)
    au = _AU(client, course, read)
    assert au.send("initialized").status_code == 204
    assert au.send("terminated", {"duration": "PT1M"}).status_code == 204
    db.expire_all()
    assert db.scalars(select(Cmi5Session)).one().terminated_at is not None
    assert au.send("completed", {"completion": True}, move_on=True).status_code == 401
    assert _statements(db, VERBS + "completed") == []


def test_a_new_launch_abandons_a_session_that_never_terminated(launcher, client, db, package):
    course = _open_course(launcher, client, package.id)
    read, _ = _units(db, package)
    first = _AU(client, course, read)
    assert first.send("initialized").status_code == 204
    second = _AU(client, course, read)
    (abandoned,) = _statements(db, ABANDONED)
    assert abandoned["context"]["extensions"][EXT + "sessionid"] == first.launch_data["contextTemplate"]["extensions"][EXT + "sessionid"]
    assert abandoned["object"]["id"] == read.lms_activity_id
    assert abandoned["result"]["duration"].startswith("PT")
    assert first.send("completed", {"completion": True}, move_on=True).status_code == 401
    assert second.send("initialized").status_code == 204
    # A terminated session is not abandoned by the next launch.
    assert second.send("terminated").status_code == 204  # with the result.duration cmi5 9.5.4.1 asks for
    _AU(client, course, read)
    assert len(_statements(db, ABANDONED)) == 1


# --- moveOn, Satisfied, evidence, grade ---------------------------------------------------------


def _satisfied_objects(db) -> list[str]:
    return [s["object"]["id"] for s in _statements(db, SATISFIED)]


def test_satisfied_for_each_au_and_the_course_exactly_once(launcher, client, db, package):
    course = _open_course(launcher, client, package.id)
    read, quiz = _units(db, package)
    reading = _AU(client, course, read).started()
    assert reading.send("completed", {"completion": True, "duration": "PT2M"}, move_on=True).status_code == 204
    assert _satisfied_objects(db) == [read.lms_activity_id]
    assert reading.send("terminated").status_code == 204

    failing = _AU(client, course, quiz).started()
    assert failing.send("failed", {"success": False, "score": {"scaled": 0.4}}, move_on=True).status_code == 204
    assert _satisfied_objects(db) == [read.lms_activity_id]  # a failed test does not move on
    assert failing.send("terminated").status_code == 204
    quiz_session = _AU(client, course, quiz).started()
    assert quiz_session.send("passed", {"success": True, "score": {"scaled": 0.8}}, move_on=True).status_code == 204
    assert _satisfied_objects(db) == [read.lms_activity_id, quiz.lms_activity_id, package.lms_course_id]
    assert quiz_session.send("terminated").status_code == 204
    # Satisfied again after another session? No: once per registration.
    again = _AU(client, course, read).started()
    assert again.send("terminated").status_code == 204
    assert len(_satisfied_objects(db)) == 3

    course_statement = _statements(db, SATISFIED)[-1]
    assert course_statement["object"]["definition"]["type"] == "https://w3id.org/xapi/cmi5/activitytype/course"
    assert course_statement["context"]["contextActivities"]["grouping"] == [{"id": PUBLISHER_COURSE}]
    assert course_statement["context"]["registration"] == reading.params["registration"]
    assert course_statement["context"]["extensions"][EXT + "sessionid"] == quiz_session.launch_data["contextTemplate"]["extensions"][EXT + "sessionid"]
    assert course_statement["authority"]["account"]["name"] == "leerpaspoort"


def test_the_course_page_shows_the_status_of_each_au(launcher, client, db, package):
    course = _open_course(launcher, client, package.id)
    read, quiz = _units(db, package)
    reading = _AU(client, course, read).started()
    assert reading.send("completed", {"completion": True}, move_on=True).status_code == 204
    quiz_session = _AU(client, course, quiz).started()
    assert quiz_session.send("failed", {"success": False, "score": {"scaled": 0.2}}, move_on=True).status_code == 204
    page = client.get(course).get_data(as_text=True)
    statuses = re.findall(r'data-testid="cmi5-unit-status">([^<]+)<', page)
    assert statuses == ["Completed", "Failed"]
    assert page.count('data-testid="cmi5-unit-satisfied"') == 1
    assert "Continue" in page


def test_the_course_outcome_becomes_evidence_and_one_course_grade(launcher, client, db, package):
    course = _open_course(launcher, client, package.id)
    read, quiz = _units(db, package)
    assert _AU(client, course, read).started().send("completed", {"completion": True}, move_on=True).status_code == 204
    assert _AU(client, course, quiz).started().send("passed", {"success": True, "score": {"scaled": 0.9}}, move_on=True).status_code == 204
    db.expire_all()
    evidence = {e.activity_id: e for e in db.scalars(select(Evidence).where(Evidence.source == "xapi"))}
    assert set(evidence) == {read.lms_activity_id, quiz.lms_activity_id, package.lms_course_id}
    whole = evidence[package.lms_course_id]
    assert (whole.title, whole.outcome["status"]) == ("Goede klantgesprekken", "passed")
    assert evidence[quiz.lms_activity_id].title == "Toets: klantgesprekken"
    scores = db.scalars(select(OutboxMessage)).all()
    # The AUs' own outcomes are not graded: the link's column holds the course.
    assert [m.payload["scoreGiven"] for m in scores] == [100.0]


def test_block_satisfied_when_all_its_aus_are(app, launcher, client, db, tenant):
    first_au = STRUCTURE.index("  <au ")
    last_close = STRUCTURE.index("</courseStructure>")
    blocked = (
        STRUCTURE[:first_au]
        + '  <block id="https://leerpaspoort.example/cmi5/klantgesprekken/blok">\n'
        + '    <title><langstring lang="nl-NL">Blok</langstring></title>\n'
        + STRUCTURE[first_au:last_close]
        + "  </block>\n</courseStructure>\n"
    )
    package = _import(app, db, tenant.id, _course_with(blocked))
    assert len(package.blocks) == 1
    course = _open_course(launcher, client, package.id)
    read, quiz = _units(db, package)
    assert _AU(client, course, read).started().send("completed", {"completion": True}, move_on=True).status_code == 204
    assert _AU(client, course, quiz).started().send("passed", {"success": True, "score": {"scaled": 1.0}}, move_on=True).status_code == 204
    block_id = package.blocks[0].lms_block_id
    assert _satisfied_objects(db) == [read.lms_activity_id, quiz.lms_activity_id, block_id, package.lms_course_id]
    block_statement = _statements(db, SATISFIED)[2]
    assert block_statement["object"]["definition"]["type"] == "https://w3id.org/xapi/cmi5/activitytype/block"


def test_statements_for_another_actor_in_the_registration_do_not_move_on(launcher, client, db, package):
    course = _open_course(launcher, client, package.id)
    read, _ = _units(db, package)
    au = _AU(client, course, read)
    au.params["actor"] = json.dumps({"mbox": "mailto:someone.else@example.org"})
    assert au.send("completed", {"completion": True}, move_on=True).status_code == 403
    assert _satisfied_objects(db) == []


# --- tenants --------------------------------------------------------------------------------


def test_a_cmi5_course_of_another_platform_is_not_found(app, launcher, client, db):
    with TestPlatform(issuer="https://other-moodle.example") as other:
        other.register_in(db)
    foreign = db.scalars(select(Platform).where(Platform.issuer == "https://other-moodle.example")).one()
    foreign_package = _import(app, db, foreign.id)
    landing = launcher.launch(LINKED, _course_link(foreign_package.id))
    page = client.get(landing.headers["Location"]).get_data(as_text=True)
    next_path = page.split('data-next="', 1)[1].split('"', 1)[0]
    assert client.get(next_path).status_code == 404


def test_someone_elses_course_link_is_not_found(launcher, client, package):
    _open_course(launcher, client, package.id)
    assert client.get("/modules/cmi5/999999").status_code == 404
    assert client.post("/modules/cmi5/999999/units/1/start").status_code in (400, 404)


def test_the_deep_linking_picker_offers_the_cmi5_course_once(db, tenant, package):
    from lti_tool.lti.deep_linking import DeepLinkRequest, offers_for

    request = DeepLinkRequest(
        launch_id="x", platform=tenant, user_id=0, deployment_id="1", return_url="https://lms.example/return",
        accept_types=["ltiResourceLink"], accept_multiple=True, presentations=["iframe"], has_data=False,
        data=None, context_id=None,
    )
    offers = [o for o in offers_for(db, request) if o.kind == "module"]
    assert [(o.title, o.custom) for o in offers] == [("Goede klantgesprekken", {"leerpaspoort_module": str(package.id)})]


def test_a_not_applicable_au_is_satisfied_as_soon_as_it_is_launched(launcher, client, db, package):
    read, quiz = _units(db, package)
    read.move_on = "NotApplicable"
    db.commit()
    course = _open_course(launcher, client, package.id)
    _parameters(_start(client, course, quiz))
    # Launching any AU evaluates the registration: the NotApplicable AU counts as satisfied.
    assert _satisfied_objects(db) == [read.lms_activity_id]


def test_an_own_window_au_opens_in_a_new_window_and_any_window_inside_the_page(launcher, client, db, package):
    read, quiz = _units(db, package)
    quiz.launch_method = "OwnWindow"
    db.commit()
    course = _open_course(launcher, client, package.id)
    page = client.get(course).get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="([^"]+)"\s*([^>]*)>', page)
    targets = {action.split("/units/")[1].split("/")[0]: rest.strip() for action, rest in forms if "/units/" in action}
    assert targets == {str(read.id): "", str(quiz.id): 'target="_blank"'}
