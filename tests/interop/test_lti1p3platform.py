"""Our tool against lti1p3platform, a platform written by another team (PyPI, 0.1.8).

Every id_token here is signed by lti1p3platform, and every answer of ours (the deep-linking
response, service tokens, scores, roster requests) is checked by lti1p3platform's own code.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import jwt
from sqlalchemy import select

from tests.support.independent_platform import (
    CONTEXT_ID,
    INSTRUCTOR_PERSON,
    LEARNER_PERSON,
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
