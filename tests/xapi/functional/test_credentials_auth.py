"""Authentication of LRS requests: Basic key/secret, digests, scopes, limits, expiry, revocation."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from xapi.auth import credential_pepper, digest_secret, require_credential
from xapi.errors import ForbiddenError, UnauthorizedError

LEARNER = {"objectType": "Agent", "mbox": "mailto:learner@example.nl"}


def basic(key, secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def authenticate(app, headers, *scopes, method="GET"):
    with app.test_request_context("/xapi/statements", method=method, headers=headers):
        return require_credential(*scopes)


def test_missing_authorization_is_401_with_basic_challenge(app):
    with pytest.raises(UnauthorizedError) as raised:
        authenticate(app, {})
    assert raised.value.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "header",
    ["Bearer abc", "Basic", "Basic !!!not-base64", "Basic " + base64.b64encode(b"no-colon").decode()],
)
def test_malformed_authorization_is_401(app, header):
    with pytest.raises(UnauthorizedError):
        authenticate(app, {"Authorization": header})


def test_wrong_secret_and_unknown_key_are_401(app, make_credential):
    credential = make_credential()
    with pytest.raises(UnauthorizedError):
        authenticate(app, basic(credential.key, credential.secret + "x"))
    with pytest.raises(UnauthorizedError):
        authenticate(app, basic("unknown-key", credential.secret))


def test_valid_pair_authenticates_with_tenant_and_authority(app, make_credential):
    credential = make_credential(["statements/write"], tenant_id=7, name="Storyline course")
    found = authenticate(app, basic(credential.key, credential.secret), "statements/write", method="POST")
    assert found.tenant_id == 7
    assert found.authority["objectType"] == "Agent"
    assert found.authority["account"]["name"] == credential.key
    assert found.authority["name"] == "Storyline course"


def test_only_a_keyed_digest_of_the_secret_is_stored(app, db, make_credential):
    from xapi.models import CredentialRecord

    credential = make_credential()
    record = db.scalars(select(CredentialRecord).where(CredentialRecord.key == credential.key)).one()
    assert credential.secret not in record.secret_digest
    assert record.secret_digest == digest_secret(credential_pepper(app), credential.secret)
    assert record.secret_digest != digest_secret(b"another pepper", credential.secret)


def test_missing_scope_is_403(app, make_credential):
    credential = make_credential(["statements/write"])
    with pytest.raises(ForbiddenError):
        authenticate(app, basic(credential.key, credential.secret), "statements/read")


def test_all_read_covers_reads_but_not_writes(app, make_credential):
    credential = make_credential(["all/read"])
    assert authenticate(app, basic(credential.key, credential.secret), "state", method="GET")
    with pytest.raises(ForbiddenError):
        authenticate(app, basic(credential.key, credential.secret), "state", method="PUT")


def test_statements_read_implies_read_mine_but_not_the_reverse(app, make_credential):
    reader = make_credential(["statements/read"])
    found = authenticate(app, basic(reader.key, reader.secret), "statements/read/mine")
    assert not found.reads_only_own_statements
    mine = make_credential(["statements/read/mine"])
    with pytest.raises(ForbiddenError):
        authenticate(app, basic(mine.key, mine.secret), "statements/read")
    assert authenticate(app, basic(mine.key, mine.secret), "statements/read/mine").reads_only_own_statements


def test_expired_credential_is_401(app, make_credential):
    past = datetime.now(timezone.utc) - timedelta(hours=2)
    credential = make_credential(expires_at=past + timedelta(hours=1), now=past)
    with pytest.raises(UnauthorizedError, match="expired"):
        authenticate(app, basic(credential.key, credential.secret))


def test_revoked_credential_is_401_at_once_even_after_being_cached(app, db, make_credential):
    from xapi.credentials import revoke_credential

    credential = make_credential()
    assert authenticate(app, basic(credential.key, credential.secret))
    revoke_credential(db, credential.key)
    db.commit()
    with pytest.raises(UnauthorizedError, match="revoked"):
        authenticate(app, basic(credential.key, credential.secret))


def test_actor_and_registration_limits_are_carried(app, make_credential):
    registration = "6f1c2d8e-0b4a-4c1e-9a77-2f5e3d1b0c9a"
    credential = make_credential(actor=LEARNER, registration=registration.upper())
    found = authenticate(app, basic(credential.key, credential.secret))
    assert found.permits_agent({"mbox": "mailto:learner@example.nl", "name": "Other name"})
    assert not found.permits_agent({"mbox": "mailto:someone@example.nl"})
    assert found.permits_registration(registration)
    assert not found.permits_registration(None)


def test_issue_scoped_credential_expires_after_its_ttl(app, db):
    from xapi.credentials import CredentialError, issue_scoped_credential

    with app.app_context():  # the pepper comes from the running application, as during a launch
        issued = issue_scoped_credential(db, 3, LEARNER, None, ["statements/write", "state"], timedelta(minutes=5))
    db.commit()
    found = authenticate(app, basic(issued.key, issued.secret), "state")
    assert found.tenant_id == 3 and found.actor_key is not None
    assert timedelta(minutes=4) < found.expires_at - datetime.now(timezone.utc) <= timedelta(minutes=5)
    with pytest.raises(CredentialError):
        issue_scoped_credential(db, 3, None, None, ["state"], timedelta(minutes=5))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"scopes": ["statements/delete"]}, "Unknown scope"),
        ({"name": " "}, "name"),
        ({"actor": {"name": "no identifier"}}, "identifier"),
        ({"registration": "not-a-uuid"}, "UUID"),
    ],
)
def test_invalid_credential_requests_are_refused(db, kwargs, message):
    from xapi.credentials import CredentialError, create_credential

    arguments = {"tenant_id": 1, "name": "x", "pepper": b"p"} | kwargs
    with pytest.raises(CredentialError, match=message):
        create_credential(db, **arguments)


def test_the_pepper_follows_the_configured_keys(app):
    derived = credential_pepper(app)
    app.config["SECRET_KEY"] = "another secret key"
    assert credential_pepper(app) not in (derived, b"another secret key")
    app.config["XAPI_CREDENTIAL_PEPPER"] = "an explicit pepper"
    assert credential_pepper(app) == b"an explicit pepper"
    app.config["XAPI_CREDENTIAL_PEPPER"] = None
    app.config["SECRET_KEY"] = None
    with pytest.raises(RuntimeError, match="SECRET_KEY or XAPI_CREDENTIAL_PEPPER"):
        credential_pepper(app)
