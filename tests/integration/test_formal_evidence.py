"""Statements posted to the real LRS become formal evidence: live, voidable, idempotent, rebuildable."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select

from lti_tool.formal_evidence.models import LearnerActor
from lti_tool.lti.models import Platform
from lti_tool.people.models import User
from lti_tool.portfolio.models import Evidence
from tests.support.platform import TestPlatform

ACTIVITY = "https://leerpaspoort.example/modules/veilig-werken-op-hoogte"
VERBS = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def learner(launcher, db) -> User:
    launcher.enter("launch-learner-resource-link")
    return db.scalars(select(User).where(User.sub == "4")).one()


@pytest.fixture
def tenant(db, platform) -> Platform:
    return db.scalars(select(Platform).where(Platform.issuer == platform.issuer)).one()


def _credential_headers(app, db, tenant_id: int) -> dict[str, str]:
    from xapi.auth import credential_pepper
    from xapi.credentials import create_credential

    made = create_credential(db, tenant_id=tenant_id, name="module", scopes=("all",), pepper=credential_pepper(app))
    db.commit()
    token = base64.b64encode(f"{made.key}:{made.secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


@pytest.fixture
def post(app, db, client, tenant):
    headers = _credential_headers(app, db, tenant.id)

    def send(*statements, expect=200):
        response = client.post("/xapi/statements", data=json.dumps(list(statements)), headers=headers, content_type="application/json")
        assert response.status_code == expect, response.get_data(as_text=True)
        return response.get_json()

    return send


def statement(actor, verb: str, *, activity: str = ACTIVITY, result=None, timestamp="2026-11-02T09:00:00Z", **extra):
    body = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": VERBS + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": activity, "definition": {"name": {"nl-NL": "Veilig werken op hoogte"}}},
        "timestamp": timestamp,
    }
    if result is not None:
        body["result"] = result
    body.update(extra)
    return body


def issued(platform, user: User) -> dict:
    return {"objectType": "Agent", "account": {"homePage": platform.issuer, "name": user.sub}}


def _evidence(db) -> list[Evidence]:
    db.expire_all()
    return db.scalars(select(Evidence).where(Evidence.source == "xapi")).all()


def test_completion_pass_and_score_become_one_formal_evidence_item(post, db, platform, learner):
    actor = issued(platform, learner)
    post(
        statement(actor, "experienced"),
        statement(actor, "completed", result={"completion": True, "duration": "PT12M"}, timestamp="2026-11-02T09:12:00Z"),
        statement(actor, "passed", result={"success": True, "score": {"scaled": 0.83, "raw": 5, "min": 0, "max": 6}}, timestamp="2026-11-02T09:13:00Z"),
    )
    (item,) = _evidence(db)
    assert (item.kind, item.type, item.title, item.activity_id) == ("formal", "module", "Veilig werken op hoogte", ACTIVITY)
    assert item.outcome["status"] == "passed"
    assert item.outcome["score_scaled"] == 0.83
    assert item.outcome["duration_seconds"] == 720
    assert item.occurred_on.isoformat() == "2026-11-02"
    assert item.portfolio_id is not None


def test_interactions_without_an_outcome_make_no_evidence(post, db, platform, learner):
    post(statement(issued(platform, learner), "answered", activity=ACTIVITY + "/toets/q1", result={"response": "75"}))
    assert _evidence(db) == []


def test_voiding_takes_the_outcome_back(post, db, platform, learner):
    actor = issued(platform, learner)
    completed = statement(actor, "completed", result={"completion": True})
    passed = statement(actor, "passed", result={"success": True}, timestamp="2026-11-02T09:05:00Z")
    post(completed, passed)
    assert _evidence(db)[0].outcome["status"] == "passed"
    void = {"actor": actor, "verb": {"id": VERBS + "voided"}, "object": {"objectType": "StatementRef", "id": passed["id"]}}
    post(void)
    assert _evidence(db)[0].outcome["status"] == "completed"
    post({**void, "object": {"objectType": "StatementRef", "id": completed["id"]}})
    assert _evidence(db) == []


def test_posting_again_changes_nothing_and_rebuild_gives_the_same_result(app, post, db, platform, learner, settings_overrides, monkeypatch):
    actor = issued(platform, learner)
    same = statement(actor, "passed", result={"success": True, "score": {"scaled": 0.9}})
    post(same)
    before = [(e.projection_key, e.title, e.outcome) for e in _evidence(db)]
    post(same)  # the LRS answers a repeated statement as a no-op
    assert [(e.projection_key, e.title, e.outcome) for e in _evidence(db)] == before

    from lti_tool.cli import main

    for key in ("database_url", "base_url", "instance_path", "env"):
        monkeypatch.setenv(f"LEERPASPOORT_{key.upper()}", str(settings_overrides[key]))
    result = CliRunner().invoke(main, ["evidence", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "1 learner × activity pair(s) projected" in result.output
    assert [(e.projection_key, e.title, e.outcome) for e in _evidence(db)] == before


def test_an_unknown_actor_is_kept_for_an_administrator_and_gets_no_evidence(post, db):
    stranger = {"objectType": "Agent", "mbox": "mailto:stranger@example.org"}
    post(statement(stranger, "completed"))
    assert _evidence(db) == []
    (actor,) = db.scalars(select(LearnerActor)).all()
    assert (actor.user_id, actor.actor["mbox"]) == (None, "mailto:stranger@example.org")


def test_email_matching_is_off_until_the_platform_allows_it(post, db, tenant, learner):
    by_mail = {"objectType": "Agent", "mbox": f"mailto:{learner.email.upper()}"}
    post(statement(by_mail, "completed"))
    assert _evidence(db) == []
    tenant.match_learners_by_email = True
    db.commit()
    post(statement(by_mail, "passed", result={"success": True}))
    (item,) = _evidence(db)
    assert item.outcome["status"] == "passed"
    assert item.portfolio_id == db.scalars(select(Evidence.portfolio_id)).one()


def test_an_actor_matched_later_brings_its_earlier_outcome_with_its_next_statement(post, db, tenant, learner):
    by_mail = {"objectType": "Agent", "mbox": f"mailto:{learner.email}"}
    post(statement(by_mail, "completed", result={"completion": True}))
    assert _evidence(db) == []
    tenant.match_learners_by_email = True
    db.commit()
    # Not an outcome itself: the earlier completion is what becomes evidence.
    post(statement(by_mail, "experienced", timestamp="2026-11-02T10:00:00Z"))
    (item,) = _evidence(db)
    assert item.outcome["status"] == "completed"


def test_a_statement_without_an_outcome_leaves_a_pair_without_evidence_unread(app, post, db, platform, learner):
    actor = issued(platform, learner)
    post(statement(actor, "experienced"))
    engine = app.extensions["leerpaspoort.engine"]
    seen: list[str] = []

    def record(_conn, _cursor, sql, _parameters, _context, _executemany):
        seen.append(sql)

    event.listen(engine, "before_cursor_execute", record)
    try:
        post(statement(actor, "experienced", timestamp="2026-11-02T09:05:00Z"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert _evidence(db) == []
    # The projection asked whether evidence exists, and did not read the learner's statements.
    assert not [sql for sql in seen if "xapi_statement_filters" in sql and "learner_actors" not in sql and "object_activity_id =" in sql]


def test_statements_of_one_learner_under_two_actors_make_one_item(post, db, platform, tenant, learner):
    tenant.match_learners_by_email = True
    db.commit()
    post(statement(issued(platform, learner), "completed", result={"completion": True}))
    post(statement({"mbox": f"mailto:{learner.email}"}, "passed", result={"success": True}, timestamp="2026-11-02T10:00:00Z"))
    (item,) = _evidence(db)
    assert (item.outcome["status"], item.outcome["completed"], item.outcome["statement_count"]) == ("passed", True, 2)


def test_another_tenant_cannot_create_evidence_for_this_tenants_learner(app, db, client, platform, learner):
    with TestPlatform(issuer="https://other-moodle.example") as other:
        other.register_in(db)
    foreign = db.scalars(select(Platform).where(Platform.issuer == "https://other-moodle.example")).one()
    headers = _credential_headers(app, db, foreign.id)
    body = json.dumps(statement(issued(platform, learner), "passed", result={"success": True}))
    response = client.post("/xapi/statements", data=body, headers=headers, content_type="application/json")
    assert response.status_code == 200
    assert _evidence(db) == []


def test_the_owner_sees_the_statements_behind_an_item_and_nobody_else_does(app, post, db, client, platform, learner):
    actor = issued(platform, learner)
    post(
        statement(actor, "completed", result={"completion": True}),
        statement(actor, "passed", result={"success": True, "score": {"scaled": 0.75}}, timestamp="2026-11-02T09:30:00Z"),
    )
    (item,) = _evidence(db)
    page = client.get(f"/portfolio/evidence/{item.id}/statements")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.index("2026-11-02 09:30:00") < text.index("2026-11-02 09:00:00")  # newest first
    assert "75%" in text
    assert app.test_client().get(f"/portfolio/evidence/{item.id}/statements").status_code == 401


def test_another_learner_gets_not_found_for_someone_elses_statements(launcher, post, db, client, platform, learner):
    post(statement(issued(platform, learner), "completed", result={"completion": True}))
    (item,) = _evidence(db)

    def someone_else(claims):
        claims["sub"] = "99"
        return claims

    launcher.enter("launch-learner-resource-link", someone_else)
    assert client.get(f"/portfolio/evidence/{item.id}/statements").status_code == 404
