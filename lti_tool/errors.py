"""One place that turns exceptions into responses: JSON for /xapi, HTML pages elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, g, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of the application's own errors; each subclass carries its HTTP status."""

    status = 400


class LaunchError(DomainError):
    """A launch we refuse; `reason` is logged for the administrator, never shown."""

    status = 400

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NotFoundError(DomainError):
    status = 404


class ForbiddenError(DomainError):
    status = 403


def _is_xapi_request() -> bool:
    return request.path == "/xapi" or request.path.startswith("/xapi/")


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def _render(status: int, **context):
    template = f"errors/{status}.html" if status in {400, 401, 403, 404, 405, 413} else "errors/generic.html"
    return render_template(template, status=status, **context), status


def init_app(app: Flask) -> None:
    @app.errorhandler(LaunchError)
    def launch_error(exc: LaunchError):
        _rollback()
        log.warning("LTI launch refused: %s", exc.reason)
        return _render(400, launch_failed=True)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        _rollback()
        return _render(exc.status, message=str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        _rollback()
        if _is_xapi_request():
            from xapi.errors import http_error_response

            return http_error_response(exc)
        return _render(exc.code or 500, message=exc.description)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        _rollback()
        log.exception("Unhandled error on %s %s", request.method, request.path)
        if _is_xapi_request():
            from xapi.errors import http_error_response

            return http_error_response(InternalServerError())
        return _render(500)
