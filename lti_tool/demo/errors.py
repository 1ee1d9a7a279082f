"""The demo platform's refusals: a page for the browser, JSON for the service endpoints."""

from __future__ import annotations

from lti_tool.errors import DomainError


class DemoError(DomainError):
    """A request to the demo platform's browser-facing endpoints that it refuses."""

    status = 400


class DemoServiceError(DomainError):
    """A refused call to the demo's service endpoints (token, AGS, NRPS), answered as JSON."""

    def __init__(self, status: int, message: str, oauth_error: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.oauth_error = oauth_error
