"""Administrators see the actors no learner matches, link one to a learner (its statements become
evidence at once) and undo it; nothing crosses tenants; every change needs a CSRF token."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from lti_tool.formal_evidence.models import LearnerActor
from lti_tool.formal_evidence.unmatched import actor_page
from lti_tool.lti.models import Platform
from lti_tool.people.models import User
from lti_tool.portfolio.models import Evidence
from tests.conftest import Launcher
from tests.integration.test_formal_evidence import ACTIVITY, issued, post, statement, tenant  # noqa: F401
from tests.support.platform import TestPlatform
from xapi.statement_keys import agent_key

PAGE = "/admin/actors"
ADMIN = "launch-site-admin-resource-link"
LEARNER = "launch-learner-resource-link"
INSTRUCTOR = "launch-instructor-resource-link"
STRANGER = {"objectType": "Agent", "name": "S. Student", "mbox": "mailto:sam.private@example.org"}
ELSEWHERE = {"objectType": "Agent", "account": {"homePage": "https://old-lms.example", "name": "u-1234"}}
OTHER_ACTIVITY = "https://leerpaspoort.example/modules/brandveiligheid"


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _xapi_evidence(db) -> list[Evidence]:
    db.expire_all()
    return db.scalars(select(Evidence).where(Evidence.source == "xapi").order_by(Evidence.id)).all()


@pytest.fixture
def learner(launcher, db) -> User:
    """Sam (sub 4) has launched once, so the tenant knows them; nobody is signed in afterwards."""
    launcher.enter(LEARNER)
    return db.scalars(select(User).where(User.sub == "4")).one()


@pytest.fixture
def strangers(post, learner, platform):  # noqa: F811
    """Two statements from a private address, one from another LMS's account, one from Sam's own account."""
    post(
        statement(STRANGER, "completed", result={"completion": True}, timestamp="2026-11-02T09:00:00Z"),
        statement(STRANGER, "passed", result={"success": True, "score": {"scaled": 0.8}}, timestamp="2026-11-02T09:05:00Z"),
        statement(ELSEWHERE, "completed", activity=OTHER_ACTIVITY, result={"completion": True}),
        statement(issued(platform, learner), "experienced"),
    )
    return agent_key(STRANGER)


@pytest.fixture
def admin(launcher, strangers):
    launcher.enter(ADMIN)
    return launcher.client


def _link(client, actor_key: str, user_id: int):
    token = csrf(client.get(f"{PAGE}/{actor_key}?q=Sam").get_data(as_text=True))
    return client.post(f"{PAGE}/{actor_key}/link", data={"csrf_token": token, "user_id": str(user_id)})


def _unlink(client, actor_key: str):
    token = csrf(client.get(f"{PAGE}/{actor_key}").get_data(as_text=True))
    return client.post(f"{PAGE}/{actor_key}/unlink", data={"csrf_token": token})


def test_anonymous_visitors_learners_and_instructors_are_refused(app, launcher, client, strangers):
    assert app.test_client().get(PAGE).status_code == 401
    launcher.enter(LEARNER)
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}/{strangers}").status_code == 403
    launcher.enter(INSTRUCTOR)
    assert client.get(PAGE).status_code == 403


def test_the_list_groups_statements_by_actor_with_counts_dates_and_what_they_were_about(admin):
    page = admin.get(PAGE).get_data(as_text=True)
    assert "sam.private@example.org" in page and "E-mail address" in page
    assert "u-1234 @ https://old-lms.example" in page and "Account" in page
    assert "Veilig werken op hoogte" in page  # the activity's name, not its IRI
    row = page.split(f'data-actor-key="{agent_key(STRANGER)}"', 1)[1].split("</tr>", 1)[0]
    assert "<td>2</td>" in row  # two statements from that address
    assert "2 actors" in page
    # Sam's own account is matched, so it is not listed.
    assert agent_key({"account": {"homePage": "x", "name": "4"}}) not in page


def test_the_list_is_searchable_and_paged(admin, db, tenant):  # noqa: F811
    assert "old-lms" not in admin.get(f"{PAGE}?q=PRIVATE@example").get_data(as_text=True)
    assert "No actor matches the search." in admin.get(f"{PAGE}?q=%25").get_data(as_text=True)
    first = actor_page(db, tenant.id, per_page=1, page=1)
    second = actor_page(db, tenant.id, per_page=1, page=2)
    assert (first.total, first.pages) == (2, 2)
    assert {first.rows[0].actor_key, second.rows[0].actor_key} == {agent_key(STRANGER), agent_key(ELSEWHERE)}
    assert admin.get(f"{PAGE}?page=abc").status_code == 200


def test_a_name_with_accents_is_found(admin, post):  # noqa: F811
    jose = {"objectType": "Agent", "name": "José Martínez", "mbox": "mailto:jm@example.es"}
    post(statement(jose, "completed", result={"completion": True}))
    for term in ("José", "martínez", "jm@example"):
        page = admin.get(f"{PAGE}?q={term}").get_data(as_text=True)
        assert f'data-actor-key="{agent_key(jose)}"' in page, term
    assert f'data-actor-key="{agent_key(jose)}"' not in admin.get(f"{PAGE}?q=Jose").get_data(as_text=True)


def test_the_link_form_offers_the_tenants_people_found_by_the_actors_name(admin, learner):
    page = admin.get(f"{PAGE}/{agent_key(STRANGER)}").get_data(as_text=True)
    assert 'value="S. Student"' in page  # the search starts from the name in the statements
    found = admin.get(f"{PAGE}/{agent_key(STRANGER)}?q=student1@").get_data(as_text=True)
    assert f'name="user_id" value="{learner.id}"' in found


def test_linking_makes_the_stored_statements_the_learners_evidence_at_once(admin, db, learner, post):  # noqa: F811
    assert _xapi_evidence(db) == []
    response = _link(admin, agent_key(STRANGER), learner.id)
    assert response.status_code == 303
    (item,) = _xapi_evidence(db)
    assert (item.activity_id, item.outcome["status"], item.outcome["score_scaled"]) == (ACTIVITY, "passed", 0.8)
    record = db.scalars(select(LearnerActor).where(LearnerActor.actor_key == agent_key(STRANGER))).one()
    admin_user = db.scalars(select(User).where(User.sub == "2")).one()
    assert (record.user_id, record.matched_by, record.linked_by_id) == (learner.id, "administrator", admin_user.id)
    assert record.linked_at is not None
    listed = admin.get(PAGE).get_data(as_text=True)
    assert "sam.private@example.org" not in listed and "1 actor" in listed
    assert "sam.private@example.org" in admin.get(f"{PAGE}?show=linked").get_data(as_text=True)
    # Later statements of that actor follow the link.
    post(statement(STRANGER, "passed", activity=OTHER_ACTIVITY, result={"success": True}))
    assert {e.activity_id for e in _xapi_evidence(db)} == {ACTIVITY, OTHER_ACTIVITY}


def test_unlinking_takes_the_evidence_back_but_keeps_the_learners_own(admin, db, learner, post, platform):  # noqa: F811
    post(statement(issued(platform, learner), "completed", result={"completion": True}, timestamp="2026-11-01T08:00:00Z"))
    _link(admin, agent_key(STRANGER), learner.id)
    assert _xapi_evidence(db)[0].outcome["status"] == "passed"  # the linked pass counts
    response = _unlink(admin, agent_key(STRANGER))
    assert response.status_code == 303
    (item,) = _xapi_evidence(db)
    assert item.outcome["status"] == "completed"  # only Sam's own completion is left
    record = db.scalars(select(LearnerActor).where(LearnerActor.actor_key == agent_key(STRANGER))).one()
    assert (record.user_id, record.matched_by, record.linked_by_id) == (None, None, None)
    assert "sam.private@example.org" in admin.get(PAGE).get_data(as_text=True)


def test_unlinking_the_only_source_removes_the_evidence(admin, db, learner):
    _link(admin, agent_key(STRANGER), learner.id)
    assert len(_xapi_evidence(db)) == 1
    _unlink(admin, agent_key(STRANGER))
    assert _xapi_evidence(db) == []


def test_an_automatic_match_cannot_be_unlinked_here(admin, db, learner, platform):
    own = agent_key(issued(platform, learner))
    response = _unlink(admin, own)
    assert response.status_code == 303
    assert "Only a link made by an administrator can be undone here." in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert db.scalars(select(LearnerActor.user_id).where(LearnerActor.actor_key == own)).one() == learner.id


def test_linking_an_actor_to_the_learner_it_already_is_changes_nothing(admin, db, learner, platform):
    own = agent_key(issued(platform, learner))
    assert _link(admin, own, learner.id).status_code == 303
    _unlink(admin, own)  # still an automatic match, so this is refused
    record = db.scalars(select(LearnerActor).where(LearnerActor.actor_key == own)).one()
    db.refresh(record)
    assert (record.user_id, record.matched_by) == (learner.id, "account")


def test_odd_page_numbers_fall_back_to_the_first_page(admin):
    for page in ("²", "9" * 5000, "-1", "0"):
        assert admin.get(f"{PAGE}?page={page}").status_code == 200


def test_an_actor_linked_to_someone_cannot_be_linked_to_someone_else(admin, db, learner):
    other = User(platform_id=learner.platform_id, sub="88", name="Other Learner")
    db.add(other)
    db.commit()
    _link(admin, agent_key(STRANGER), learner.id)
    response = _link(admin, agent_key(STRANGER), other.id)
    assert response.status_code == 303
    assert "already belongs to another learner" in admin.get(response.headers["Location"]).get_data(as_text=True)
    record = db.scalars(select(LearnerActor).where(LearnerActor.actor_key == agent_key(STRANGER))).one()
    db.refresh(record)
    assert record.user_id == learner.id


def test_changes_without_a_csrf_token_are_refused_and_change_nothing(admin, db, learner):
    key = agent_key(STRANGER)
    assert admin.post(f"{PAGE}/{key}/link", data={"user_id": str(learner.id)}).status_code == 400
    assert admin.post(f"{PAGE}/{key}/link", data={"user_id": str(learner.id), "csrf_token": "forged"}).status_code == 400
    assert _xapi_evidence(db) == []
    assert db.scalars(select(LearnerActor.user_id).where(LearnerActor.actor_key == key)).one() is None


def test_unknown_actors_and_people_are_not_found(admin, db, learner):
    key = agent_key(STRANGER)
    assert admin.get(f"{PAGE}/not-a-key").status_code == 404
    assert admin.get(f"{PAGE}/{'0' * 32}").status_code == 404
    token = csrf(admin.get(f"{PAGE}/{key}").get_data(as_text=True))
    for user_id in ("999999", "abc", "", "²", "9" * 30):
        assert admin.post(f"{PAGE}/{key}/link", data={"csrf_token": token, "user_id": user_id}).status_code == 404
    assert _xapi_evidence(db) == []


@pytest.fixture
def other_tenant(app, db):
    with TestPlatform(issuer="https://other-moodle.example") as other:
        other.register_in(db)
        yield other


def test_another_tenants_administrator_sees_nothing_and_reaches_nothing(app, db, strangers, learner, other_tenant):
    foreign = db.scalars(select(Platform).where(Platform.issuer == "https://other-moodle.example")).one()
    own_actor = {"mbox": "mailto:someone@other.example"}
    db.add(LearnerActor(platform_id=foreign.id, actor_key=agent_key(own_actor), actor=own_actor))
    db.commit()
    client = app.test_client()
    Launcher(client, other_tenant).enter(ADMIN)
    page = client.get(PAGE).get_data(as_text=True)
    assert "someone@other.example" in page and "sam.private@example.org" not in page and "1 actor" in page
    assert client.get(f"{PAGE}/{strangers}").status_code == 404
    # A valid token from their own page does not reach this tenant's actor or learner.
    token = csrf(client.get(f"{PAGE}/{agent_key(own_actor)}?q=a").get_data(as_text=True))
    assert client.post(f"{PAGE}/{strangers}/link", data={"csrf_token": token, "user_id": str(learner.id)}).status_code == 404
    assert client.post(f"{PAGE}/{agent_key(own_actor)}/link", data={"csrf_token": token, "user_id": str(learner.id)}).status_code == 404
    assert client.post(f"{PAGE}/{strangers}/unlink", data={"csrf_token": token}).status_code == 404
    assert _xapi_evidence(db) == []
    assert db.scalars(select(LearnerActor.user_id).where(LearnerActor.actor_key == strangers)).one() is None


def test_an_administrator_cannot_link_an_actor_to_another_tenants_learner(admin, db, other_tenant):
    foreign = db.scalars(select(Platform).where(Platform.issuer == "https://other-moodle.example")).one()
    outsider = User(platform_id=foreign.id, sub="4", name="Sam Elsewhere")
    db.add(outsider)
    db.commit()
    assert _link(admin, agent_key(STRANGER), outsider.id).status_code == 404
    assert "Sam Elsewhere" not in admin.get(f"{PAGE}/{agent_key(STRANGER)}?q=Sam").get_data(as_text=True)
    assert _xapi_evidence(db) == []


def test_the_overview_links_to_the_page(admin):
    assert f'href="{PAGE}"' in admin.get("/overview").get_data(as_text=True)


def test_the_command_line_lists_links_and_unlinks(db, strangers, learner, settings_overrides, monkeypatch):
    from lti_tool.cli import main

    for key in ("database_url", "base_url", "instance_path", "env"):
        monkeypatch.setenv(f"LEERPASPOORT_{key.upper()}", str(settings_overrides[key]))
    listed = CliRunner().invoke(main, ["evidence", "unmatched", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["value"]: row for row in json.loads(listed.output)}
    assert rows["sam.private@example.org"]["statements"] == 2
    assert rows["sam.private@example.org"]["kind"] == "mbox"

    linked = CliRunner().invoke(main, ["evidence", "link-actor", "--actor-mbox", "Sam.Private@example.org", "--learner-sub", "4"])
    assert linked.exit_code == 0, linked.output
    assert "1 formal evidence item(s)" in linked.output
    assert len(_xapi_evidence(db)) == 1

    unlinked = CliRunner().invoke(main, ["evidence", "unlink-actor", "--actor-mbox", "sam.private@example.org"])
    assert unlinked.exit_code == 0, unlinked.output
    assert _xapi_evidence(db) == []

    nobody = CliRunner().invoke(main, ["evidence", "link-actor", "--actor-account", "https://nowhere", "x", "--learner-sub", "4"])
    assert nobody.exit_code == 1 and "has sent no statements" in nobody.output
    both = CliRunner().invoke(main, ["evidence", "link-actor", "--learner-sub", "4"])
    assert both.exit_code == 2
