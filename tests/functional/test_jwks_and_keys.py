"""Our published keys (rotation, retirement) and how we fetch and cache the platform's keys.

Security Framework 1.0 §6: key sets are public, private keys never leave the tool, and a
rotated-out key stays published until platforms have had time to refetch.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta

import jwt
import pytest
from jwt.algorithms import RSAAlgorithm
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from lti_tool.db import utcnow
from lti_tool.lti import keys
from lti_tool.lti.models import ACTIVE, Platform, PlatformKeySetCache, ToolKey
from lti_tool.lti.registry import to_registration
from tests.support.platform import LocalServer, new_rsa_key

LEARNER = "launch-learner-resource-link"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def published(client) -> dict[str, dict]:
    response = client.get("/lti/jwks")
    assert response.status_code == 200
    return {key["kid"]: key for key in response.get_json()["keys"]}


def signed_by_us(db, platform_row) -> str:
    """A deep-linking response as pylti1p3 signs it with our current registration key."""
    registration = to_registration(db, platform_row)
    settings = {"deep_link_return_url": "http://127.0.0.1/return", "accept_types": ["ltiResourceLink"], "data": "d"}
    resource = DeepLinkResource().set_url("http://localhost/lti/launch").set_title("Portfolio")
    return DeepLink(registration, "1", settings).get_response_jwt([resource])


def verify_with_published(client, token: str) -> dict:
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = published(client)[kid]
    return jwt.decode(token, RSAAlgorithm.from_jwk(json.dumps(jwk)), algorithms=["RS256"], options={"verify_aud": False})


# --- Our key set ------------------------------------------------------------------------------------


def test_jwks_publishes_the_active_key_with_kid_alg_and_use_and_no_private_parts(client, db):
    keys_by_kid = published(client)
    active = keys.signing_key(db)
    assert list(keys_by_kid) == [active.kid]
    jwk = keys_by_kid[active.kid]
    assert (jwk["kty"], jwk["alg"], jwk["use"]) == ("RSA", "RS256", "sig")
    assert jwk["n"] and jwk["e"] == "AQAB"
    assert not PRIVATE_MEMBERS & set(jwk)
    assert "PRIVATE" not in client.get("/lti/jwks").get_data(as_text=True)


def test_jwks_is_cacheable_by_platforms(client):
    response = client.get("/lti/jwks")
    assert response.headers["Content-Type"].startswith("application/json")
    assert "max-age=" in response.headers["Cache-Control"]


def test_jwks_keeps_the_same_key_across_requests(client):
    assert published(client).keys() == published(client).keys()


def test_rotation_keeps_the_old_public_key_published_and_signs_with_the_new(client, db, platform):
    old = keys.ensure_signing_key(db).kid
    db.commit()
    new = keys.rotate_keys(db).kid
    db.commit()
    assert set(published(client)) == {old, new}
    platform_row = db.scalars(select(Platform)).one()
    token = signed_by_us(db, platform_row)
    assert jwt.get_unverified_header(token)["kid"] == new
    claims = verify_with_published(client, token)
    assert claims["iss"] == platform.client_id
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"


def test_retiring_removes_rotated_out_keys_from_the_jwks(client, db):
    old = keys.ensure_signing_key(db).kid
    new = keys.rotate_keys(db).kid
    db.commit()
    assert keys.retire_keys(db) == [old]
    db.commit()
    assert list(published(client)) == [new]
    assert db.scalars(select(ToolKey).filter_by(kid=old)).one().retired_at is not None


def test_retiring_one_key_by_kid_leaves_the_others(client, db):
    first = keys.ensure_signing_key(db).kid
    second = keys.rotate_keys(db).kid
    third = keys.rotate_keys(db).kid
    db.commit()
    assert keys.retire_keys(db, first) == [first]
    db.commit()
    assert set(published(client)) == {second, third}


def test_retiring_the_active_key_is_refused(client, db):
    active = keys.ensure_signing_key(db).kid
    db.commit()
    with pytest.raises(keys.KeyError_, match="active signing key cannot be retired"):
        keys.retire_keys(db, active)
    db.rollback()
    assert list(published(client)) == [active]
    assert db.scalars(select(ToolKey).filter_by(kid=active)).one().status == ACTIVE


def test_retiring_an_unknown_kid_is_refused(db):
    keys.ensure_signing_key(db)
    with pytest.raises(keys.KeyError_, match="No published key with kid nope"):
        keys.retire_keys(db, "nope")


def test_retiring_with_nothing_rotated_out_retires_nothing(db):
    keys.ensure_signing_key(db)
    assert keys.retire_keys(db) == []


# --- The platform's key set ------------------------------------------------------------------------------


def test_platform_key_set_is_cached_for_its_max_age(launcher):
    assert launcher.launch(LEARNER).status_code == 302
    assert launcher.launch(LEARNER).status_code == 302
    assert launcher.platform.jwks_hits == 1


@pytest.mark.parametrize("cache_control", ["max-age=0", "no-store", "no-cache"])
def test_platform_key_set_that_may_not_be_cached_is_fetched_for_every_launch(launcher, cache_control):
    launcher.platform.jwks_headers = {"Cache-Control": cache_control}
    assert launcher.launch(LEARNER).status_code == 302
    assert launcher.launch(LEARNER).status_code == 302
    assert launcher.platform.jwks_hits == 2


def test_platform_key_set_is_refetched_once_its_max_age_has_passed(launcher, db):
    assert launcher.launch(LEARNER).status_code == 302
    db.execute(update(PlatformKeySetCache).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert launcher.launch(LEARNER).status_code == 302
    assert launcher.platform.jwks_hits == 2


def test_platform_key_set_without_cache_headers_is_kept_for_a_default_time(launcher, db):
    launcher.platform.jwks_headers = {}
    assert launcher.launch(LEARNER).status_code == 302
    cached = db.scalars(select(PlatformKeySetCache)).one()
    assert 0 < (cached.expires_at - cached.fetched_at).total_seconds() <= 3600
    assert launcher.launch(LEARNER).status_code == 302
    assert launcher.platform.jwks_hits == 1


def test_a_key_rotated_at_the_platform_is_picked_up_by_refetching_on_the_new_kid(launcher, db):
    assert launcher.launch(LEARNER).status_code == 302
    # Later, within the cached key set's max-age, the platform rotates its key.
    db.execute(update(PlatformKeySetCache).values(fetched_at=utcnow() - timedelta(seconds=60)))
    db.commit()
    launcher.platform.key, launcher.platform.kid = new_rsa_key(), "platform-rotated"
    assert launcher.launch(LEARNER).status_code == 302
    assert launcher.platform.jwks_hits == 2
    assert launcher.launch(LEARNER).status_code == 302
    assert launcher.platform.jwks_hits == 2


def test_platform_key_set_cache_survives_a_refused_launch(launcher, db):
    response = launcher.launch(LEARNER, lambda body: body.update({"https://purl.imsglobal.org/spec/lti/claim/version": "1.1"}))
    assert response.status_code == 400
    assert db.scalars(select(PlatformKeySetCache)).one().url == launcher.platform.jwks_url


def test_inline_platform_key_set_is_used_without_any_fetch(launcher, db):
    from tests.support.platform import public_jwk

    db.execute(
        update(Platform).values(key_set={"keys": [public_jwk(launcher.platform.key, launcher.platform.kid)]})
    )
    db.commit()
    assert launcher.launch(LEARNER).status_code == 302
    assert launcher.platform.jwks_hits == 0


@pytest.fixture
def silent_platform():
    """A key set URL that accepts the connection and never answers in time."""
    release = threading.Event()

    def hang(request):
        release.wait(timeout=30)
        return Response("{}", content_type="application/json")

    with LocalServer(hang) as server:
        yield server
        release.set()


@pytest.fixture
def impatient_launcher(settings_overrides, platform):
    from lti_tool import create_app
    from tests.conftest import Launcher

    application = create_app({**settings_overrides, "lti_jwks_timeout": 0.5})
    yield Launcher(application.test_client(), platform)
    application.extensions["leerpaspoort.engine"].dispose()


def test_platform_whose_key_set_does_not_answer_gives_a_400_within_the_timeout(
    impatient_launcher, silent_platform, db, caplog
):
    db.execute(update(Platform).values(key_set_url=silent_platform.base_url + "/certs"))
    db.commit()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="lti_tool.errors"):
        response = impatient_launcher.launch(LEARNER)
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert "open this activity again" in response.get_data(as_text=True)
    assert elapsed < 5
    assert any("could not fetch the platform key set" in r.getMessage() for r in caplog.records)
    assert len(silent_platform.requests) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, "oops"), (200, "<html>not json</html>"), (200, '{"no_keys": []}'), (404, "gone")],
)
def test_platform_with_a_broken_key_set_gives_a_400(launcher, db, caplog, status, body):
    with LocalServer(lambda request: Response(body, status=status)) as broken:
        db.execute(update(Platform).values(key_set_url=broken.base_url + "/certs"))
        db.commit()
        with caplog.at_level(logging.WARNING, logger="lti_tool.errors"):
            response = launcher.launch(LEARNER)
    assert response.status_code == 400
    assert any("platform key set" in r.getMessage() for r in caplog.records)
