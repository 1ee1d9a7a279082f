"""Deep Linking 2.0 through the picker: who may choose, what the signed response says, bad input."""

from __future__ import annotations

import html
import json
import re

import jwt
import pytest
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import func, select

from lti_tool.lti.deep_linking import PlacedItem
from lti_tool.lti.models import LaunchRecord

DL_FIXTURE = "launch-instructor-deep-linking-request"
SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
RETURN_URL = "http://127.0.0.1:8080/mod/lti/contentitem_return.php?course=2&id=1&sesskey=AAiUC8iP8m"


def _with_settings(**changes):
    def mutate(body):
        body[SETTINGS] = {**body[SETTINGS], **changes}
        return body

    return mutate


def _as_learner(body):
    body[ROLES] = [LEARNER]
    return body


def _open_picker(launcher, mutate=None):
    page = launcher.enter(DL_FIXTURE, mutate)
    return page, page.request.path


def _csrf(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


def _submit(client, path: str, picker_html: str, **form):
    return client.post(path, data={"csrf_token": _csrf(picker_html), **form})


def _response_jwt(page_html: str) -> str:
    return html.unescape(re.search(r'name="JWT" value="([^"]+)"', page_html).group(1))


def _verified(client, token: str, platform) -> dict:
    """Check the response the way a platform does: our published key, its issuer as audience."""
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [key for key in client.get("/lti/jwks").get_json()["keys"] if key["kid"] == kid]
    return jwt.decode(
        token,
        RSAAlgorithm.from_jwk(json.dumps(jwk)),
        algorithms=["RS256"],
        audience=platform.issuer,
        issuer=platform.client_id,
        options={"require": ["exp", "iat", "nonce"]},
    )


def _placed_count(db) -> int:
    return db.scalar(select(func.count()).select_from(PlacedItem))


# --- who may choose ------------------------------------------------------------------------


def test_picker_shows_the_portfolio_and_the_reflection_activity_to_an_instructor(launcher):
    page, path = _open_picker(launcher)

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert path.startswith("/lti/deep-link/")
    assert "Portfolio" in text and "Reflection activity" in text
    assert "graded, maximum 100" in text


def test_picker_refuses_a_learner_with_403(launcher, db):
    page, _ = _open_picker(launcher, _as_learner)

    assert page.status_code == 403
    assert "Reflection activity" not in page.get_data(as_text=True)


def test_learner_cannot_post_a_response_for_a_deep_linking_launch(launcher, client, db):
    page, path = _open_picker(launcher, _as_learner)
    token = _csrf(page.get_data(as_text=True))

    response = client.post(path, data={"csrf_token": token, "item": "portfolio", "action": "place"})

    assert response.status_code == 403
    assert _placed_count(db) == 0


def test_picker_of_someone_elses_launch_is_refused(launcher, client, db):
    _, path = _open_picker(launcher)
    # Another person launches in the same browser: the first launch is not theirs.
    launcher.enter("launch-learner-resource-link")

    assert client.get(path).status_code == 403


def test_picker_without_a_session_asks_to_open_it_from_the_course(launcher, app):
    _, path = _open_picker(launcher)

    response = app.test_client().get(path)

    assert response.status_code in (302, 401)


def test_unknown_deep_linking_launch_gives_404(launcher, client):
    launcher.enter(DL_FIXTURE)

    assert client.get("/lti/deep-link/not-a-launch").status_code == 404


# --- the signed response -------------------------------------------------------------------


def test_response_is_signed_for_the_platform_and_echoes_data(launcher, client, platform):
    page, path = _open_picker(launcher, _with_settings(data="moodle-opaque-7"))

    answer = _submit(client, path, page.get_data(as_text=True), item="portfolio", action="place")

    assert answer.status_code == 200
    claims = _verified(client, _response_jwt(answer.get_data(as_text=True)), platform)
    assert claims["iss"] == platform.client_id
    assert claims["aud"] == platform.issuer
    assert claims["nonce"]
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == platform.deployment_id
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/version"] == "1.3.0"
    assert claims[DL_DATA] == "moodle-opaque-7"


def test_response_leaves_out_data_when_the_request_had_none(launcher, client, platform):
    page, path = _open_picker(launcher)

    answer = _submit(client, path, page.get_data(as_text=True), item="portfolio", action="place")

    claims = _verified(client, _response_jwt(answer.get_data(as_text=True)), platform)
    assert DL_DATA not in claims


def test_reflection_item_carries_title_custom_parameters_and_a_line_item(launcher, client, platform, db):
    page, path = _open_picker(launcher)

    answer = _submit(
        client,
        path,
        page.get_data(as_text=True),
        item="reflection",
        **{"title-reflection": "  Week 3:   looking back ", "prompt-reflection": "What surprised you?"},
        action="place",
    )

    claims = _verified(client, _response_jwt(answer.get_data(as_text=True)), platform)
    (item,) = claims[CONTENT_ITEMS]
    placed = db.scalars(select(PlacedItem)).one()
    assert item["type"] == "ltiResourceLink"
    assert item["title"] == "Week 3: looking back"
    assert item["url"] == "http://localhost/lti/launch"
    assert "?" not in item["url"]
    assert item["custom"] == {"leerpaspoort_kind": "reflection", "leerpaspoort_item": placed.public_id}
    assert item["lineItem"]["scoreMaximum"] == 100
    assert item["lineItem"]["label"] == "Week 3: looking back"
    assert item["lineItem"]["resourceId"] == placed.public_id
    assert item["text"] == "What surprised you?"
    assert (placed.kind, placed.prompt, placed.score_maximum) == ("reflection", "What surprised you?", 100)


def test_portfolio_item_has_no_line_item(launcher, client, platform):
    page, path = _open_picker(launcher)

    answer = _submit(client, path, page.get_data(as_text=True), item="portfolio", action="place")

    (item,) = _verified(client, _response_jwt(answer.get_data(as_text=True)), platform)[CONTENT_ITEMS]
    assert item["title"] == "Portfolio"
    assert item["custom"]["leerpaspoort_kind"] == "portfolio"
    assert "lineItem" not in item


def test_both_items_can_be_placed_at_once_when_the_platform_accepts_multiple(launcher, client, platform, db):
    page, path = _open_picker(launcher)

    answer = _submit(client, path, page.get_data(as_text=True), item=["portfolio", "reflection"], action="place")

    items = _verified(client, _response_jwt(answer.get_data(as_text=True)), platform)[CONTENT_ITEMS]
    assert [i["custom"]["leerpaspoort_kind"] for i in items] == ["portfolio", "reflection"]
    assert _placed_count(db) == 2


def test_cancel_sends_an_empty_response(launcher, client, platform, db):
    page, path = _open_picker(launcher)

    answer = _submit(client, path, page.get_data(as_text=True), action="cancel")

    claims = _verified(client, _response_jwt(answer.get_data(as_text=True)), platform)
    assert claims[CONTENT_ITEMS] == []
    assert _placed_count(db) == 0


def test_response_page_posts_the_jwt_to_the_return_url_by_itself(launcher, client):
    page, path = _open_picker(launcher)

    answer = _submit(client, path, page.get_data(as_text=True), item="portfolio", action="place")

    text = answer.get_data(as_text=True)
    form = re.search(r'<form id="deep-link-return"[^>]*>', text).group(0)
    assert 'method="post"' in form
    assert html.unescape(re.search(r'action="([^"]+)"', form).group(1)) == RETURN_URL
    assert re.search(r'<input type="hidden" name="JWT" value="[^"]+">', text)
    assert "/static/js/deep-link-return.js" in text
    # The page's script submits the form; no inline script (the CSP forbids it).
    assert "<script>" not in text


def test_presentation_choice_becomes_the_items_window_target(launcher, client, platform):
    page, path = _open_picker(launcher)

    answer = _submit(client, path, page.get_data(as_text=True), item="portfolio", presentation="window", action="place")

    (item,) = _verified(client, _response_jwt(answer.get_data(as_text=True)), platform)[CONTENT_ITEMS]
    assert item["window"] == {"targetName": "_blank"}


# --- single use ----------------------------------------------------------------------------


def test_deep_linking_launch_can_be_answered_only_once(launcher, client, db):
    page, path = _open_picker(launcher)
    picker_html = page.get_data(as_text=True)
    assert _submit(client, path, picker_html, item="portfolio", action="place").status_code == 200

    again = _submit(client, path, picker_html, item="reflection", action="place")

    assert again.status_code == 409
    assert "already been sent" in again.get_data(as_text=True)
    assert 'name="JWT"' not in again.get_data(as_text=True)
    assert _placed_count(db) == 1


def test_picker_of_an_answered_launch_says_so(launcher, client):
    page, path = _open_picker(launcher)
    _submit(client, path, page.get_data(as_text=True), action="cancel")

    again = client.get(path)

    assert again.status_code == 409
    assert "Start again from your course" in again.get_data(as_text=True)


# --- CSRF and bad input --------------------------------------------------------------------


def test_picker_form_without_csrf_token_is_refused_and_changes_nothing(launcher, client, db):
    _, path = _open_picker(launcher)

    response = client.post(path, data={"item": "portfolio", "action": "place"})

    assert response.status_code == 400
    assert _placed_count(db) == 0
    db.expire_all()
    assert db.scalars(select(LaunchRecord.message_type)).one() == "LtiDeepLinkingRequest"


def test_picker_form_with_a_wrong_csrf_token_is_refused(launcher, client, db):
    _, path = _open_picker(launcher)

    response = client.post(path, data={"csrf_token": "forged", "item": "portfolio", "action": "place"})

    assert response.status_code == 400
    assert _placed_count(db) == 0


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"item": "quiz"}, "Unknown item quiz"),
        ({"item": "reflection", "title-reflection": "x" * 256}, "at most 255 characters"),
        ({"item": "reflection", "prompt-reflection": "p" * 5001}, "at most 5000 characters"),
        ({"item": ["portfolio", "portfolio"]}, "only once"),
        ({"item": "portfolio", "presentation": "embed"}, "way of opening"),
        ({}, "Choose at least one item"),
    ],
    ids=["unknown-offer", "overlong-title", "overlong-prompt", "duplicate", "presentation", "nothing-chosen"],
)
def test_bad_picker_input_gives_400_and_changes_nothing(launcher, client, db, form, message):
    page, path = _open_picker(launcher)

    response = _submit(client, path, page.get_data(as_text=True), action="place", **form)

    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html.unescape(text)
    assert 'name="JWT"' not in text
    assert _placed_count(db) == 0
    db.expire_all()
    assert db.scalars(select(LaunchRecord.message_type)).one() == "LtiDeepLinkingRequest"


def test_several_items_are_refused_when_the_platform_accepts_one(launcher, client, db):
    page, path = _open_picker(launcher, _with_settings(accept_multiple=False))

    response = _submit(client, path, page.get_data(as_text=True), item=["portfolio", "reflection"], action="place")

    assert response.status_code == 400
    assert "only one item" in response.get_data(as_text=True)
    assert _placed_count(db) == 0


def test_deep_linking_launch_that_accepts_no_links_is_refused_before_the_picker(launcher, db):
    # Everything Leerpaspoort places is an ltiResourceLink; pylti1p3 refuses the launch itself.
    response = launcher.launch(DL_FIXTURE, _with_settings(accept_types=["file", "html"]))

    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(LaunchRecord)) == 0


def test_a_bad_submission_can_be_corrected_and_sent(launcher, client, platform, db):
    page, path = _open_picker(launcher)
    refused = _submit(client, path, page.get_data(as_text=True), item="reflection", action="place", **{"title-reflection": "t" * 300})
    assert refused.status_code == 400

    answer = _submit(client, path, refused.get_data(as_text=True), item="reflection", action="place", **{"title-reflection": "Short"})

    assert answer.status_code == 200
    (item,) = _verified(client, _response_jwt(answer.get_data(as_text=True)), platform)[CONTENT_ITEMS]
    assert item["title"] == "Short"
    assert _placed_count(db) == 1
