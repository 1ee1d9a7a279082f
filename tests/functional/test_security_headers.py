"""Headers that keep the tool safe inside an LMS iframe."""

from __future__ import annotations

import pytest

from lti_tool import create_app


def test_pages_carry_csp_nosniff_and_no_store(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_registered_platform_origins_may_frame_the_tool(client, platform):
    csp = client.get("/").headers["Content-Security-Policy"]
    frame_ancestors = csp.split("frame-ancestors", 1)[1]
    assert "'self'" in frame_ancestors
    assert platform.server.base_url in frame_ancestors


def test_session_cookie_is_lax_over_plain_http(launcher):
    response = launcher.launch("launch-learner-resource-link")
    enter = launcher.client.get(response.headers["Location"])
    cookie = enter.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie
    assert "HttpOnly" in cookie
    assert "Secure" not in cookie


@pytest.fixture
def https_app(settings_overrides):
    application = create_app({**settings_overrides, "base_url": "https://leerpaspoort.example.nl"})
    yield application
    application.extensions["leerpaspoort.engine"].dispose()


def test_session_cookie_is_partitioned_and_cross_site_over_https(https_app):
    with https_app.test_request_context("/", base_url="https://leerpaspoort.example.nl"):
        from flask import session

        session["probe"] = "1"
        response = https_app.make_response("ok")
        https_app.session_interface.save_session(https_app, session, response)
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=None" in cookie
    assert "Secure" in cookie
    assert "Partitioned" in cookie
