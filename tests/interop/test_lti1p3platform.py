"""Our tool against lti1p3platform, a platform written by another team (PyPI, 0.1.8).

Every id_token here is signed by lti1p3platform, and every answer of ours (the deep-linking
response, service tokens, scores, roster requests) is checked by lti1p3platform's own code.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import jwt
from sqlalchemy import select

from lti_tool.outbox.models import DELIVERED
from tests.support.independent_platform import (
    CONTEXT_ID,
    INSTRUCTOR_PERSON,
    LEARNER_PERSON,
    QUIET_LEARNER,
    PlannedLaunch,
    form_fields,
)

DL_DATA = {"section": 3, "opaque": "platform-state-Ω"}


def _portfolio(person) -> PlannedLaunch:
    return PlannedLaunch(person, resource_link_id="rl-portfolio", title="Portfolio")


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _place(browser, page, form: dict[str, str]):
    """Submit the picker as the instructor would; return the tool's auto-posting return page."""
    action = urljoin(page.url, re.search(r'<form method="post" action="([^"]+)" class="deep-link-picker"', page.text).group(1))
    return browser.http.post(action, data={"csrf_token": _csrf(page.text), **form}, timeout=10)


def _deep_link(browser, independent, tool, form: dict[str, str]) -> dict:
    """Instructor: deep-linking launch, picker, our response posted to lti1p3platform's return URL."""
    picker = browser.enter(PlannedLaunch(INSTRUCTOR_PERSON, deep_linking=True, dl_data=DL_DATA))
    assert picker.status_code == 200, picker.text[:2000]
    assert picker.url.startswith(tool.base_url + "/lti/deep-link/")
    answer = _place(browser, picker, form)
    assert answer.status_code == 200, answer.text[:2000]
    action, fields = form_fields(answer.text, "deep-link-return")
    assert action == independent.deep_link_return_url
    returned = browser.http.post(action, data={"JWT": fields["JWT"]}, timeout=10)
    assert returned.status_code == 200, returned.text
    return independent.deep_link_returns[-1]


def test_learner_launch_from_lti1p3platform_lands_on_the_learner_home(browser, tool):
    page = browser.enter(_portfolio(LEARNER_PERSON))

    assert page.status_code == 200
    assert page.url == tool.base_url + "/home"
    assert "Lee Learner" in page.text


def test_learner_launch_records_the_person_course_and_link_from_lti1p3platform_claims(browser, tool, independent):
    from lti_tool.people.models import Context, ResourceLink, User

    browser.enter(_portfolio(LEARNER_PERSON))

    with tool.session() as session:
        user = session.scalars(select(User).filter_by(sub=LEARNER_PERSON.user_id)).one()
        context = session.scalars(select(Context).filter_by(context_id=CONTEXT_ID)).one()
        link = session.scalars(select(ResourceLink).filter_by(resource_link_id="rl-portfolio")).one()
    assert (user.name, user.email) == ("Lee Learner", "lee@independent.example")
    assert context.nrps_url == independent.memberships_url
    assert link.lineitems_url == independent.lineitems_url


def test_instructor_launch_from_lti1p3platform_lands_on_the_course_view(browser, tool):
    page = browser.enter(_portfolio(INSTRUCTOR_PERSON))

    assert re.fullmatch(re.escape(tool.base_url) + r"/courses/\d+", page.url)
    assert "Interoperability 101" in page.text


def test_launch_signed_with_a_key_lti1p3platform_does_not_publish_is_refused(browser, independent):
    # The platform signs with a new private key but still publishes the old public key.
    independent.private_pem = _forged_key_pem()

    answer = browser.launch(_portfolio(LEARNER_PERSON))

    assert answer.status_code == 400
    assert "open this activity again" in answer.text


def _forged_key_pem() -> str:
    from tests.support.platform import new_rsa_key, pem

    return pem(new_rsa_key())


def test_deep_linking_response_is_accepted_by_lti1p3platform_with_a_graded_reflection(browser, tool, independent):
    returned = _deep_link(
        browser,
        independent,
        tool,
        {"item": "reflection", "title-reflection": "Week 3: what did you learn?", "prompt-reflection": "Describe one thing.", "action": "place"},
    )

    assert "error" not in returned, returned
    (item,) = returned["items"]
    assert item["type"] == "ltiResourceLink"
    assert item["title"] == "Week 3: what did you learn?"
    assert item["url"] == tool.base_url + "/lti/launch"
    assert "?" not in item["url"]
    assert item["custom"]["leerpaspoort_kind"] == "reflection"
    assert item["lineItem"]["scoreMaximum"] == 100
    claims = returned["claims"]
    assert claims["iss"] == independent.client_id
    assert claims["aud"] == independent.issuer
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == independent.deployment_id
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == DL_DATA


def test_item_placed_through_deep_linking_launches_as_a_reflection_with_its_line_item(browser, tool, independent):
    from lti_tool.people.models import ResourceLink

    returned = _deep_link(browser, independent, tool, {"item": "reflection", "title-reflection": "Reflect", "action": "place"})
    (item,) = returned["items"]
    # What lti1p3platform's host does with a content item: create the link and its gradebook column.
    line_item = independent.add_line_item(
        label=item["lineItem"]["label"],
        score_maximum=item["lineItem"]["scoreMaximum"],
        resource_id=item["lineItem"].get("resourceId", ""),
        tag=item["lineItem"].get("tag", ""),
        resource_link_id="rl-placed-1",
    )

    learner = type(browser)(independent)
    page = learner.enter(
        PlannedLaunch(LEARNER_PERSON, resource_link_id="rl-placed-1", title=item["title"], custom=item["custom"], line_item_id=line_item.id)
    )

    assert page.status_code == 200
    with tool.session() as session:
        link = session.scalars(select(ResourceLink).filter_by(resource_link_id="rl-placed-1")).one()
    assert link.kind == "reflection"
    assert link.lineitem_url == independent.line_item_url(line_item.id)


def test_cancelled_deep_linking_returns_an_empty_response_that_lti1p3platform_accepts(browser, tool, independent):
    returned = _deep_link(browser, independent, tool, {"action": "cancel"})

    assert returned["items"] == []
    assert returned["claims"]["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == DL_DATA


def test_lti1p3platform_refuses_a_deep_linking_response_not_signed_by_our_published_key(browser, tool, independent):
    picker = browser.enter(PlannedLaunch(INSTRUCTOR_PERSON, deep_linking=True))
    answer = _place(browser, picker, {"item": "portfolio", "action": "place"})
    _, fields = form_fields(answer.text, "deep-link-return")
    claims = jwt.decode(fields["JWT"], options={"verify_signature": False})
    header = jwt.get_unverified_header(fields["JWT"])
    forged = jwt.encode(claims, _forged_key_pem(), algorithm="RS256", headers={"kid": header["kid"]})

    refused = browser.http.post(independent.deep_link_return_url, data={"JWT": forged}, timeout=10)

    assert refused.status_code == 400
    assert "error" in independent.deep_link_returns[-1]


# --- Assignment and Grade Services ----------------------------------------------------------


def _graded_link(browser, tool, independent):
    """A learner launch of a graded link; returns the platform's line item and our link row."""
    from lti_tool.people.models import ResourceLink

    line_item = independent.add_line_item(label="Reflection", score_maximum=100, resource_link_id="rl-graded")
    browser.enter(PlannedLaunch(LEARNER_PERSON, resource_link_id="rl-graded", title="Reflection", line_item_id=line_item.id))
    with tool.session() as session:
        link = session.scalars(select(ResourceLink).filter_by(resource_link_id="rl-graded")).one()
        session.expunge(link)
    return line_item, link


def _queue_score(tool, link, score_given: float, grading_progress: str = "FullyGraded"):
    from lti_tool.lti.ags import enqueue_score
    from lti_tool.lti.models import Platform

    with tool.session() as session:
        enqueue_score(
            session,
            platform=session.get(Platform, link.platform_id),
            line_item_url=link.lineitem_url,
            user_sub=LEARNER_PERSON.user_id,
            score_given=score_given,
            score_maximum=100,
            activity_progress="Completed",
            grading_progress=grading_progress,
        )
        session.commit()


def _deliver(tool) -> None:
    from lti_tool.outbox.worker import run_worker

    run_worker(tool.app, once=True)


def _outbox(tool) -> list[tuple[str, int | None]]:
    """(status, last HTTP status) of every queued message, oldest first."""
    from lti_tool.outbox.models import OutboxMessage

    with tool.session() as session:
        rows = session.execute(select(OutboxMessage.status, OutboxMessage.last_status_code).order_by(OutboxMessage.id))
        return [tuple(row) for row in rows]


def test_score_reaches_lti1p3platform_through_its_token_and_score_services(browser, tool, independent):
    line_item, link = _graded_link(browser, tool, independent)
    _queue_score(tool, link, 87.5)

    _deliver(tool)

    (score,) = independent.scores_for(line_item.id)
    assert score["userId"] == LEARNER_PERSON.user_id
    assert (score["scoreGiven"], score["scoreMaximum"]) == (87.5, 100)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", score["timestamp"])
    (post,) = [r for r in independent.server.requests if r["path"].endswith("/scores")]
    assert post["headers"]["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    assert _outbox(tool) == [(DELIVERED, 200)]


def test_service_token_is_granted_by_lti1p3platform_for_our_signed_client_assertion(browser, tool, independent):
    _, link = _graded_link(browser, tool, independent)
    _queue_score(tool, link, 10)

    _deliver(tool)

    (token_request,) = independent.token_requests
    assert token_request["grant_type"] == "client_credentials"
    assert token_request["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in token_request["scope"].split()


def test_two_scores_arrive_in_order_with_increasing_timestamps(browser, tool, independent):
    line_item, link = _graded_link(browser, tool, independent)
    _queue_score(tool, link, 40, grading_progress="Pending")
    _queue_score(tool, link, 90)

    _deliver(tool)

    first, second = independent.scores_for(line_item.id)
    assert (first["scoreGiven"], second["scoreGiven"]) == (40, 90)
    assert second["timestamp"] > first["timestamp"]
    assert _outbox(tool) == [(DELIVERED, 200), (DELIVERED, 200)]
    # One token for both calls: the tool caches it.
    assert len(independent.token_requests) == 1


def test_score_for_a_line_item_lti1p3platform_does_not_know_is_not_marked_sent(browser, tool, independent):
    line_item, link = _graded_link(browser, tool, independent)
    independent.line_items.pop(line_item.id)
    _queue_score(tool, link, 50)

    _deliver(tool)

    ((status, http_status),) = _outbox(tool)
    assert status != DELIVERED
    assert http_status == 404


def test_lti1p3platform_refuses_a_score_post_without_its_token(independent, browser, tool):
    import requests

    line_item, _ = _graded_link(browser, tool, independent)

    answer = requests.post(
        independent.line_item_url(line_item.id) + "/scores",
        json={"userId": LEARNER_PERSON.user_id, "scoreGiven": 1, "scoreMaximum": 1},
        headers={"Authorization": "Bearer not-a-token"},
        timeout=10,
    )

    assert answer.status_code >= 400
    assert independent.scores_for(line_item.id) == []


# --- Names and Role Provisioning Services -----------------------------------------------------


def _sync_roster(tool):
    from lti_tool.lti.nrps import sync_context_roster
    from lti_tool.lti.service_client import client_for
    from lti_tool.people.models import Context

    with tool.session() as session:
        context = session.scalars(select(Context).filter_by(context_id=CONTEXT_ID)).one()
        result = sync_context_roster(session, client_for(tool.app), context)
        session.commit()
    return result


def _members(tool) -> dict[str, tuple[str, list[str]]]:
    from lti_tool.people.models import Membership, User

    with tool.session() as session:
        rows = session.execute(select(User.sub, Membership.status, Membership.roles).join(Membership, Membership.user_id == User.id))
        return {sub: (status, roles) for sub, status, roles in rows}


def test_roster_from_lti1p3platform_adds_people_who_never_launched(browser, tool, independent):
    browser.enter(_portfolio(INSTRUCTOR_PERSON))

    result = _sync_roster(tool)

    members = _members(tool)
    assert set(members) == {LEARNER_PERSON.user_id, INSTRUCTOR_PERSON.user_id, QUIET_LEARNER.user_id}
    assert members[QUIET_LEARNER.user_id][0] == "Active"
    assert result.created_users == 2
    (call,) = [r for r in independent.server.requests if r["path"] == "/nrps/memberships"]
    assert call["headers"]["Accept"] == "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    assert call["headers"]["Authorization"].startswith("Bearer ")


def test_roster_paged_by_lti1p3platform_is_read_to_the_last_page(browser, tool, independent):
    independent.roster_page_size = 1
    browser.enter(_portfolio(INSTRUCTOR_PERSON))

    _sync_roster(tool)

    assert len(_members(tool)) == 3
    pages = [r for r in independent.server.requests if r["path"] == "/nrps/memberships"]
    assert [p["args"].get("page") for p in pages] == [None, "2", "3"]


def test_roster_sync_marks_people_who_left_inactive(browser, tool, independent):
    browser.enter(_portfolio(INSTRUCTOR_PERSON))
    _sync_roster(tool)
    independent.people.remove(QUIET_LEARNER)

    _sync_roster(tool)

    assert _members(tool)[QUIET_LEARNER.user_id][0] == "Inactive"
