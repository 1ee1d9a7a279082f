"""The LRS authenticates every request with its Basic credentials: it neither reads nor renews the
signed-cookie session of the pages, so a browser module's requests leave that session alone."""

from __future__ import annotations

from datetime import timedelta

from tests.functional.test_session_renewal import COOKIE, session_cookie_set, signed_cookie
from tests.xapi.conftest import make_statement


def test_an_lrs_answer_neither_renews_nor_varies_on_the_session_cookie(app, lrs):
    old_enough = signed_cookie(app, {"_permanent": True, "locale": "nl"}, timedelta(hours=1))
    lrs.client.set_cookie(COOKIE, old_enough)

    stored = lrs.post("statements", json_body=make_statement())

    assert stored.status_code == 200
    assert session_cookie_set(stored) is None
    assert "Cookie" not in stored.headers.get("Vary", "")
    # The same cookie on a page is renewed: the pages keep their sliding session.
    assert session_cookie_set(lrs.client.get("/lti/jwks")) is not None


def test_an_lrs_error_answer_leaves_the_session_alone(app, lrs):
    lrs.client.set_cookie(COOKIE, signed_cookie(app, {"_permanent": True}, timedelta(hours=1)))

    refused = lrs.without_auth().post("statements", json_body=make_statement())

    assert refused.status_code == 401
    assert session_cookie_set(refused) is None
    assert "Cookie" not in refused.headers.get("Vary", "")
