"""The built-in demo platform: real launches, deep linking, tokens, scores and rosters."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import urlsplit

import jwt
import pytest
from sqlalchemy import func, select

from tests.conftest import TOOL_BASE_URL

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "demo_enabled": True}


class Forms(HTMLParser):
    """The forms of a page: action, target, hidden fields and the submit button's label."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self._in_button = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "target": attrs.get("target"), "fields": {}, "label": ""})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")
        elif tag == "button" and self.forms:
            self._in_button = True

    def handle_endtag(self, tag):
        if tag == "button":
            self._in_button = False

    def handle_data(self, data):
        if self._in_button:
            self.forms[-1]["label"] += data.strip()

    def by_label(self, label: str) -> dict:
        for form in self.forms:
            if form["label"] == label:
                return form
        raise AssertionError(f"no form with a button {label!r}: {[f['label'] for f in self.forms]}")


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class DemoUser:
    """Clicks through the demo course page the way a browser does, with the test client."""

    def __init__(self, client):
        self.client = client

    def course_page(self) -> str:
        response = self.client.get("/demo")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def authenticate(self, label: str) -> dict:
        """Post the button's login form and return the demo's auto-posted answer (id_token, state)."""
        form = Forms(self.course_page()).by_label(label)
        assert form["target"] == "tool-frame"
        login = self.client.post(_path(form["action"]), data=form["fields"])
        assert login.status_code == 302, login.get_data(as_text=True)
        auth = self.client.get(_path(login.headers["Location"]))
        assert auth.status_code == 200, auth.get_data(as_text=True)
        answer = Forms(auth.get_data(as_text=True)).forms[-1]
        assert answer["action"] == TOOL_BASE_URL + "/lti/launch"
        return answer["fields"]

    def launch(self, label: str):
        """A whole launch: login, auth, launch, session hand-off, landing page."""
        answer = self.authenticate(label)
        launch = self.client.post("/lti/launch", data=answer)
        assert launch.status_code == 302, launch.get_data(as_text=True)
        enter = self.client.get(_path(launch.headers["Location"]))
        assert enter.status_code == 200
        next_path = enter.get_data(as_text=True).split('data-next="', 1)[1].split('"', 1)[0]
        return self.client.get(next_path)


@pytest.fixture
def demo_user(client):
    return DemoUser(client)


@pytest.fixture
def demo(app, db):
    from lti_tool.demo.services import ensure_demo_platform

    created = ensure_demo_platform(db, app.extensions["leerpaspoort.settings"])
    db.commit()
    return created


def _tool_assertion(db, demo, *, key_pem=None, kid=None, **changes) -> str:
    from lti_tool.lti.keys import ensure_signing_key

    signing = ensure_signing_key(db)
    db.commit()
    now = int(time.time())
    body = {
        "iss": demo.client_id,
        "sub": demo.client_id,
        "aud": TOOL_BASE_URL + "/demo/token",
        "iat": now,
        "exp": now + 60,
        "jti": "lti-service-token-" + str(uuid.uuid4()),
        **changes,
    }
    return jwt.encode(body, key_pem or signing.private_pem, algorithm="RS256", headers={"kid": kid or signing.kid})


def _token(client, assertion: str, scope: str):
    return client.post(
        "/demo/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": scope,
        },
    )


def _bearer(client, db, demo, scope: str) -> dict[str, str]:
    response = _token(client, _tool_assertion(db, demo), scope)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": "Bearer " + response.get_json()["access_token"]}


def _score(user_id="4", when=None, **changes) -> dict:
    when = when or datetime.now(timezone.utc)
    return {
        "userId": user_id,
        "scoreGiven": 8,
        "scoreMaximum": 10,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": when.isoformat(timespec="milliseconds"),
        **changes,
    }


def _built_in_line_item(db, demo):
    from lti_tool.demo.models import DemoLineItem

    return db.scalars(select(DemoLineItem).where(DemoLineItem.demo_platform_id == demo.id)).one()


def test_ensure_demo_platform_is_idempotent(app, db):
    from lti_tool.demo.models import DemoCourseItem, DemoLineItem, DemoPlatform
    from lti_tool.demo.services import ensure_demo_platform
    from lti_tool.lti.models import Deployment, Platform, ToolKey

    settings = app.extensions["leerpaspoort.settings"]
    first = ensure_demo_platform(db, settings)
    db.commit()
    second = ensure_demo_platform(db, settings)
    db.commit()

    assert first.id == second.id
    assert db.scalar(select(func.count()).select_from(DemoPlatform)) == 1
    assert db.scalar(select(func.count()).select_from(DemoCourseItem)) == 1
    assert db.scalar(select(func.count()).select_from(DemoLineItem)) == 1
    platform = db.scalars(select(Platform).where(Platform.issuer == TOOL_BASE_URL + "/demo")).one()
    assert platform.client_id == first.client_id
    assert platform.auth_login_url == TOOL_BASE_URL + "/demo/auth"
    assert platform.auth_token_url == TOOL_BASE_URL + "/demo/token"
    assert platform.key_set_url is None
    assert platform.key_set == {"keys": [first.public_jwk]}
    assert [d.deployment_id for d in db.scalars(select(Deployment).where(Deployment.platform_id == platform.id))] == ["1"]
    assert "PRIVATE KEY" not in str(first.public_jwk)
    assert all(key.kid != first.kid for key in db.scalars(select(ToolKey)))


def test_demo_learner_launch_lands_on_home_with_sam_student_and_the_demo_course(demo_user):
    page = demo_user.launch("Launch as learner (Sam Student)")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sam Student" in html
    assert "Demo: E-Portfolio 101" in html


def test_demo_instructor_launch_lands_on_the_course_view(demo_user):
    page = demo_user.launch("Launch as instructor (Terry Teacher)")

    assert page.status_code == 200
    assert page.request.path.startswith("/courses/")
    html = page.get_data(as_text=True)
    assert "Terry Teacher" in html
    assert "Demo: E-Portfolio 101" in html


def test_demo_administrator_launch_lands_on_the_overview(demo_user):
    page = demo_user.launch("Launch as L&D administrator")

    assert page.status_code == 200
    assert page.request.path == "/overview"
    assert "Dana Dekker" in page.get_data(as_text=True)


def test_demo_id_token_is_shaped_like_moodles(demo_user, demo):
    answer = demo_user.authenticate("Launch as learner (Sam Student)")
    header = jwt.get_unverified_header(answer["id_token"])
    body = jwt.decode(answer["id_token"], options={"verify_signature": False})

    assert header == {"alg": "RS256", "kid": demo.kid, "typ": "JWT"}
    assert body["iss"] == TOOL_BASE_URL + "/demo"
    assert body["aud"] == demo.client_id
    assert body["exp"] - body["iat"] == 60
    assert body["https://purl.imsglobal.org/spec/lti/claim/roles"] == [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    ]
    assert body["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"]["document_target"] == "iframe"
    ags = body[AGS_CLAIM]
    assert "/scores" not in ags["lineitem"] and "?type_id=1" in ags["lineitem"]
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in ags["scope"]
    nrps = body["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]
    assert nrps["context_memberships_url"] == TOOL_BASE_URL + "/demo/nrps/memberships"


def test_demo_auth_refuses_a_redirect_uri_that_is_not_the_tools_launch_url(client, demo_user):
    form = Forms(demo_user.course_page()).by_label("Launch as learner (Sam Student)")
    login = client.post("/lti/login", data=form["fields"])
    location = _path(login.headers["Location"]).replace("%2Flti%2Flaunch", "%2Felsewhere")

    response = client.get(location)

    assert response.status_code == 400
    assert "redirect_uri" in response.get_data(as_text=True)


def test_demo_auth_refuses_a_login_hint_other_than_the_buttons_person(client, demo_user):
    form = Forms(demo_user.course_page()).by_label("Launch as learner (Sam Student)")
    login = client.post("/lti/login", data={**form["fields"], "login_hint": "3"})

    response = client.get(_path(login.headers["Location"]))

    assert response.status_code == 400
    assert "login_hint" in response.get_data(as_text=True)


def _deep_link_response(db, demo, request_claims: dict, items) -> tuple[str, str]:
    """Sign a deep-linking response with the tool's own key, as the tool's deep-link page does."""
    from pylti1p3.deep_link import DeepLink

    from lti_tool.lti.models import Platform
    from lti_tool.lti.registry import to_registration

    platform = db.get(Platform, demo.platform_id)
    registration = to_registration(db, platform)
    settings = request_claims[DL_SETTINGS]
    deep_link = DeepLink(registration, request_claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"], settings)
    token = deep_link.get_response_jwt(items)
    db.commit()
    return _path(settings["deep_link_return_url"]), token


def _resource(title: str, *, graded: bool):
    from pylti1p3.deep_link_resource import DeepLinkResource
    from pylti1p3.lineitem import LineItem

    resource = DeepLinkResource().set_title(title).set_custom_params({"leerpaspoort_kind": "reflection"})
    if graded:
        resource.set_lineitem(LineItem().set_score_maximum(10).set_label(title))
    return resource


def test_deep_link_return_stores_the_item_and_its_gradebook_column(client, db, demo, demo_user):
    from lti_tool.demo.models import DemoCourseItem, DemoLineItem

    answer = demo_user.authenticate("Add activity (deep linking)")
    request_claims = jwt.decode(answer["id_token"], options={"verify_signature": False})
    assert request_claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingRequest"
    return_path, token = _deep_link_response(db, demo, request_claims, [_resource("Weekly reflection", graded=True)])

    response = client.post(return_path, data={"JWT": token})

    assert response.status_code == 200, response.get_data(as_text=True)
    db.expire_all()
    item = db.scalars(select(DemoCourseItem).where(DemoCourseItem.title == "Weekly reflection")).one()
    assert item.custom == {"leerpaspoort_kind": "reflection"}
    column = db.scalars(select(DemoLineItem).where(DemoLineItem.course_item_id == item.id)).one()
    assert column.score_maximum == 10
    page = demo_user.course_page()
    assert "Weekly reflection" in page
    assert "leerpaspoort_kind=reflection" in page


def test_deep_linked_item_launches_as_learner_with_its_custom_parameters_and_line_item(client, db, demo, demo_user):
    answer = demo_user.authenticate("Add activity (deep linking)")
    request_claims = jwt.decode(answer["id_token"], options={"verify_signature": False})
    return_path, token = _deep_link_response(db, demo, request_claims, [_resource("Ungraded note", graded=False)])
    assert client.post(return_path, data={"JWT": token}).status_code == 200

    launch = demo_user.authenticate("Launch as learner")
    body = jwt.decode(launch["id_token"], options={"verify_signature": False})

    assert body["https://purl.imsglobal.org/spec/lti/claim/resource_link"]["title"] == "Ungraded note"
    assert body["https://purl.imsglobal.org/spec/lti/claim/custom"]["leerpaspoort_kind"] == "reflection"
    assert "lineitem" not in body[AGS_CLAIM]
    assert client.post("/lti/launch", data=launch).status_code == 302


def test_deep_link_return_refuses_a_replayed_response(client, db, demo, demo_user):
    answer = demo_user.authenticate("Add activity (deep linking)")
    request_claims = jwt.decode(answer["id_token"], options={"verify_signature": False})
    return_path, token = _deep_link_response(db, demo, request_claims, [_resource("Once", graded=False)])
    assert client.post(return_path, data={"JWT": token}).status_code == 200

    again = client.post(return_path, data={"JWT": token})

    assert again.status_code == 400


def test_deep_link_return_refuses_a_response_that_does_not_echo_data(client, db, demo, demo_user):
    from lti_tool.demo.models import DemoCourseItem

    answer = demo_user.authenticate("Add activity (deep linking)")
    request_claims = jwt.decode(answer["id_token"], options={"verify_signature": False})
    request_claims[DL_SETTINGS] = {**request_claims[DL_SETTINGS], "data": "something else"}
    return_path, token = _deep_link_response(db, demo, request_claims, [_resource("Tampered", graded=False)])

    response = client.post(return_path, data={"JWT": token})

    assert response.status_code == 400
    assert "data" in response.get_data(as_text=True)
    db.expire_all()
    assert db.scalars(select(DemoCourseItem).where(DemoCourseItem.title == "Tampered")).first() is None


def test_deep_link_return_refuses_a_jwt_not_signed_by_the_tool(client, db, demo, demo_user):
    from tests.support.platform import new_rsa_key, pem

    answer = demo_user.authenticate("Add activity (deep linking)")
    request_claims = jwt.decode(answer["id_token"], options={"verify_signature": False})
    return_path, token = _deep_link_response(db, demo, request_claims, [_resource("Forged", graded=False)])
    header = jwt.get_unverified_header(token)
    forged = jwt.encode(jwt.decode(token, options={"verify_signature": False}), pem(new_rsa_key()), algorithm="RS256", headers={"kid": header["kid"]})

    response = client.post(return_path, data={"JWT": forged})

    assert response.status_code == 400
    assert "Signature" in response.get_data(as_text=True)


def test_token_endpoint_issues_a_bearer_token_for_a_valid_assertion(client, db, demo):
    response = _token(client, _tool_assertion(db, demo), "https://purl.imsglobal.org/spec/lti-ags/scope/score")

    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def test_token_endpoint_rejects_an_assertion_signed_with_another_key(client, db, demo):
    from tests.support.platform import new_rsa_key, pem

    response = _token(client, _tool_assertion(db, demo, key_pem=pem(new_rsa_key())), "https://purl.imsglobal.org/spec/lti-ags/scope/score")

    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"


def test_token_endpoint_rejects_a_replayed_assertion(client, db, demo):
    assertion = _tool_assertion(db, demo)
    assert _token(client, assertion, "https://purl.imsglobal.org/spec/lti-ags/scope/score").status_code == 200

    again = _token(client, assertion, "https://purl.imsglobal.org/spec/lti-ags/scope/score")

    assert again.status_code == 401
    assert again.get_json()["error"] == "invalid_client"


def test_token_endpoint_rejects_an_assertion_for_another_audience(client, db, demo):
    response = _token(client, _tool_assertion(db, demo, aud="https://elsewhere.example/token"), "https://purl.imsglobal.org/spec/lti-ags/scope/score")

    assert response.status_code == 401


def test_scores_endpoint_requires_a_later_timestamp_to_the_second(client, db, demo):
    headers = {**_bearer(client, db, demo, "https://purl.imsglobal.org/spec/lti-ags/scope/score"), "Content-Type": SCORE_TYPE}
    url = f"/demo/ags/lineitems/{_built_in_line_item(db, demo).id}/lineitem/scores?type_id=1"
    first = datetime(2026, 11, 23, 10, 0, 0, 100000, tzinfo=timezone.utc)

    assert client.post(url, json=_score(when=first), headers=headers).status_code == 204
    assert client.post(url, json=_score(when=first), headers=headers).status_code == 409
    assert client.post(url, json=_score(when=first + timedelta(milliseconds=800)), headers=headers).status_code == 409
    assert client.post(url, json=_score(when=first - timedelta(seconds=5)), headers=headers).status_code == 409
    assert client.post(url, json=_score(when=first + timedelta(seconds=1), scoreGiven=9), headers=headers).status_code == 204


def test_scores_endpoint_refuses_a_user_who_is_not_an_enrolled_learner(client, db, demo):
    headers = {**_bearer(client, db, demo, "https://purl.imsglobal.org/spec/lti-ags/scope/score"), "Content-Type": SCORE_TYPE}
    url = f"/demo/ags/lineitems/{_built_in_line_item(db, demo).id}/lineitem/scores"

    assert client.post(url, json=_score(user_id="3"), headers=headers).status_code == 400
    assert client.post(url, json=_score(user_id="999"), headers=headers).status_code == 400


def test_scores_endpoint_refuses_a_token_without_the_score_scope(client, db, demo):
    headers = {**_bearer(client, db, demo, "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"), "Content-Type": SCORE_TYPE}
    url = f"/demo/ags/lineitems/{_built_in_line_item(db, demo).id}/lineitem/scores"

    assert client.post(url, json=_score(), headers=headers).status_code == 401
    assert client.post(url, json=_score()).status_code == 401


def test_gradebook_shows_only_fully_graded_scores(client, db, demo):
    headers = {**_bearer(client, db, demo, "https://purl.imsglobal.org/spec/lti-ags/scope/score"), "Content-Type": SCORE_TYPE}
    url = f"/demo/ags/lineitems/{_built_in_line_item(db, demo).id}/lineitem/scores"
    assert client.post(url, json=_score(user_id="4", scoreGiven=8.5), headers=headers).status_code == 204
    assert client.post(url, json=_score(user_id="5", scoreGiven=3, gradingProgress="Pending"), headers=headers).status_code == 204

    page = client.get("/demo").get_data(as_text=True)
    gradebook = page.split('data-testid="gradebook"', 1)[1].split("</table>", 1)[0]

    sam = gradebook.split("Sam Student", 1)[1].split("</tr>", 1)[0]
    lotte = gradebook.split("Lotte de Vries", 1)[1].split("</tr>", 1)[0]
    assert "85.0" in sam
    assert "30.0" not in lotte and "Pending" in lotte


def test_line_items_can_be_listed_and_created(client, db, demo):
    headers = _bearer(client, db, demo, "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem")
    created = client.post(
        "/demo/ags/lineitems?type_id=1",
        json={"label": "Extra", "scoreMaximum": 20, "tag": "extra"},
        headers={**headers, "Content-Type": "application/vnd.ims.lis.v2.lineitem+json"},
    )
    assert created.status_code == 201
    assert created.get_json()["id"].endswith("/lineitem?type_id=1")

    listed = client.get("/demo/ags/lineitems?tag=extra", headers=headers)

    assert listed.status_code == 200
    assert listed.mimetype == "application/vnd.ims.lis.v2.lineitemcontainer+json"
    assert [item["label"] for item in listed.get_json()] == ["Extra"]


def test_nrps_lists_the_roster_with_short_role_names_and_pages_with_a_link_header(client, db, demo):
    headers = _bearer(client, db, demo, "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly")

    everyone = client.get("/demo/nrps/memberships", headers=headers)
    learners = client.get("/demo/nrps/memberships?role=http://purl.imsglobal.org/vocab/lis/v2/membership%23Learner", headers=headers)
    first_page = client.get("/demo/nrps/memberships?limit=2", headers=headers)

    assert everyone.mimetype == "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    members = everyone.get_json()["members"]
    assert {m["name"]: m["roles"] for m in members}["Terry Teacher"] == ["Instructor"]
    assert {m["name"]: m["roles"] for m in members}["Sam Student"] == ["Learner"]
    assert {m["name"] for m in learners.get_json()["members"]} == {"Sam Student", "Lotte de Vries", "Ahmed Yilmaz"}
    assert len(first_page.get_json()["members"]) == 2
    assert 'rel="next"' in first_page.headers["Link"]
