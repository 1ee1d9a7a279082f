"""The cmi5 statement rules the LMS enforces on an AU's statements (cmi5 6.3, 7.1.3, 9.3-9.6, 10).

A broken rule is a 403 (what the ADL cmi5 LMS test suite expects of a rejection) whose JSON body
names the cmi5 section and the rule, and nothing of the request is stored. Each rule is shown
broken and kept, through the real launch, fetch URL and LRS.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import event, func, select

from lti_tool.modules.cmi5_launch import start_au
from lti_tool.modules.cmi5_rules import SessionFacts, first_violation
from lti_tool.modules.models import Cmi5Session, ModuleUnit
from lti_tool.people.models import ResourceLink, User
from tests.functional.test_cmi5_launch import (  # noqa: F401  (tenant, package: fixtures)
    CMI5_CATEGORY,
    EXT,
    MOVEON_CATEGORY,
    VERBS,
    _auth,
    _launch_data,
    _open_course,
    _units,
    package,
    tenant,
)
from xapi import guards
from xapi.auth import credential_pepper
from xapi.credentials import create_credential
from xapi.models import Statement

SESSION_ID = EXT + "sessionid"
MASTERY = EXT + "masteryscore"
WAIVED = "https://w3id.org/xapi/adl/verbs/waived"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
ABANDONED = "https://w3id.org/xapi/adl/verbs/abandoned"
EXPERIENCED = VERBS + "experienced"


class Session:
    """One AU session, opened from the course page, with statements built as the spec asks."""

    def __init__(self, client, params: dict, db):
        self.client, self.params, self.db = client, params, db
        self.auth = _auth(client, params)
        self.launch_data = _launch_data(client, params, self.auth)

    @property
    def session_id(self) -> str:
        return self.launch_data["contextTemplate"]["extensions"][SESSION_ID]

    def statement(self, verb: str, **result) -> dict:
        """A conformant statement: cmi5 defined for cmi5 verbs, cmi5 allowed for any other."""
        verb_id = verb if verb.startswith("http") else VERBS + verb
        context = json.loads(json.dumps(self.launch_data["contextTemplate"]))
        context["registration"] = self.params["registration"]
        statement = {
            "id": str(uuid.uuid4()),
            "actor": json.loads(self.params["actor"]),
            "verb": {"id": verb_id, "display": {"en-US": verb_id.rsplit("/", 1)[-1]}},
            "object": {"objectType": "Activity", "id": self.params["activityId"]},
            "context": context,
            "timestamp": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        }
        if verb_id == EXPERIENCED:
            statement["object"]["id"] = self.params["activityId"] + "/page/1"
            return statement
        categories = [{"id": CMI5_CATEGORY}]
        defaults = {
            "terminated": {"duration": "PT1M"},
            "completed": {"completion": True, "duration": "PT1M"},
            "passed": {"success": True, "duration": "PT1M", "score": {"scaled": 0.9}},
            "failed": {"success": False, "duration": "PT1M", "score": {"scaled": 0.5}},
        }.get(verb, {})
        if verb in ("completed", "passed", "failed"):
            categories.append({"id": MOVEON_CATEGORY})
        if verb in ("passed", "failed") and "masteryScore" in self.launch_data:
            context["extensions"][MASTERY] = self.launch_data["masteryScore"]
        context["contextActivities"]["category"] = categories
        merged = {**defaults, **result}
        if merged:
            statement["result"] = merged
        return statement

    def put(self, statement: dict):
        return self.client.put(
            f"/xapi/statements?statementId={statement['id']}",
            data=json.dumps(statement),
            headers={"Authorization": self.auth, "X-Experience-API-Version": "1.0.3"},
            content_type="application/json",
        )

    def post(self, statements: list[dict]):
        return self.client.post(
            "/xapi/statements",
            data=json.dumps(statements),
            headers={"Authorization": self.auth, "X-Experience-API-Version": "1.0.3"},
            content_type="application/json",
        )

    def send(self, verb: str, **result):
        return self.put(self.statement(verb, **result))

    def started(self) -> Session:
        assert self.send("initialized").status_code == 204
        return self


@pytest.fixture
def course(launcher, client, package):  # noqa: F811
    return _open_course(launcher, client, package.id)


@pytest.fixture
def units(db, package):  # noqa: F811
    return _units(db, package)


def _launch(client, db, course_path: str, unit: ModuleUnit, launch_mode: str = "Normal") -> Session:
    """Start the unit as the learner does; Browse and Review are started through the service."""
    if launch_mode == "Normal":
        page = client.get(course_path).get_data(as_text=True)
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = client.post(f"{course_path}/units/{unit.id}/start", data={"csrf_token": token})
        assert response.status_code == 303
        location = response.headers["Location"]
    else:
        link = db.get(ResourceLink, int(course_path.rsplit("/", 1)[1]))
        launch = start_au(db, base_url="http://localhost", user=_learner(db), link=link, unit_id=unit.id, launch_mode=launch_mode)
        db.commit()
        location = launch.url
    url = urlsplit(location)
    params = {key: values[0] for key, values in parse_qs(url.query).items()}
    return Session(client, params, db)


def _learner(db) -> User:
    """The learner who started the course (the one user with a cmi5 session)."""
    return db.get(User, db.scalars(select(Cmi5Session)).first().user_id)


def _stored(db, statement_id: str) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Statement).where(Statement.statement_id == statement_id.lower()))


def _refused(response, section: str, db=None, statement: dict | None = None) -> dict:
    assert response.status_code == 403, response.get_data(as_text=True)
    assert response.headers["X-Experience-API-Version"]
    error = response.get_json()["error"]
    assert error["cmi5"] == section, error
    assert error["rule"] and error["property"].startswith("statements[")
    assert f"cmi5 {section}" in error["message"]
    if statement is not None:
        assert _stored(db, statement["id"]) == 0
    return error


# --- who is judged ---------------------------------------------------------------------------


def test_another_credential_about_the_same_registration_sends_plain_xapi(app, client, db, course, units):
    """Rules bind an AU within its session (cmi5 7.1, 9.3); a credential that no session handed
    out, even one limited to the same learner and registration, is an ordinary xAPI client."""
    read, _ = units
    au = _launch(client, db, course, read)
    credential = create_credential(
        db,
        tenant_id=db.get(ResourceLink, int(course.rsplit("/", 1)[1])).platform_id,
        name="reporting import",
        scopes=["statements/write", "statements/read/mine"],
        actor=json.loads(au.params["actor"]),
        registration=au.params["registration"],
        pepper=credential_pepper(app),
    )
    db.commit()
    statement = au.statement("completed")
    del statement["result"]  # breaks 9.5.3 and 9.5.4.1, and comes before any Initialized
    au.auth = "Basic " + base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()
    assert au.put(statement).status_code == 204
    assert _stored(db, statement["id"]) == 1


def test_the_au_credential_is_judged_and_a_refusal_stores_nothing(client, db, course, units):
    read, _ = units
    au = _launch(client, db, course, read)
    statement = au.statement("completed")
    _refused(au.put(statement), "9.3.2", db, statement)


# --- order in the session (cmi5 9.3, 9.3.2, 7.1.3) ---------------------------------------------


def test_no_statement_before_initialized(client, db, course, units):
    read, _ = units
    au = _launch(client, db, course, read)
    allowed = au.statement(EXPERIENCED)
    _refused(au.put(allowed), "7.1.3", db, allowed)
    au.started()
    assert au.put(au.statement(EXPERIENCED)).status_code == 204


def test_initialized_only_once_per_session_but_a_resend_is_a_repeat(client, db, course, units):
    read, _ = units
    au = _launch(client, db, course, read)
    first = au.statement("initialized")
    assert au.put(first).status_code == 204
    assert au.put(first).status_code == 204  # the same statement again: a repeat, not a second one
    second = au.statement("initialized")
    _refused(au.put(second), "9.3.2", db, second)


def test_nothing_after_terminated_even_in_the_same_batch(client, db, course, units):
    read, _ = units
    au = _launch(client, db, course, read).started()
    terminated, late = au.statement("terminated"), au.statement(EXPERIENCED)
    error = _refused(au.post([terminated, late]), "9.3.8", db, late)
    assert error["property"] == "statements[1]"
    assert _stored(db, terminated["id"]) == 0  # all or nothing
    assert au.post([au.statement(EXPERIENCED), terminated]).status_code == 200
    assert au.send(EXPERIENCED).status_code in (401, 403)  # the session is over


def test_after_abandoned_the_session_takes_nothing(client, db, course, units):
    read, _ = units
    first = _launch(client, db, course, read).started()
    _launch(client, db, course, read)  # a new launch abandons the first session
    assert first.send(EXPERIENCED).status_code in (401, 403)
    facts = SessionFacts(session_id=first.session_id, au_id=read.lms_activity_id, lms_id_prefix="urn:x:", ended_by="Abandoned", initialized=True)
    assert first_violation(facts, [first.statement(EXPERIENCED)]).section == "9.3.6"


def test_one_of_passed_and_failed_per_session(client, db, course, units):
    _, quiz = units
    au = _launch(client, db, course, quiz).started()
    assert au.send("failed").status_code == 204
    passed = au.statement("passed")
    _refused(au.put(passed), "9.3", db, passed)
    failed_again = au.statement("failed")
    _refused(au.put(failed_again), "9.3", db, failed_again)


# --- order in the registration (cmi5 9.3, 9.3.3, 9.3.4) ------------------------------------------


def test_completed_once_per_registration(client, db, course, units):
    read, _ = units
    au = _launch(client, db, course, read).started()
    assert au.send("completed").status_code == 204
    assert au.send("terminated").status_code == 204
    later = _launch(client, db, course, read).started()
    again = later.statement("completed")
    _refused(later.put(again), "9.3.3", db, again)


def test_two_requests_at_once_take_turns_so_the_second_sees_the_first(app, client, db, course, units):
    """An AU sending Completed twice in parallel: without turns both would read "not yet" and be stored."""
    read, _ = units
    au = _launch(client, db, course, read).started()
    first, second = au.statement("completed"), au.statement("completed")
    first_judged, release = threading.Event(), threading.Event()

    def hold_the_first(_session, _credential, statements):
        # Runs after the cmi5 guard: the first request has passed the rules and not yet written.
        if statements[0]["id"] == first["id"]:
            first_judged.set()
            release.wait(20)

    answers = {}

    def send(statement):
        own = copy.copy(au)
        own.client = app.test_client()  # one client per thread, as two connections of the AU would be
        answers[statement["id"]] = own.put(statement)

    guards.before_storing_statements(hold_the_first)
    try:
        threads = [threading.Thread(target=send, args=(first,))]
        threads[0].start()
        assert first_judged.wait(20)
        threads.append(threading.Thread(target=send, args=(second,)))
        threads[1].start()
        time.sleep(1)  # let the second request reach the rules while the first one is held
        release.set()
        for thread in threads:
            thread.join(30)
    finally:
        release.set()
        guards.remove_guard(hold_the_first)
    assert answers[first["id"]].status_code == 204
    assert answers[second["id"]].status_code == 403, answers[second["id"]].get_data(as_text=True)
    assert (_stored(db, first["id"]), _stored(db, second["id"])) == (1, 0)


def test_passed_once_per_registration_and_no_failed_after_it(client, db, course, units):
    _, quiz = units
    au = _launch(client, db, course, quiz).started()
    assert au.send("passed").status_code == 204
    assert au.send("terminated").status_code == 204
    later = _launch(client, db, course, quiz).started()
    again = later.statement("passed")
    _refused(later.put(again), "9.3.4", db, again)
    failed = later.statement("failed")
    _refused(later.put(failed), "9.3", db, failed)


def test_failed_may_be_repeated_in_later_sessions_and_then_passed(client, db, course, units):
    _, quiz = units
    for _attempt in range(2):
        au = _launch(client, db, course, quiz).started()
        assert au.send("failed").status_code == 204
        assert au.send("terminated").status_code == 204
    au = _launch(client, db, course, quiz).started()
    assert au.send("passed").status_code == 204


# --- masteryScore (cmi5 9.3.4, 9.3.5, 9.6.3.2) ---------------------------------------------------


def test_passed_below_the_mastery_score_is_refused(client, db, course, units):
    _, quiz = units
    au = _launch(client, db, course, quiz).started()
    assert au.launch_data["masteryScore"] == 0.8
    below = au.statement("passed", score={"scaled": 0.79})
    _refused(au.put(below), "9.3.4", db, below)
    assert au.send("passed", score={"scaled": 0.8}).status_code == 204


def test_failed_at_or_above_the_mastery_score_is_refused(client, db, course, units):
    _, quiz = units
    au = _launch(client, db, course, quiz).started()
    for scaled in (0.8, 0.95):
        failed = au.statement("failed", score={"scaled": scaled})
        _refused(au.put(failed), "9.3.5", db, failed)
    assert au.send("failed", score={"scaled": 0.79}).status_code == 204


def test_passed_and_failed_carry_the_launch_data_mastery_score(client, db, course, units):
    _, quiz = units
    au = _launch(client, db, course, quiz).started()
    missing = au.statement("passed")
    del missing["context"]["extensions"][MASTERY]
    _refused(au.put(missing), "9.6.3.2", db, missing)
    other = au.statement("passed")
    other["context"]["extensions"][MASTERY] = 0.5
    _refused(au.put(other), "9.6.3.2", db, other)


def test_without_a_mastery_score_any_judgement_stands(client, db, course, units):
    read, _ = units  # the reading AU has no masteryScore
    au = _launch(client, db, course, read).started()
    assert "masteryScore" not in au.launch_data
    assert au.send("passed", score={"scaled": 0.1}).status_code == 204


# --- launchMode (cmi5 10) ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["Browse", "Review"])
def test_browse_and_review_sessions_send_only_initialized_and_terminated(client, db, course, units, mode):
    _, quiz = units
    _launch(client, db, course, quiz)  # the learner's registration exists
    au = _launch(client, db, course, quiz, launch_mode=mode)
    assert au.launch_data["launchMode"] == mode
    au.started()
    for verb in ("completed", "passed", "failed"):
        statement = au.statement(verb)
        error = _refused(au.put(statement), "10", db, statement)
        assert mode in error["message"]
    assert au.put(au.statement(EXPERIENCED)).status_code == 204
    assert au.send("terminated").status_code == 204


def test_an_unknown_launch_mode_is_a_programming_error(client, db, course, units):
    read, _ = units
    _launch(client, db, course, read)
    link = db.get(ResourceLink, int(course.rsplit("/", 1)[1]))
    with pytest.raises(ValueError):
        start_au(db, base_url="http://localhost", user=_learner(db), link=link, unit_id=read.id, launch_mode="Preview")


# --- context (cmi5 9.4, 9.6) --------------------------------------------------------------------


def test_a_cmi5_verb_about_the_au_needs_the_cmi5_category(client, db, course, units):
    read, _ = units
    au = _launch(client, db, course, read).started()
    statement = au.statement("completed")
    statement["context"]["contextActivities"]["category"] = [{"id": MOVEON_CATEGORY}]
    _refused(au.put(statement), "9.6.2.1", db, statement)


def test_a_cmi5_verb_about_another_activity_without_the_category_is_cmi5_allowed(client, db, course, units):
    """cmi5 7.1.3, as the spec's scenario 19 shows: "passed" for a quiz inside the AU."""
    _, quiz = units
    au = _launch(client, db, course, quiz).started()
    statement = au.statement(EXPERIENCED)
    statement["verb"]["id"] = VERBS + "passed"
    statement["result"] = {"success": True, "completion": True, "score": {"scaled": 0.1}}
    assert au.put(statement).status_code == 204


def test_every_au_statement_carries_this_sessions_id(client, db, course, units):
    read, _ = units
    au = _launch(client, db, course, read).started()
    missing = au.statement(EXPERIENCED)
    del missing["context"]["extensions"][SESSION_ID]
    _refused(au.put(missing), "9.6.3.1", db, missing)
    other = au.statement("completed")
    other["context"]["extensions"][SESSION_ID] = str(uuid.uuid4())
    _refused(au.put(other), "9.6.3.1", db, other)


@pytest.mark.parametrize("verb", ["completed", "passed", "failed"])
def test_completed_passed_and_failed_carry_the_moveon_category(client, db, course, units, verb):
    _, quiz = units
    au = _launch(client, db, course, quiz).started()
    statement = au.statement(verb)
    statement["context"]["contextActivities"]["category"] = [{"id": CMI5_CATEGORY}]
    _refused(au.put(statement), "9.6.2.2", db, statement)
    assert au.send(verb).status_code == 204


def test_other_statements_do_not_carry_the_moveon_category(client, db, course, units):
    read, _ = units
    au = _launch(client, db, course, read)
    initialized = au.statement("initialized")
    initialized["context"]["contextActivities"]["category"].append({"id": MOVEON_CATEGORY})
    _refused(au.put(initialized), "9.6.2.2", db, initialized)
    au.started()
    allowed = au.statement(EXPERIENCED)
    allowed["context"]["contextActivities"]["category"] = [{"id": MOVEON_CATEGORY}]
    _refused(au.put(allowed), "9.6.2.2", db, allowed)


def test_the_object_of_a_defined_statement_is_the_au(client, db, course, units):
    read, _ = units
    au = _launch(client, db, course, read).started()
    statement = au.statement("completed")
    statement["object"]["id"] = "https://leerpaspoort.example/cmi5/klantgesprekken/lezen"  # the publisher's id
    _refused(au.put(statement), "9.4", db, statement)


def test_the_cmi5_category_belongs_to_cmi5_verbs(client, db, course, units):
    read, _ = units
    au = _launch(client, db, course, read).started()
    statement = au.statement(EXPERIENCED)
    statement["object"]["id"] = au.params["activityId"]
    statement["context"]["contextActivities"]["category"] = [{"id": CMI5_CATEGORY}]
    _refused(au.put(statement), "7.1.3", db, statement)


# --- result (cmi5 9.5) --------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["terminated", "completed", "passed", "failed"])
def test_duration_is_required(client, db, course, units, verb):
    _, quiz = units
    au = _launch(client, db, course, quiz).started()
    statement = au.statement(verb)
    del statement["result"]["duration"]
    _refused(au.put(statement), "9.5.4.1", db, statement)
    assert au.send(verb).status_code == 204


@pytest.mark.parametrize(
    ("verb", "result", "section"),
    [
        ("passed", {"success": False}, "9.5.2"),
        ("failed", {"success": True}, "9.5.2"),
        ("completed", {"success": True}, "9.5.2"),
        ("completed", {"completion": False}, "9.5.3"),
        ("passed", {"completion": True}, "9.5.3"),
        ("completed", {"score": {"scaled": 0.5}}, "9.5.1"),
        ("passed", {"score": {"raw": 90, "scaled": 0.9}}, "9.5.1"),
        ("terminated", {"success": True}, "9.5.2"),
    ],
)
def test_result_properties_follow_the_verb(client, db, course, units, verb, result, section):
    _, quiz = units
    au = _launch(client, db, course, quiz).started()
    statement = au.statement(verb, **result)
    _refused(au.put(statement), section, db, statement)


def test_a_raw_score_with_min_and_max_is_accepted(client, db, course, units):
    _, quiz = units
    au = _launch(client, db, course, quiz).started()
    assert au.send("passed", score={"raw": 90, "min": 0, "max": 100, "scaled": 0.9}).status_code == 204


# --- verbs only the LMS uses (cmi5 9.3.1, 9.3.6, 9.3.7, 9.3.9) -------------------------------------


@pytest.mark.parametrize(
    ("verb", "section"),
    [(VERBS + "launched", "9.3.1"), (ABANDONED, "9.3.6"), (WAIVED, "9.3.7"), (SATISFIED, "9.3.9")],
)
def test_lms_only_verbs_are_refused_from_an_au(client, db, course, units, verb, section):
    read, _ = units
    au = _launch(client, db, course, read).started()
    statement = au.statement(verb)
    _refused(au.put(statement), section, db, statement)


def test_an_au_cannot_satisfy_the_course_without_the_category_either(client, db, course, units, package):  # noqa: F811
    read, _ = units
    au = _launch(client, db, course, read).started()
    statement = au.statement(EXPERIENCED)
    statement["verb"]["id"] = SATISFIED
    statement["object"] = {"objectType": "Activity", "id": package.lms_course_id}
    _refused(au.put(statement), "9.3.9", db, statement)


# --- the whole session, and cost ------------------------------------------------------------------


def test_a_conformant_session_in_one_batch_is_stored(client, db, course, units):
    """Rise holds back everything after Initialized and sends it in one request at the end."""
    _, quiz = units
    au = _launch(client, db, course, quiz).started()
    batch = [au.statement(EXPERIENCED), au.statement("passed"), au.statement("completed"), au.statement("terminated")]
    response = au.post(batch)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert all(_stored(db, s["id"]) == 1 for s in batch)


def test_the_rules_cost_one_query_per_request_whatever_the_batch(app, client, db, course, units):
    _, quiz = units
    au = _launch(client, db, course, quiz).started()
    engine = app.extensions["leerpaspoort.engine"]
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "cmi5_sessions" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = au.post([au.statement(EXPERIENCED) for _ in range(60)])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    # The guard's one query; the after-commit tracking reads sessions only for Terminated.
    assert len([s for s in seen if "xapi_statements" in s and "credential_key" in s]) == 1


def test_an_unlimited_credential_costs_the_rules_no_query(app, client, db, course, units):
    read, _ = units
    au = _launch(client, db, course, read)
    platform_id = db.get(ResourceLink, int(course.rsplit("/", 1)[1])).platform_id
    credential = create_credential(
        db, tenant_id=platform_id, name="importer", scopes=["statements/write"], pepper=credential_pepper(app)
    )
    db.commit()
    au.auth = "Basic " + base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()
    engine = app.extensions["leerpaspoort.engine"]
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "credential_key" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert au.put(au.statement(EXPERIENCED)).status_code == 204
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert seen == []


def test_the_rules_hold_for_the_alternate_request_syntax_too(client, db, course, units):
    """Articulate's cmi5 driver sends its last statements as a posted form when the window closes."""
    read, _ = units
    au = _launch(client, db, course, read).started()

    def form_put(statement: dict):
        form = {
            "statementId": statement["id"],
            "content": json.dumps(statement),
            "Authorization": au.auth,
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        }
        return client.post("/xapi/statements?method=PUT", data=urlencode(form), content_type="application/x-www-form-urlencoded")

    terminated = au.statement("terminated")
    del terminated["result"]
    _refused(form_put(terminated), "9.5.4.1", db, terminated)
    assert form_put(au.statement("terminated")).status_code == 204


@pytest.mark.parametrize(("timestamp", "refused"), [(None, True), ("2026-11-23T10:00:00-06:00", True), ("2026-11-23T10:00:00+00:00", False)])
def test_every_au_statement_has_a_utc_timestamp(client, db, course, units, timestamp, refused):
    read, _ = units
    au = _launch(client, db, course, read).started()
    statement = au.statement(EXPERIENCED)
    if timestamp is None:
        del statement["timestamp"]
    else:
        statement["timestamp"] = timestamp
    response = au.put(statement)
    if refused:
        _refused(response, "9.7", db, statement)
    else:
        assert response.status_code == 204
