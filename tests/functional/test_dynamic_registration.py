"""Dynamic Registration against a fake Moodle 4.5 served on 127.0.0.1 (LTI-DR 1.0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.wrappers import Request, Response

from lti_tool.lti.models import ACTIVE, Deployment, Platform
from lti_tool.people.models import User
from tests.conftest import TOOL_BASE_URL, Launcher
from tests.support.platform import FIXTURES, TestPlatform
from tests.support.serving import free_port

CAPTURED_ISSUER = "http://127.0.0.1:8080"
CLIENT_ID = "hgdpvfLEGXEbpmx"
DEPLOYMENT_ID = "2"
CONFIG_PATH = "/mod/lti/openid-configuration.php"
REGISTRATION_PATH = "/mod/lti/openid-registration.php"
REGISTRATION_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZWdpc3RyYXRpb24ifQ.c2lnbmF0dXJl"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = {
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
}


def captured(name: str, origin: str) -> dict:
    """A captured Moodle document with the platform's origin moved to the local server."""
    return json.loads((FIXTURES / f"{name}.json").read_text().replace(CAPTURED_ISSUER, origin))


class RegisteringMoodle(TestPlatform):
    """A test platform that also serves Moodle's Dynamic Registration endpoints."""

    __test__ = False

    def __init__(self):
        super().__init__(client_id=CLIENT_ID, deployment_id=DEPLOYMENT_ID)
        self.configuration = captured("dynamic-registration-openid-configuration", self.server.base_url)
        self.answer = captured("dynamic-registration-response", self.server.base_url)
        self.registration_status = 200

    def _handle(self, request: Request) -> Response:
        if request.path == CONFIG_PATH:
            return Response(json.dumps(self.configuration), content_type="application/json")
        if request.path == REGISTRATION_PATH and request.method == "POST":
            if self.registration_status != 200:
                body = {"error": "invalid_token", "error_description": "registration token expired"}
                return Response(json.dumps(body), status=self.registration_status, content_type="application/json")
            return Response(json.dumps(self.answer), content_type="application/json")
        return super()._handle(request)

    @property
    def configuration_url(self) -> str:
        return self.server.base_url + CONFIG_PATH

    def registration_posts(self) -> list[dict]:
        return [r for r in self.server.requests if r["path"] == REGISTRATION_PATH]


@pytest.fixture
def moodle():
    with RegisteringMoodle() as platform:
        yield platform


def register(client, moodle, **params):
    query = {"openid_configuration": moodle.configuration_url, "registration_token": REGISTRATION_TOKEN}
    query.update(params)
    return client.get("/lti/register", query_string={k: v for k, v in query.items() if v is not None})


def stored(db) -> tuple[int, int]:
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(Platform)),
        db.scalar(select(func.count()).select_from(Deployment)),
    )


def test_registration_posts_spec_compliant_client_metadata_with_the_bearer_token(client, moodle):
    response = register(client, moodle)
    assert response.status_code == 200, response.get_data(as_text=True)
    [post] = moodle.registration_posts()
    assert post["headers"]["Authorization"] == "Bearer " + REGISTRATION_TOKEN
    assert post["headers"]["Content-Type"].startswith("application/json")
    body = json.loads(post["body"])
    assert body["application_type"] == "web"
    assert body["response_types"] == ["id_token"]
    assert set(body["grant_types"]) == {"implicit", "client_credentials"}
    assert body["initiate_login_uri"] == TOOL_BASE_URL + "/lti/login"
    assert body["redirect_uris"] == [TOOL_BASE_URL + "/lti/launch"]
    assert body["jwks_uri"] == TOOL_BASE_URL + "/lti/jwks"
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body["client_name"] == "Leerpaspoort"
    assert body["logo_uri"].startswith(TOOL_BASE_URL + "/static/")
    assert set(body["scope"].split(" ")) == SCOPES
    tool = body[TOOL_CONFIGURATION]
    assert tool["domain"] == "localhost"
    assert tool["target_link_uri"] == TOOL_BASE_URL + "/lti/launch"
    assert set(tool["claims"]) == {"iss", "sub", "name", "given_name", "family_name", "email"}
    assert tool["description"]
    messages = {m["type"]: m for m in tool["messages"]}
    assert set(messages) == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert messages["LtiDeepLinkingRequest"]["target_link_uri"] == TOOL_BASE_URL + "/lti/launch"
    assert messages["LtiDeepLinkingRequest"]["placements"] == ["ContentArea"]


def test_registration_without_a_token_posts_without_authorization(client, moodle):
    response = register(client, moodle, registration_token=None)
    assert response.status_code == 200
    [post] = moodle.registration_posts()
    assert "Authorization" not in post["headers"]


def test_registration_stores_an_active_platform_and_its_deployment(client, moodle, db):
    assert register(client, moodle).status_code == 200
    platform = db.scalars(select(Platform)).one()
    base = moodle.server.base_url
    assert platform.issuer == base
    assert platform.client_id == CLIENT_ID
    assert platform.auth_login_url == base + "/mod/lti/auth.php"
    assert platform.auth_token_url == base + "/mod/lti/token.php"
    assert platform.key_set_url == base + "/mod/lti/certs.php"
    assert platform.product_family == "moodle"
    assert platform.status == ACTIVE
    # Moodle granted lineitem.readonly too; we store what was granted.
    assert set(platform.granted_scopes.split(" ")) == SCOPES
    [deployment] = platform.deployments
    assert (deployment.deployment_id, deployment.status) == (DEPLOYMENT_ID, ACTIVE)


def test_registration_keeps_the_authorization_server_as_audience(client, moodle, db):
    moodle.configuration["authorization_server"] = moodle.server.base_url + "/oauth2"
    assert register(client, moodle).status_code == 200
    assert db.scalars(select(Platform)).one().auth_audience == moodle.server.base_url + "/oauth2"


def test_completion_page_closes_the_platform_frame_with_the_platform_origin(client, moodle):
    response = register(client, moodle)
    html = response.get_data(as_text=True)
    assert "Registration complete, you can close this window" in html
    assert f'data-platform-origin="{moodle.server.base_url}"' in html
    assert "/static/js/register-close.js" in html
    assert "Activate" in html
    assert "<script>" not in html
    # The platform is not registered when it opens the URL, yet it must be able to frame it.
    assert moodle.server.base_url in response.headers["Content-Security-Policy"].split("frame-ancestors", 1)[1]
    script = (Path(__file__).resolve().parents[2] / "static/js/register-close.js").read_text()
    assert "org.imsglobal.lti.close" in script
    assert "window.opener || window.parent" in script
    assert 'postMessage({ subject: "org.imsglobal.lti.close" }, done.dataset.platformOrigin)' in script


def test_registration_does_not_need_a_session_cookie(app, moodle):
    client = app.test_client(use_cookies=False)
    assert register(client, moodle).status_code == 200


def test_a_dynamically_registered_platform_can_launch_at_once(client, moodle, db):
    assert register(client, moodle).status_code == 200
    page = Launcher(client, moodle).enter("launch-learner-resource-link")
    assert page.status_code == 200
    assert "Sam Student" in page.get_data(as_text=True)
    user = db.scalars(select(User)).one()
    assert user.platform.client_id == CLIENT_ID


def test_registering_the_same_issuer_and_client_id_again_is_a_clear_error(client, moodle, db):
    assert register(client, moodle).status_code == 200
    again = register(client, moodle)
    assert again.status_code == 400
    assert "already registered" in again.get_data(as_text=True)
    assert stored(db) == (1, 1)


def test_missing_openid_configuration_is_refused_and_stores_nothing(client, db):
    response = client.get("/lti/register", query_string={"registration_token": REGISTRATION_TOKEN})
    assert response.status_code == 400
    assert "openid_configuration parameter is missing" in response.get_data(as_text=True)
    assert stored(db) == (0, 0)


def test_openid_configuration_that_is_not_a_url_is_refused(client, db):
    response = client.get("/lti/register", query_string={"openid_configuration": "file:///etc/passwd"})
    assert response.status_code == 400
    assert "is not an http(s) URL" in response.get_data(as_text=True)
    assert stored(db) == (0, 0)


def test_unreachable_openid_configuration_is_refused_and_stores_nothing(client, db):
    port = free_port()
    url = f"http://127.0.0.1:{port}/mod/lti/openid-configuration.php"
    response = client.get("/lti/register", query_string={"openid_configuration": url})
    assert response.status_code == 400
    assert "could not be fetched" in response.get_data(as_text=True)
    assert stored(db) == (0, 0)


def test_openid_configuration_answering_an_error_is_refused(client, moodle, db):
    response = register(client, moodle, openid_configuration=moodle.server.base_url + "/missing")
    assert response.status_code == 400
    assert "answered HTTP 404" in response.get_data(as_text=True)
    assert stored(db) == (0, 0)


def test_issuer_on_another_origin_than_the_configuration_url_is_refused(client, moodle, db):
    moodle.configuration["issuer"] = "https://moodle.example.org"
    response = register(client, moodle)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "https://moodle.example.org" in html and "does not match the origin" in html
    assert moodle.registration_posts() == []
    assert stored(db) == (0, 0)


def test_configuration_without_registration_endpoint_is_refused(client, moodle, db):
    del moodle.configuration["registration_endpoint"]
    response = register(client, moodle)
    assert response.status_code == 400
    assert "registration_endpoint" in response.get_data(as_text=True)
    assert stored(db) == (0, 0)


def test_configuration_that_is_not_an_lti_platform_is_refused_before_posting(client, moodle, db):
    del moodle.configuration["https://purl.imsglobal.org/spec/lti-platform-configuration"]
    response = register(client, moodle)
    assert response.status_code == 400
    assert "not an LTI platform configuration" in response.get_data(as_text=True)
    assert moodle.registration_posts() == []
    assert stored(db) == (0, 0)


def test_registration_endpoint_error_is_shown_with_its_status(client, moodle, db):
    moodle.registration_status = 401
    response = register(client, moodle)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "answered HTTP 401" in html and "registration token expired" in html
    assert stored(db) == (0, 0)


def test_registration_answer_without_tool_configuration_is_refused(client, moodle, db):
    del moodle.answer[TOOL_CONFIGURATION]
    response = register(client, moodle)
    assert response.status_code == 400
    assert "no LTI tool configuration" in response.get_data(as_text=True)
    assert stored(db) == (0, 0)


def test_error_page_can_be_framed_by_the_platform_that_opened_it(client, moodle):
    moodle.registration_status = 500
    response = register(client, moodle)
    assert response.status_code == 400
    assert moodle.server.base_url in response.headers["Content-Security-Policy"]
