"""Sessions slide: an unchanged session's cookie is renewed once it is RENEW_AFTER old, a changed
one at once, and the lifetime still counts from the last renewal (lti_tool/sessions.py)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner

from lti_tool import sessions

COOKIE = "leerpaspoort_session"


def signed_cookie(app, data: dict, age: timedelta) -> str:
    """A session cookie as this app would have signed it `age` ago."""
    serializer = app.session_interface.get_signing_serializer(app)
    signed_at = int(time.time() - age.total_seconds())
    original = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: signed_at
    try:
        return serializer.dumps(data)
    finally:
        TimestampSigner.get_timestamp = original


def session_cookie_set(response) -> str | None:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{COOKIE}=")]
    return cookies[0] if cookies else None


@pytest.fixture
def visit(app):
    client = app.test_client()

    def get(cookie: str | None):
        if cookie is not None:
            client.set_cookie(COOKIE, cookie)
        return client.get("/lti/jwks")

    return get


def test_a_fresh_unchanged_session_is_not_sent_again(app, visit):
    cookie = signed_cookie(app, {"_permanent": True, "locale": "nl"}, timedelta(seconds=10))
    assert session_cookie_set(visit(cookie)) is None


def test_an_unchanged_session_is_renewed_once_old_enough(app, visit):
    cookie = signed_cookie(app, {"_permanent": True, "locale": "nl"}, sessions.RENEW_AFTER + timedelta(seconds=1))
    renewed = session_cookie_set(visit(cookie))
    assert renewed is not None
    assert "Expires=" in renewed
    value = renewed.split(";", 1)[0].split("=", 1)[1]
    data, signed_at = app.session_interface.get_signing_serializer(app).loads(value, return_timestamp=True)
    assert data == {"_permanent": True, "locale": "nl"}
    assert time.time() - signed_at.timestamp() < 60


def test_a_session_that_is_not_permanent_is_never_renewed(app, visit):
    cookie = signed_cookie(app, {"locale": "nl"}, timedelta(hours=1))
    assert session_cookie_set(visit(cookie)) is None


def test_a_changed_session_is_sent_at_once(app):
    cookie = signed_cookie(app, {"_permanent": True, "locale": "nl"}, timedelta(seconds=10))
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}={cookie}"}):
        from flask import session

        session["locale"] = "en"
        response = app.make_response("ok")
        app.session_interface.save_session(app, session, response)
    sent = session_cookie_set(response)
    assert sent is not None
    value = sent.split(";", 1)[0].split("=", 1)[1]
    assert app.session_interface.get_signing_serializer(app).loads(value)["locale"] == "en"


@pytest.mark.parametrize(
    "cookie",
    [
        lambda app: signed_cookie(app, {"_permanent": True, "_user_id": "1"}, timedelta(hours=8, seconds=5)),
        lambda app: signed_cookie(app, {"_permanent": True, "_user_id": "1"}, timedelta(seconds=10))[:-2] + "xx",
    ],
    ids=["past its lifetime", "tampered"],
)
def test_expired_or_tampered_cookies_give_an_empty_session(app, cookie):
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}={cookie(app)}"}):
        from flask import session

        assert dict(session) == {}
