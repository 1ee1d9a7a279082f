"""The negative matrix: every launch we must refuse gets a 400 page, a logged reason, and no writes.

Rules from LTI 1.3 core §5.1 and the 1EdTech Security Framework 1.0 §5.1.3 (id_token validation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from sqlalchemy import inspect, select, text, update

from lti_tool.db import utcnow
from lti_tool.lti.models import PENDING, Deployment, LoginState, PlatformKeySetCache
from tests.conftest import TOOL_BASE_URL, Launcher
from tests.support.platform import TestPlatform, new_rsa_key

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "launch-learner-resource-link"
DEEP_LINKING = "launch-instructor-deep-linking-request"
WHAT_TO_DO = "open this activity again"
# Bookkeeping the refused launch may touch: the platform's key set cache is fetched
# before the token can be judged, and is kept even when the launch is refused.
INFRASTRUCTURE = {"platform_key_set_cache", "alembic_version"}
PROVISIONED = ("users", "memberships", "contexts", "resource_links", "launch_records", "session_tickets")


def row_counts(app) -> dict[str, int]:
    """Count the rows of every table in the database (every model's and the LRS's)."""
    engine = app.extensions["leerpaspoort.engine"]
    names = sorted(set(inspect(engine).get_table_names()) - INFRASTRUCTURE)
    with engine.connect() as connection:
        return {name: connection.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one() for name in names}


def login_states(app) -> dict[str, object]:
    engine = app.extensions["leerpaspoort.engine"]
    with engine.connect() as connection:
        return dict(connection.execute(select(LoginState.state, LoginState.used_at)).all())


def without(claim: str, inside: str | None = None):
    """A mutation that drops a claim (or a key of a claim object) from the token body."""

    def drop(body: dict) -> None:
        (body[inside] if inside else body).pop(claim)

    return drop


def token_from_parts(header: dict, body: dict, signature: bytes = b"") -> str:
    def encode(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return ".".join([encode(json.dumps(header).encode()), encode(json.dumps(body).encode()), encode(signature)])


class Refusal:
    """Posts one launch and checks it was refused cleanly: 400, reason logged, nothing written."""

    def __init__(self, app, launcher: Launcher, caplog):
        self.app = app
        self.launcher = launcher
        self.caplog = caplog

    def post(self, id_token: str | None, state: str | None, reason: str, **expect):
        data = {key: value for key, value in (("id_token", id_token), ("state", state)) if value is not None}
        return self.check(lambda: self.launcher.client.post("/lti/launch", data=data), reason, **expect)

    def launch(self, fixture_name: str, reason: str, mutate=None, allowed_writes=None, **sign_options):
        auth = self.launcher.login()
        body = self.launcher.claims(fixture_name, auth["nonce"])
        if mutate:
            body = mutate(body) or body
        token = self.launcher.platform.sign(body, **sign_options)
        return self.post(token, auth["state"], reason, allowed_writes=allowed_writes)

    def check(self, send, reason: str, *, allowed_writes: dict[str, int] | None = None):
        before_counts, before_states = row_counts(self.app), login_states(self.app)
        self.caplog.clear()
        with self.caplog.at_level(logging.WARNING, logger="lti_tool.errors"):
            response = send()
        page = response.get_data(as_text=True)
        assert response.status_code == 400, page
        assert WHAT_TO_DO in page and "could not be opened" in page
        refusals = [r.getMessage() for r in self.caplog.records if r.getMessage().startswith("LTI launch refused")]
        assert len(refusals) == 1 and reason in refusals[0], refusals
        after_counts = row_counts(self.app)
        expected = dict(before_counts)
        for table, added in (allowed_writes or {}).items():
            expected[table] += added
        assert after_counts == expected
        for table in PROVISIONED:
            assert after_counts[table] == before_counts[table], table
        assert login_states(self.app) == before_states, "the login state must not be consumed"
        return response


@pytest.fixture
def refusal(app, launcher, caplog):
    return Refusal(app, launcher, caplog)


@pytest.fixture
def tool_with(settings_overrides, platform):
    """Build another app on the same database with some settings changed, and a launcher for it."""
    from lti_tool import create_app

    built = []

    def build(**overrides):
        application = create_app({**settings_overrides, **overrides})
        built.append(application)
        return application, Launcher(application.test_client(), platform)

    yield build
    for application in built:
        application.extensions["leerpaspoort.engine"].dispose()


# --- The signature and the key ---------------------------------------------------------------


def test_token_signed_by_another_key_under_the_platforms_kid_is_refused(refusal):
    refusal.launch(LEARNER, "Signature verification failed", key=new_rsa_key())


def test_unknown_kid_refetches_the_key_set_once_and_not_again_within_the_interval(app, launcher, refusal, db):
    assert launcher.launch(LEARNER).status_code == 302
    assert launcher.platform.jwks_hits == 1
    # Time passes beyond the refetch interval since the key set was fetched.
    db.execute(update(PlatformKeySetCache).values(fetched_at=utcnow() - timedelta(seconds=60)))
    db.commit()
    refusal.launch(LEARNER, "no key with kid 'rotated-away'", kid="rotated-away")
    assert launcher.platform.jwks_hits == 2
    refusal.launch(LEARNER, "key set refetched moments ago", kid="rotated-away")
    assert launcher.platform.jwks_hits == 2


def test_unsigned_token_with_alg_none_is_refused(refusal, launcher):
    auth = launcher.login()
    body = launcher.claims(LEARNER, auth["nonce"])
    token = token_from_parts({"alg": "none", "typ": "JWT", "kid": launcher.platform.kid}, body)
    refusal.post(token, auth["state"], "signed with 'none', only RS256 is accepted")


def test_hs256_token_keyed_with_the_platforms_public_key_is_refused(refusal, launcher):
    auth = launcher.login()
    body = launcher.claims(LEARNER, auth["nonce"])
    header = {"alg": "HS256", "typ": "JWT", "kid": launcher.platform.kid}
    unsigned = token_from_parts(header, body).rsplit(".", 1)[0]
    public_pem = launcher.platform.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signature = hmac.new(public_pem, unsigned.encode(), hashlib.sha256).digest()
    token = unsigned + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    refusal.post(token, auth["state"], "signed with 'HS256', only RS256 is accepted")


# --- Issuer, audience, authorised party ---------------------------------------------------------


def test_token_from_an_unregistered_issuer_is_refused(refusal):
    refusal.launch(LEARNER, "no active registration for issuer 'https://evil.example'", lambda b: b.update(iss="https://evil.example"))


def test_token_for_another_client_id_is_refused(refusal):
    refusal.launch(LEARNER, "no active registration for issuer", lambda b: b.update(aud="someone-else"))


def test_token_with_several_audiences_and_no_azp_is_refused(refusal, launcher):
    refusal.launch(LEARNER, "several audiences but no azp", lambda b: b.update(aud=[launcher.platform.client_id, "other-tool"]))


def test_token_whose_azp_is_not_an_audience_is_refused(refusal, launcher):
    refusal.launch(LEARNER, "azp is not one of the audiences", lambda b: b.update(azp="other-tool"))


def test_token_whose_azp_names_another_audience_is_refused(refusal, launcher):
    def other_party(body):
        body.update(aud=[launcher.platform.client_id, "other-tool"], azp="other-tool")

    refusal.launch(LEARNER, "client id 'other-tool'", other_party)


def test_token_with_several_audiences_and_our_azp_is_accepted(launcher):
    def shared(body):
        body.update(aud=[launcher.platform.client_id, "other-tool"], azp=launcher.platform.client_id)

    assert launcher.launch(LEARNER, shared).status_code == 302


# --- Times ---------------------------------------------------------------------------------------


def test_token_expired_beyond_the_leeway_is_refused(refusal):
    now = int(time.time())
    refusal.launch(LEARNER, "id_token expired", lambda b: b.update(iat=now - 200, exp=now - 61))


def test_token_expired_within_the_leeway_is_accepted(launcher):
    now = int(time.time())
    assert launcher.launch(LEARNER, lambda b: b.update(iat=now - 120, exp=now - 30)).status_code == 302


def test_token_issued_in_the_future_beyond_the_leeway_is_refused(refusal):
    now = int(time.time())
    refusal.launch(LEARNER, "not yet valid (iat)", lambda b: b.update(iat=now + 300, exp=now + 400))


def test_token_issued_slightly_in_the_future_within_the_leeway_is_accepted(launcher):
    now = int(time.time())
    assert launcher.launch(LEARNER, lambda b: b.update(iat=now + 30, exp=now + 90)).status_code == 302


def test_a_smaller_clock_leeway_setting_is_honoured(tool_with):
    app, strict = tool_with(lti_clock_leeway=0)
    now = int(time.time())
    response = strict.launch(LEARNER, lambda b: b.update(iat=now - 120, exp=now - 30))
    assert response.status_code == 400


# --- Nonce and state -------------------------------------------------------------------------------


def test_second_post_of_the_same_id_token_and_state_is_refused(launcher, refusal, app):
    auth = launcher.login()
    token = launcher.platform.sign(launcher.claims(LEARNER, auth["nonce"]))
    assert launcher.post_launch(token, auth["state"]).status_code == 302
    refusal.post(token, auth["state"], "state already used (replayed launch)")


def test_nonce_other_than_the_one_issued_with_the_state_is_refused(refusal):
    refusal.launch(LEARNER, "nonce does not match", lambda b: b.update(nonce="a-nonce-we-never-issued"))


def test_token_without_a_nonce_is_refused(refusal):
    refusal.launch(LEARNER, "no nonce", without("nonce"))


def test_nonce_of_another_login_is_refused(launcher, refusal):
    other = launcher.login()
    refusal.launch(LEARNER, "nonce does not match", lambda b: b.update(nonce=other["nonce"]))


def test_launch_without_state_is_refused(launcher, refusal):
    auth = launcher.login()
    token = launcher.platform.sign(launcher.claims(LEARNER, auth["nonce"]))
    refusal.post(token, None, "missing state parameter")


def test_launch_with_a_state_we_never_issued_is_refused(launcher, refusal):
    auth = launcher.login()
    token = launcher.platform.sign(launcher.claims(LEARNER, auth["nonce"]))
    refusal.post(token, "state-forged", "unknown state")


def test_state_of_another_platforms_login_is_refused(launcher, refusal, db):
    with TestPlatform(client_id="second-client") as other:
        other.register_in(db)
        other_login = Launcher(launcher.client, other).login()
        token = launcher.platform.sign(launcher.claims(LEARNER, other_login["nonce"]))
        refusal.post(token, other_login["state"], "another registration than the login")


def test_expired_login_state_is_refused(launcher, refusal, db, app):
    auth = launcher.login()
    ttl = app.extensions["leerpaspoort.settings"].lti_login_state_ttl
    db.execute(update(LoginState).values(created_at=utcnow() - timedelta(seconds=ttl + 5)))
    db.commit()
    token = launcher.platform.sign(launcher.claims(LEARNER, auth["nonce"]))
    refusal.post(token, auth["state"], "state expired")


# --- Deployments ------------------------------------------------------------------------------------


def test_unknown_deployment_is_held_for_approval_and_approving_lets_the_next_launch_in(
    tool_with, caplog, settings_overrides, db, monkeypatch
):
    app, held = tool_with(lti_unknown_deployments="hold")
    refusal = Refusal(app, held, caplog)

    def deployment_9(body):
        body[LTI + "deployment_id"] = "9"

    refusal.launch(LEARNER, "deployment '9' is held for approval", deployment_9, allowed_writes={"deployments": 1})
    pending = db.scalars(select(Deployment).filter_by(deployment_id="9")).one()
    assert pending.status == PENDING
    # Still held: a second launch is refused and writes nothing more.
    refusal.launch(LEARNER, "deployment '9' is waiting for approval", deployment_9)

    from lti_tool.cli import main

    for key, value in settings_overrides.items():
        monkeypatch.setenv("LEERPASPOORT_" + key.upper(), str(value))
    platform = held.platform
    result = CliRunner().invoke(
        main,
        ["platform", "approve", "--issuer", platform.issuer, "--client-id", platform.client_id, "--deployment-id", "9"],
    )
    assert result.exit_code == 0, result.output
    assert held.launch(LEARNER, deployment_9).status_code == 302


# --- Version, message type and required claims ---------------------------------------------------------


def test_wrong_lti_version_is_refused(refusal):
    refusal.launch(LEARNER, "unsupported LTI version '1.1'", lambda b: b.update({LTI + "version": "1.1"}))


def test_unsupported_message_type_is_refused(refusal):
    refusal.launch(
        LEARNER, "unsupported message type 'LtiSubmissionReviewRequest'",
        lambda b: b.update({LTI + "message_type": "LtiSubmissionReviewRequest"}),
    )


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        (LTI + "message_type", "unsupported message type None"),
        (LTI + "version", "unsupported LTI version None"),
        (LTI + "deployment_id", "no deployment_id"),
        (LTI + "target_link_uri", "required claim missing: " + LTI + "target_link_uri"),
        (LTI + "roles", "required claim missing: " + LTI + "roles"),
        ("sub", 'missing the "sub" claim'),
    ],
)
def test_resource_link_launch_missing_a_required_claim_is_refused(refusal, claim, reason):
    refusal.launch(LEARNER, reason, without(claim))


def test_resource_link_launch_without_a_resource_link_id_is_refused(refusal):
    refusal.launch(LEARNER, "resource_link.id missing", without("id", inside=LTI + "resource_link"))


def test_resource_link_launch_without_a_resource_link_claim_is_refused(refusal):
    refusal.launch(LEARNER, "resource_link.id missing", without(LTI + "resource_link"))


def test_launch_with_an_empty_sub_is_refused(refusal):
    refusal.launch(LEARNER, "sub missing or empty", lambda b: b.update(sub=""))


def test_roles_that_are_not_a_list_are_refused(refusal):
    refusal.launch(LEARNER, "roles claim is not a list", lambda b: b.update({LTI + "roles": "Learner"}))


def test_deep_linking_request_without_its_settings_is_refused(refusal):
    refusal.launch(
        DEEP_LINKING,
        "required claim missing: https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings",
        without("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"),
    )


# --- Malformed posts ------------------------------------------------------------------------------------


def test_id_token_with_two_parts_is_refused(launcher, refusal):
    auth = launcher.login()
    token = launcher.platform.sign(launcher.claims(LEARNER, auth["nonce"]))
    refusal.post(token.rsplit(".", 1)[0], auth["state"], "JWT must contain 3 parts")


def test_id_token_that_is_not_base64_json_is_refused(launcher, refusal):
    auth = launcher.login()
    refusal.post("!!!.@@@.###", auth["state"], "can't be decoded")


def test_launch_without_an_id_token_is_refused(launcher, refusal):
    auth = launcher.login()
    refusal.post(None, auth["state"], '"id_token" field is empty')


def test_launch_with_nothing_posted_is_refused(refusal):
    refusal.post(None, None, "missing state parameter")


def test_launch_by_get_is_not_allowed(client):
    assert client.get("/lti/launch").status_code == 405


# --- Login initiation (LTI 1.3 core §5.1.1) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "reason"),
    [("iss", "without iss"), ("login_hint", "without login_hint"), ("target_link_uri", "without target_link_uri")],
)
def test_login_initiation_missing_a_parameter_is_refused(launcher, refusal, missing, reason):
    form = launcher.platform.login_form(TOOL_BASE_URL)
    form.pop(missing)
    refusal.check(lambda: launcher.client.post("/lti/login", data=form), reason)


def test_login_initiation_from_an_unknown_issuer_is_refused(launcher, refusal):
    form = launcher.platform.login_form(TOOL_BASE_URL)
    form["iss"] = "https://unknown.example"
    refusal.check(lambda: launcher.client.post("/lti/login", data=form), "unregistered issuer 'https://unknown.example'")


def test_login_initiation_with_an_unknown_client_id_is_refused(launcher, refusal):
    form = launcher.platform.login_form(TOOL_BASE_URL)
    form["client_id"] = "not-ours"
    refusal.check(lambda: launcher.client.get("/lti/login", query_string=form), "unregistered issuer")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/lti/launch", "http://localhost.evil.example/lti/launch", "//evil.example/x", "https://localhost/lti/launch"],
)
def test_login_initiation_targeting_another_origin_is_refused(launcher, refusal, target):
    form = launcher.platform.login_form(TOOL_BASE_URL)
    form["target_link_uri"] = target
    response = refusal.check(lambda: launcher.client.post("/lti/login", data=form), "is not on this tool")
    assert "Location" not in response.headers
