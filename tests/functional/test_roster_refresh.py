"""The "refresh participants" button of the L&D completion view when the platform's roster call fails.

The platform is a real HTTP server on 127.0.0.1 (tests/integration/test_service_clients.py's
ScriptedPlatform): its token endpoint issues tokens, and its memberships URL answers 401, 500, a
page that is not a roster, or nothing at all. Each failure ends with a message that names the
cause and leaves every user and membership as it was.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

from lti_tool.lti.models import Platform
from lti_tool.people.models import Context, Membership, User
from tests.integration.test_service_clients import ScriptedPlatform

INSTRUCTOR = "launch-instructor-resource-link"
LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
MEMBERSHIP_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
# Short, so the test of a platform that never answers waits half a second, not the default.
REQUEST_TIMEOUT = 0.5
FAILED = "The participants could not be read from the learning environment"


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "outbox_request_timeout": REQUEST_TIMEOUT}


@pytest.fixture
def scripted():
    with ScriptedPlatform() as platform:
        yield platform


@pytest.fixture
def course(launcher, db, scripted) -> Context:
    """An instructor is signed in; their course's roster and tokens come from the scripted platform.

    A second learner is known from an earlier roster, so a failed refresh has something to keep.
    """
    launcher.enter(INSTRUCTOR)
    context = db.scalars(select(Context)).one()
    platform = db.get(Platform, context.platform_id)
    platform.auth_token_url = scripted.token_url
    context.nrps_url = scripted.base_url + "/members"
    known = User(platform_id=platform.id, sub="77", name="Kim Klasgenoot", email="kim@example.nl")
    db.add(known)
    db.flush()
    db.add(Membership(user_id=known.id, context_id=context.id, roles=[LEARNER_ROLE], source="nrps"))
    db.commit()
    return context


def _people(db) -> list[tuple]:
    """Everything a roster sync may change: users and their memberships, in a stable order."""
    db.expire_all()
    users = [(u.platform_id, u.sub, u.name, u.email) for u in db.scalars(select(User).order_by(User.platform_id, User.sub))]
    memberships = [
        (m.user_id, m.context_id, tuple(m.roles or []), m.status, m.source)
        for m in db.scalars(select(Membership).order_by(Membership.user_id, Membership.context_id))
    ]
    return users + memberships


def _csrf(client, course) -> str:
    page = client.get(f"/courses/{course.id}/completions").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _refresh(client, course):
    """Press the button; return the response and the page it leads to."""
    response = client.post(f"/courses/{course.id}/completions/roster", data={"csrf_token": _csrf(client, course)})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].endswith(f"/courses/{course.id}/completions")
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    return response, page


def _members_answer(scripted, status: int, body: str, content_type: str = "application/json") -> None:
    scripted.routes["/members"] = (status, body, {"Content-Type": content_type})


@pytest.mark.parametrize(
    "status, body, named",
    [
        (401, '{"error": "invalid_token"}', "the platform answered 401"),
        (403, '{"error": "insufficient_scope", "scope": "contextmembership.readonly"}', "the platform answered 403"),
        (500, "Moodle is being upgraded", "the platform answered 500: Moodle is being upgraded"),
    ],
    ids=["401", "403", "500"],
)
def test_an_error_from_the_roster_service_is_shown_and_changes_nothing(client, db, course, scripted, status, body, named):
    before = _people(db)
    _members_answer(scripted, status, body)

    _response, page = _refresh(client, course)

    assert FAILED in page
    assert named in page
    assert _people(db) == before


def test_a_401_is_tried_once_more_with_a_new_token_before_it_is_reported(client, db, course, scripted):
    _members_answer(scripted, 401, '{"error": "invalid_token"}')

    _refresh(client, course)

    assert len(scripted.requests_to("/members")) == 2
    assert len(scripted.requests_to("/token")) == 2


def test_a_platform_that_does_not_answer_in_time_is_reported_and_changes_nothing(client, db, course, scripted):
    before = _people(db)
    course_row = db.get(Context, course.id)
    course_row.nrps_url = scripted.base_url + "/hang"
    db.commit()

    _response, page = _refresh(client, course)

    assert FAILED in page
    assert "Could not reach" in page and "Timeout" in page
    assert _people(db) == before


def test_a_token_endpoint_that_refuses_the_tool_is_reported_and_changes_nothing(client, db, course, scripted):
    before = _people(db)
    scripted.token_answers.append((401, '{"error": "invalid_client"}', {"Content-Type": "application/json"}))

    _response, page = _refresh(client, course)

    assert FAILED in page and "invalid_client" in page
    assert scripted.requests_to("/members") == []
    assert _people(db) == before


def test_an_answer_that_is_not_a_roster_is_reported_and_changes_nothing(client, db, course, scripted):
    before = _people(db)
    _members_answer(scripted, 200, "<html>Log in to Moodle</html>", "text/html")

    _response, page = _refresh(client, course)

    assert FAILED in page and "is not JSON" in page
    assert _people(db) == before


def test_a_failure_on_a_later_page_keeps_what_the_earlier_pages_said_out_of_the_database(client, db, course, scripted):
    # All or nothing: the first page names a new learner, the second page fails.
    before = _people(db)
    first_page = {"id": "members", "members": [{"user_id": "new-1", "roles": [LEARNER_ROLE], "status": "Active"}]}
    scripted.routes["/members"] = (
        200,
        json.dumps(first_page),
        {"Content-Type": MEMBERSHIP_MEDIA_TYPE, "Link": f'<{scripted.base_url}/members?page=2>; rel="next"'},
    )
    scripted.routes["/members?page=2"] = (500, "internal error", {})

    _response, page = _refresh(client, course)

    assert FAILED in page and "the platform answered 500" in page
    assert _people(db) == before
    assert db.scalars(select(User).where(User.sub == "new-1")).first() is None


def test_a_working_roster_still_updates_the_participants(client, db, course, scripted):
    """The control for the failures above: the same set-up with a good answer adds the learner."""
    roster = {"id": "members", "members": [
        {"user_id": "77", "roles": [LEARNER_ROLE], "status": "Active"},
        {"user_id": "new-1", "name": "Noor Nieuw", "roles": [LEARNER_ROLE], "status": "Active"},
    ]}
    _members_answer(scripted, 200, json.dumps(roster), MEMBERSHIP_MEDIA_TYPE)

    _response, page = _refresh(client, course)

    assert FAILED not in page
    assert "Participants updated from the learning environment" in page
    db.expire_all()
    assert db.scalars(select(User).where(User.sub == "new-1")).one().name == "Noor Nieuw"
