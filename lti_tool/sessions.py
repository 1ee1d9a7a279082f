"""Signed-cookie sessions whose sliding expiry is renewed every few minutes, not every request."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

from xapi.protocol import is_xapi_path

# An unchanged permanent session's cookie is signed and sent again once it is this old.
RENEW_AFTER = timedelta(minutes=5)


class SignedSession(SecureCookieSession):
    """A session that knows when its cookie was signed (None: new, or never signed)."""

    signed_at: datetime | None = None


class SlidingSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, renewing an unchanged cookie only when it is old enough.

    Flask signs a permanent session again and sends its cookie with every response
    (SESSION_REFRESH_EACH_REQUEST), so that it expires a lifetime after the last request
    rather than after sign-in. Serialising and signing on every response was about 4% of the
    Python calls of a launch, mostly for cookies signed a second earlier. Here an unchanged
    session's cookie is renewed only when it was signed RENEW_AFTER ago or longer: the session
    still expires PERMANENT_SESSION_LIFETIME after the last request, give or take RENEW_AFTER.
    A changed session is sent at once, as before.
    """

    session_class = SignedSession

    def open_session(self, app: Flask, request: Request) -> SignedSession | None:
        if is_xapi_path(request.path):
            # The LRS authenticates each request with Basic credentials and never uses the pages'
            # session: a null session is neither read nor saved, so an LRS answer does not renew
            # the cookie nor vary on it, and costs no session work (a few % of a single POST).
            return self.make_null_session(app)
        # Flask's own open_session, keeping the signature's timestamp; the serializer is built
        # only for a request that has a cookie.
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        serializer = self.get_signing_serializer(app)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: Flask, session: SignedSession) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or datetime.now(timezone.utc) - signed_at >= RENEW_AFTER
