"""Launches shaped exactly like Moodle 4.5's, re-signed by a test platform."""

from __future__ import annotations

from sqlalchemy import func, select

from lti_tool.lti.models import Deployment, LaunchRecord, LoginState
from lti_tool.people.models import Context, Membership, ResourceLink, User


def test_login_initiation_redirects_to_the_platform_with_the_oidc_parameters(client, platform):
    response = client.post("/lti/login", data=platform.login_form("http://localhost"))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(platform.auth_login_url + "?")
    from tests.support.platform import auth_params

    params = auth_params(location)
    assert params["scope"] == "openid"
    assert params["response_type"] == "id_token"
    assert params["response_mode"] == "form_post"
    assert params["prompt"] == "none"
    assert params["client_id"] == platform.client_id
    assert params["redirect_uri"] == "http://localhost/lti/launch"
    assert params["login_hint"] == "4"
    assert params["lti_message_hint"] == '{"cmid":5,"launchid":"ltilaunch4_1896605444"}'
    assert params["state"] and params["nonce"]


def test_login_initiation_also_works_with_get(client, platform):
    response = client.get("/lti/login", query_string=platform.login_form("http://localhost"))
    assert response.status_code == 302


def test_each_login_gets_a_fresh_state_and_nonce(launcher, db):
    first, second = launcher.login(), launcher.login()
    assert first["state"] != second["state"] and first["nonce"] != second["nonce"]
    assert db.scalar(select(func.count()).select_from(LoginState)) == 2


def test_learner_launch_lands_on_the_portfolio_home_with_name_and_course(launcher, db):
    page = launcher.enter("launch-learner-resource-link")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Sam Student" in html
    assert "E-Portfolio 101" in html
    user = db.scalars(select(User)).one()
    assert (user.sub, user.email, user.given_name) == ("4", "student1@example.com", "Sam")
    membership = db.scalars(select(Membership)).one()
    assert membership.roles == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
    link = db.scalars(select(ResourceLink)).one()
    assert link.resource_link_id == "1"
    assert link.lineitem_url == "http://127.0.0.1:8080/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in link.ags_scopes
    context = db.scalars(select(Context)).one()
    assert context.nrps_url.endswith("/CourseSection/2/bindings/1/memberships")
    assert context.types == ["CourseSection"]


def test_instructor_launch_lands_on_the_course_view(launcher, db):
    page = launcher.enter("launch-instructor-resource-link")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "E-Portfolio 101" in html
    assert "Terry Teacher" in html
    context = db.scalars(select(Context)).one()
    assert page.request.path == f"/courses/{context.id}"


def test_site_administrator_launch_lands_on_the_overview(launcher, db):
    page = launcher.enter("launch-site-admin-resource-link")
    assert page.status_code == 200
    assert page.request.path == "/overview"
    admin = db.scalars(select(User)).one()
    assert "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator" in admin.institution_roles


def test_deep_linking_request_lands_on_the_picker(launcher, db):
    page = launcher.enter("launch-instructor-deep-linking-request")
    assert page.request.path.startswith("/lti/deep-link/")
    record = db.scalars(select(LaunchRecord)).one()
    assert record.message_type == "LtiDeepLinkingRequest"


def test_a_second_launch_updates_the_same_user_instead_of_adding_one(launcher, db):
    launcher.enter("launch-learner-resource-link")
    launcher.enter("launch-learner-resource-link")
    assert db.scalar(select(func.count()).select_from(User)) == 1
    assert db.scalar(select(func.count()).select_from(Membership)) == 1


def test_launch_without_name_claims_keeps_the_name_we_had(launcher, db):
    launcher.enter("launch-learner-resource-link")

    def anonymous(body):
        for claim in ("name", "given_name", "family_name", "email"):
            body.pop(claim)

    launcher.enter("launch-learner-resource-link", anonymous)
    assert db.scalars(select(User)).one().name == "Sam Student"


def test_unknown_deployment_is_registered_when_the_setting_accepts_it(launcher, db):
    def other_deployment(body):
        body["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = "7"

    launcher.enter("launch-learner-resource-link", other_deployment)
    ids = set(db.scalars(select(Deployment.deployment_id)))
    assert ids == {"1", "7"}


def test_session_ticket_is_single_use(launcher, client):
    response = launcher.launch("launch-learner-resource-link")
    ticket_url = response.headers["Location"]
    assert client.get(ticket_url).status_code == 200
    assert client.get(ticket_url).status_code == 400


def test_spare_ticket_opens_the_session_in_a_new_window(launcher, app):
    response = launcher.launch("launch-learner-resource-link")
    page = launcher.client.get(response.headers["Location"]).get_data(as_text=True)
    spare = page.split('target="_blank"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    fresh_browser = app.test_client()
    assert fresh_browser.get("/home").status_code == 401
    assert fresh_browser.get(spare).status_code == 200
    assert fresh_browser.get("/home").status_code == 200


def test_pages_need_a_session(client):
    assert client.get("/home").status_code == 401
    assert client.get("/overview").status_code == 401


def test_learner_cannot_open_the_course_view_or_overview(launcher, db):
    launcher.enter("launch-learner-resource-link")
    context = db.scalars(select(Context)).one()
    assert launcher.client.get(f"/courses/{context.id}").status_code == 403
    assert launcher.client.get("/overview").status_code == 403
