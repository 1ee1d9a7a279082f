"""xAPI errors: exception classes with their status, and the JSON responses for /xapi."""

from __future__ import annotations

import json

from flask import Response
from werkzeug.exceptions import HTTPException

VERSION_HEADER = "X-Experience-API-Version"
CURRENT_VERSION = "1.0.3"


class XAPIError(Exception):
    """Base of the LRS's errors; `status` is the HTTP status the client receives."""

    status = 400

    def __init__(self, message: str, *, headers: dict[str, str] | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        # Extra members of the JSON error object, e.g. the offending property and the rule it broke.
        self.details = details or {}


class BadRequestError(XAPIError):
    status = 400


class StatementRejectedError(BadRequestError):
    """A statement (or a request about statements) broke a rule; names the property and the rule."""

    def __init__(self, message: str, *, property: str, rule: str):
        super().__init__(message, details={"property": property, "rule": rule})
        self.property = property
        self.rule = rule


class ParameterError(BadRequestError):
    """A query (or alternate-syntax form) parameter is missing, unknown, repeated or malformed."""

    def __init__(self, parameter: str, rule: str):
        super().__init__(f"Parameter '{parameter}': {rule}", details={"parameter": parameter, "rule": rule})
        self.parameter = parameter
        self.rule = rule


class UnauthorizedError(XAPIError):
    status = 401

    def __init__(self, message: str = "Authentication is required (HTTP Basic with an LRS key and secret)."):
        super().__init__(message, headers={"WWW-Authenticate": 'Basic realm="xAPI"'})


class ForbiddenError(XAPIError):
    status = 403


class NotFoundError(XAPIError):
    status = 404


class ConflictError(XAPIError):
    status = 409


class PreconditionFailedError(XAPIError):
    status = 412


class PayloadTooLargeError(XAPIError):
    status = 413


class UnsupportedMediaTypeError(XAPIError):
    status = 415


def json_error(
    status: int, message: str, headers: dict[str, str] | None = None, details: dict | None = None
) -> Response:
    """Build the JSON error body every xAPI error shares."""
    body = json.dumps({"error": {"code": status, "message": message, **(details or {})}})
    response = Response(body, status=status, mimetype="application/json")
    response.headers[VERSION_HEADER] = CURRENT_VERSION
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def xapi_error_response(exc: XAPIError) -> Response:
    """Turn one of our errors into its JSON response."""
    return json_error(exc.status, exc.message, exc.headers, exc.details)


def http_error_response(exc: HTTPException) -> Response:
    """Turn a werkzeug HTTP error under /xapi (routing 404, 405, 413, 500) into JSON."""
    status = exc.code or 500
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    message = exc.description if status < 500 else "The LRS could not process this request."
    return json_error(status, message or exc.name, headers)
