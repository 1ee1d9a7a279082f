"""pylti1p3 service objects that keep nothing in cookies or the Flask session.

Our launch validation keeps state and nonce in the database itself (see launch.py), so
the library's own session and cookie services are replaced by ones that store nothing.
"""

from __future__ import annotations

from pylti1p3.cookie import CookieService
from pylti1p3.session import SessionService


class NullSessionService(SessionService):
    def __init__(self):  # noqa: D107 - no request-bound storage
        pass

    def save_launch_data(self, key, jwt_body):
        pass

    def set_state_valid(self, state, id_token_hash):
        pass

    def check_state_is_valid(self, state, id_token_hash):
        return False


class NoCookieService(CookieService):
    def __init__(self, request):
        self._request = request

    def get_cookie(self, name):
        return None

    def set_cookie(self, name, value, exp=3600):
        pass
