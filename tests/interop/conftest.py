"""Interoperability fixtures: our tool served on 127.0.0.1, and lti1p3platform as the platform."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import pytest
import requests

from tests.support.independent_platform import IndependentPlatform, PlannedLaunch, form_fields
from tests.support.live_server import serve_app


@dataclass
class ServedTool:
    base_url: str
    app: object

    def session(self):
        from lti_tool.db import session_factory

        return session_factory(self.app)()


@pytest.fixture
def tool(database_url, tmp_path):
    """The tool on a real HTTP server: lti1p3platform fetches our key set over HTTP."""
    with serve_app(database_url, tmp_path / "instance", demo_enabled=False, default_locale="en") as served:
        yield ServedTool(served.base_url, served.app)


@pytest.fixture
def independent(tool):
    """lti1p3platform on its own port, registered in the tool as `platform add` would."""
    with IndependentPlatform(tool.base_url) as platform:
        session = tool.session()
        try:
            platform.register_in(session)
        finally:
            session.close()
        yield platform


class Browser:
    """A person's browser: follows the platform's login initiation through to the tool's first page."""

    def __init__(self, platform: IndependentPlatform):
        self.platform = platform
        self.http = requests.Session()

    def launch(self, planned: PlannedLaunch) -> requests.Response:
        """Run the whole launch and return the tool's id_token answer (the redirect to /lti/enter)."""
        login = self.http.get(self.platform.login_initiation_url(planned), allow_redirects=False, timeout=10)
        assert login.status_code == 302, login.text[:2000]
        assert login.headers["Location"].startswith(self.platform.auth_login_url)
        auth = self.http.get(login.headers["Location"], allow_redirects=False, timeout=10)
        assert auth.status_code == 200, auth.text
        action, fields = form_fields(auth.text)
        return self.http.post(action, data=fields, allow_redirects=False, timeout=10)

    def enter(self, planned: PlannedLaunch) -> requests.Response:
        """A complete launch ending on the tool's first page."""
        launched = self.launch(planned)
        assert launched.status_code == 302, launched.text[:2000]
        enter_url = urljoin(launched.url, launched.headers["Location"])
        hand_off = self.http.get(enter_url, timeout=10)
        assert hand_off.status_code == 200, hand_off.text[:2000]
        next_path = hand_off.text.split('data-next="', 1)[1].split('"', 1)[0]
        return self.http.get(urljoin(enter_url, next_path), timeout=10)


@pytest.fixture
def browser(independent):
    return Browser(independent)
