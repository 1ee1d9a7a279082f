"""Response headers (CSP, framing, caching), the session cookie, CSRF protection and the login manager."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select

from lti_tool.sessions import SlidingSessionInterface
from lti_tool.settings import Settings

csrf = CSRFProtect()
login_manager = LoginManager()

# Frame ancestors change only when a platform is registered; a short cache keeps the
# query off every response without letting a new platform wait long.
_FRAME_ANCESTOR_TTL = 5.0


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"} and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def frame_ancestors() -> str:
    """The origins that may embed the tool: itself and every registered platform."""
    cache = current_app.extensions["leerpaspoort.frame_ancestor_cache"]
    cached = cache.get("value")
    if cached and cached[0] > time.monotonic():
        return cached[1]
    from lti_tool.db import get_session
    from lti_tool.lti.models import Platform

    urls = get_session().execute(select(Platform.issuer, Platform.auth_login_url)).all()
    origins = sorted({o for row in urls for o in map(origin_of, row) if o})
    value = " ".join(["'self'", *origins])
    cache["value"] = (time.monotonic() + _FRAME_ANCESTOR_TTL, value)
    return value


def init_app(app: Flask, settings: Settings) -> None:
    app.session_interface = SlidingSessionInterface()
    csrf.init_app(app)
    # Templates get the lazy proxy, not Flask-Login's context processor: that one loads the user
    # for every page rendered, even a page that never mentions them.
    login_manager.init_app(app, add_context_processor=False)
    app.jinja_env.globals["current_user"] = current_user
    login_manager.login_view = None
    app.extensions["leerpaspoort.frame_ancestor_cache"] = {}

    @login_manager.user_loader
    def load_user(user_id: str):
        from lti_tool.db import get_session
        from lti_tool.people.models import User

        return get_session().get(User, int(user_id)) if user_id.isdigit() else None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith("/xapi"):
            return response
        if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                "object-src 'none'; base-uri 'none'; form-action *; "
                f"frame-ancestors {frame_ancestors()}"
            )
        response.headers.setdefault("Cache-Control", "no-store")
        return response
