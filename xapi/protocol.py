"""What every /xapi request and response shares: version header, CORS, alternate request syntax.

- Versioning (1.0.3 Communication 3.3, IEEE 9274.1.1 Communication 3.3): every request except
  `about` must send X-Experience-API-Version 1.0, 1.0.x, 2.0 or 2.0.x (else 400). The answer is
  "2.0.0" to a 2.0 client and "1.0.3" to everyone else, on every response including errors and
  routing 404/405. The negotiated version is in `flask.g.xapi_version` (see negotiated_version()).
- CORS (1.0.3 Communication Appendix C): any origin may call the LRS from a browser; preflights
  are answered without credentials; responses expose the headers xAPI clients read.
- Alternate request syntax (1.0.3 Communication 1.3): `POST ...?method=PUT` with the headers,
  parameters and `content` in a form body is rewritten into the normal request before routing,
  by a WSGI middleware. 2.0 removed the syntax, so a 2.0 request using it is a 400.
- Responses are never cached (Cache-Control: no-store): module content revalidates documents
  on its own otherwise, and learner data has no business in shared caches.
- Unknown query parameters are refused (Communication 3.2.s3.b7), except the cache-busting one
  that xapijs clients (@xapi/xapi, @xapi/cmi5) add to reads: 3.2.s3.b8 lets an LRS recognise
  parameters outside the spec, and this one is recognised by being dropped before routing.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from typing import Callable, Collection
from urllib.parse import parse_qsl, urlencode

from flask import Flask, Response, g, request

from xapi.auth import current_credential
from xapi.blueprint import bp
from xapi.errors import CURRENT_VERSION, VERSION_HEADER, BadRequestError, ParameterError, XAPIError
from xapi.validation import (
    StatementValidationError,
    parse_timestamp,
    validate_activity_id,
    validate_agent,
    validate_uuid,
)

VERSION_1 = "1.0.3"
VERSION_2 = "2.0.0"
# Every version a 1.0.x client may meet in GET /about; "1.0.3" is the latest patch (2.8.s5.b1).
VERSIONS_1 = ("1.0.0", "1.0.1", "1.0.2", "1.0.3")
_VERSION_1_HEADER = re.compile(r"1\.0(?:\.\d+)?\Z")
_VERSION_2_HEADER = re.compile(r"2\.0(?:\.\d+)?\Z")

PREFIX = "/xapi"
ABOUT_PATH = PREFIX + "/about"

# Appendix C / Communication 1.2: what browser clients send and need to read back.
CORS_ALLOW_HEADERS = (
    "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, "
    "Accept, Accept-Language, Content-Length, X-Requested-With"
)
CORS_EXPOSE_HEADERS = (
    "ETag, Last-Modified, Content-Type, Content-Length, Location, WWW-Authenticate, "
    "X-Experience-API-Consistent-Through, X-Experience-API-Version"
)
CORS_ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
CORS_MAX_AGE = "7200"

# Communication 1.3.s3.b6: the headers a client may send as form parameters instead.
ALTERNATE_HEADER_PARAMETERS = {
    "authorization": "HTTP_AUTHORIZATION",
    "x-experience-api-version": "HTTP_X_EXPERIENCE_API_VERSION",
    "content-type": "CONTENT_TYPE",
    "content-length": "CONTENT_LENGTH",
    "if-match": "HTTP_IF_MATCH",
    "if-none-match": "HTTP_IF_NONE_MATCH",
}
ALTERNATE_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})
# `useCacheBuster: true` in @xapi/xapi and @xapi/cmi5 appends cachebuster=<milliseconds> to a GET.
CACHE_BUSTING_PARAMETER = "cachebuster"
READ_METHODS = frozenset({"GET", "HEAD"})
ALTERNATE_SYNTAX_KEY = "xapi.alternate_syntax"
ALTERNATE_ERROR_KEY = "xapi.alternate_syntax_error"
FORM_TYPE = "application/x-www-form-urlencoded"


def is_xapi_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def negotiate_version(header: str | None) -> str | None:
    """Return the version to answer a request's X-Experience-API-Version with, or None if unsupported."""
    if header is None:
        return None
    value = header.strip()
    if _VERSION_2_HEADER.match(value):
        return VERSION_2
    if _VERSION_1_HEADER.match(value):
        return VERSION_1
    return None


def negotiated_version() -> str:
    """The xAPI version of the current request ("1.0.3" or "2.0.0"), for validation and responses."""
    return g.get("xapi_version", CURRENT_VERSION)


# --- alternate request syntax -----------------------------------------------------------------


class AlternateRequestSyntax:
    """WSGI middleware: turn a 1.0.x alternate-syntax request into the request it stands for.

    A problem found here cannot be answered here (the JSON error and CORS headers come from the
    app), so it is left in the environ and raised by the first before-request hook.
    """

    def __init__(self, wsgi_app: Callable, max_content_length: Callable[[], int | None]):
        self.wsgi_app = wsgi_app
        self.max_content_length = max_content_length

    def __call__(self, environ, start_response):
        # A preflight carries the real request's query string; it is answered as it is.
        if is_xapi_path(environ.get("PATH_INFO", "")) and environ.get("REQUEST_METHOD") != "OPTIONS":
            query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            if any(name == "method" for name, _ in query):
                try:
                    self._rewrite(environ, query)
                except _AlternateSyntaxProblem as problem:
                    environ[ALTERNATE_ERROR_KEY] = (problem.status, str(problem))
            _drop_cache_buster(environ)
        return self.wsgi_app(environ, start_response)

    def _rewrite(self, environ, query: list[tuple[str, str]]) -> None:
        if environ.get("REQUEST_METHOD", "").upper() != "POST":
            raise _AlternateSyntaxProblem("The alternate request syntax (a 'method' parameter) must be sent as POST.")
        if len(query) != 1:
            others = sorted({name for name, _ in query if name != "method"}) or ["method"]
            raise _AlternateSyntaxProblem(
                "With the alternate request syntax the query string holds only 'method'; send "
                f"{', '.join(others)} as form parameters instead (Communication 1.3.s3.b3)."
            )
        method = query[0][1].strip().upper()
        if method not in ALTERNATE_METHODS:
            raise _AlternateSyntaxProblem(f"'method' must be one of GET, HEAD, PUT, POST or DELETE (got {query[0][1]!r}).")
        form = self._read_form(environ)

        headers: dict[str, str] = {}
        parameters: list[tuple[str, str]] = []
        content: str | None = None
        for name, value in form:
            lowered = name.lower()
            if lowered in ALTERNATE_HEADER_PARAMETERS:
                if lowered in headers:
                    raise _AlternateSyntaxProblem(f"The form parameter {name!r} is given more than once.")
                headers[lowered] = value
            elif name == "content":
                if content is not None:
                    raise _AlternateSyntaxProblem("The form parameter 'content' is given more than once.")
                content = value
            else:
                # 1.3.s3.b14: every other form parameter is a query string parameter.
                parameters.append((name, value))

        # A header the client's HTTP stack really sent wins over its form stand-in; the form only
        # carries what the client could not set (XDomainRequest, a form posted on window close).
        version = environ.get("HTTP_X_EXPERIENCE_API_VERSION") or headers.get("x-experience-api-version")
        if negotiate_version(version) == VERSION_2:
            raise _AlternateSyntaxProblem(
                "xAPI 2.0 removed the alternate request syntax; send a normal "
                f"{method} request with headers instead."
            )
        for lowered in ("authorization", "x-experience-api-version", "if-match", "if-none-match"):
            key = ALTERNATE_HEADER_PARAMETERS[lowered]
            if lowered in headers and not environ.get(key):
                environ[key] = headers[lowered]

        body = (content or "").encode("utf-8")  # 1.3.s3.b5: content is a UTF-8 string
        if content is not None:
            # The form's Content-Type describes the content; the request's own one described the form.
            environ["CONTENT_TYPE"] = headers.get("content-type") or "application/json"
        else:
            environ.pop("CONTENT_TYPE", None)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["REQUEST_METHOD"] = method
        environ["QUERY_STRING"] = urlencode(parameters)
        environ[ALTERNATE_SYNTAX_KEY] = True

    def _read_form(self, environ) -> list[tuple[str, str]]:
        content_type = (environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise _AlternateSyntaxProblem("The Content-Length header is not a number.") from None
        limit = self.max_content_length()
        if limit is not None and length > limit:
            raise _AlternateSyntaxProblem("The request is larger than this LRS accepts.", status=413)
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        if not raw:
            return []
        if content_type and content_type != FORM_TYPE:
            raise _AlternateSyntaxProblem(
                f"An alternate-syntax request must be sent as {FORM_TYPE} (got {content_type})."
            )
        try:
            return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise _AlternateSyntaxProblem(
                f"The body is not {FORM_TYPE} form data (name=value pairs, URL-encoded as UTF-8)."
            ) from None


def _drop_cache_buster(environ) -> None:
    """Remove a read's cache-busting parameter, so every resource sees only the spec's parameters."""
    if environ.get("REQUEST_METHOD", "").upper() not in READ_METHODS:
        return
    raw = environ.get("QUERY_STRING", "")
    if CACHE_BUSTING_PARAMETER not in raw:
        return
    query = parse_qsl(raw, keep_blank_values=True)
    kept = [(name, value) for name, value in query if name != CACHE_BUSTING_PARAMETER]
    if len(kept) != len(query):
        environ["QUERY_STRING"] = urlencode(kept)


class _AlternateSyntaxProblem(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class _AlternateSyntaxError(XAPIError):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@bp.record_once
def _install_middleware(state) -> None:
    app: Flask = state.app
    app.wsgi_app = AlternateRequestSyntax(app.wsgi_app, lambda: app.config.get("MAX_CONTENT_LENGTH"))


# --- hooks on every request under /xapi ---------------------------------------------------------


def _preflight_response() -> Response:
    """Answer a CORS preflight: no credentials or version header are needed for it."""
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = CORS_ALLOW_METHODS
    response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    response.headers["Allow"] = CORS_ALLOW_METHODS
    return response


@bp.before_app_request
def check_protocol():
    """Refuse what no resource may accept before any view runs (and before authentication)."""
    if not is_xapi_path(request.path):
        return None
    problem = request.environ.get(ALTERNATE_ERROR_KEY)
    if problem is not None:
        raise _AlternateSyntaxError(*problem)
    if request.method == "OPTIONS":
        return _preflight_response()
    header = request.headers.get(VERSION_HEADER)
    version = negotiate_version(header)
    if request.path.rstrip("/") == ABOUT_PATH:
        # 2.8.s5.b4: about is how a client finds the version to speak, so it never refuses one.
        g.xapi_version = version or VERSION_1
        return None
    if header is None:
        raise BadRequestError(
            f"Every request must send the {VERSION_HEADER} header (e.g. {VERSION_HEADER}: 1.0.3); "
            "GET /xapi/about lists the versions this LRS speaks."
        )
    if version is None:
        raise BadRequestError(
            f"{VERSION_HEADER} {header!r} is not supported; send 1.0.x (e.g. 1.0.3) or 2.0.0."
        )
    g.xapi_version = version
    return None


@bp.after_app_request
def add_protocol_headers(response: Response) -> Response:
    """Version, caching and CORS headers on every /xapi response, errors and 404s included."""
    if not is_xapi_path(request.path):
        return response
    response.headers[VERSION_HEADER] = negotiated_version()
    response.headers["Cache-Control"] = "no-store"
    origin = request.headers.get("Origin")
    if origin:
        # Credentials are Basic auth in a header, not cookies; echoing the origin (rather than
        # "*") lets clients that set withCredentials work too.
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
        response.vary.add("Origin")
    return response


# --- query parameters (Communication 3.2.s3.b7/b8) ----------------------------------------------


def ignores_unknown_parameters() -> bool:
    """True when this request's credential is a module launch's (limited to one actor and one registration).

    Tin Can players (TinCanJS, and the Storyline and Captivate players built on it) send every
    parameter of their launch URL they do not know, such as the module's own `?lang=nl`, on each
    LRS request as "extended" parameters. The content cannot be changed, so for a launch's own
    credential the LRS recognises them and ignores them (Communication 3.2.s3.b8 lets an LRS
    recognise parameters the specification does not define). Any other credential keeps the
    strict 400 of 3.2.s3.b7, so a client's typo is still reported.
    """
    credential = current_credential()
    return credential is not None and credential.actor is not None and credential.registration is not None


def unknown_parameters(known: Collection[str]) -> list[str]:
    """The request's query parameter names outside `known` that must be refused (see above)."""
    unknown = sorted(set(request.args) - set(known))
    return unknown if unknown and not ignores_unknown_parameters() else []


def query_parameters(allowed: frozenset[str] | set[str]) -> dict[str, str]:
    """Return the request's query parameters, refusing unknown (or wrongly cased) and repeated ones."""
    values: dict[str, str] = {}
    lenient = None
    for name, value in request.args.items(multi=True):
        if name not in allowed:
            if lenient is None:
                lenient = ignores_unknown_parameters()
            if lenient:
                continue
            hint = next((known for known in allowed if known.lower() == name.lower()), None)
            rule = f"not a parameter of this resource; did you mean '{hint}'? (names are case-sensitive)" if hint else (
                f"not a parameter of this resource (allowed: {', '.join(sorted(allowed))})"
            )
            raise ParameterError(name, rule)
        if name in values:
            raise ParameterError(name, "given more than once")
        values[name] = value
    return values


def required_parameter(values: dict[str, str], name: str) -> str:
    """Return a required parameter, refusing it when it is missing or empty."""
    value = values.get(name)
    if value is None:
        raise ParameterError(name, "required")
    if value == "":
        raise ParameterError(name, "must not be empty")
    return value


def parse_activity_id(value: str, name: str = "activityId") -> str:
    """An Activity id parameter: an IRI (Data 2.4.4.1.s3)."""
    try:
        validate_activity_id(value, name)
    except StatementValidationError as exc:
        raise ParameterError(name, exc.rule) from None
    return value


_JSON_KINDS = {list: "a JSON array", str: "a JSON string", int: "a number", float: "a number", bool: "true/false", type(None): "null"}


def _reject_json_constant(constant: str):
    raise ValueError(f"{constant} is not JSON")


def parse_agent(value: str, name: str = "agent") -> dict:
    """An agent parameter: a JSON Agent object with exactly one identifier (not a Group)."""
    try:
        agent = json.loads(value, parse_constant=_reject_json_constant)
    except ValueError:
        raise ParameterError(name, "must be an Agent object as JSON, e.g. {\"mbox\": \"mailto:learner@example.com\"}") from None
    if not isinstance(agent, dict):
        raise ParameterError(name, f"must be a JSON Agent object, not {_JSON_KINDS.get(type(agent), 'a JSON value')}")
    try:
        validate_agent(agent, version=negotiated_version(), path=name, allow_group=False)
    except StatementValidationError as exc:
        raise ParameterError(exc.path, exc.rule) from None
    return agent


def parse_registration(value: str, name: str = "registration") -> str:
    """A registration parameter: a UUID, returned in lower case."""
    try:
        validate_uuid(value, name)
    except StatementValidationError as exc:
        raise ParameterError(name, exc.rule) from None
    return value.lower()


def parse_since(value: str, name: str = "since") -> datetime:
    """A timestamp parameter as an aware UTC datetime (2.0 requires a time zone offset)."""
    try:
        return parse_timestamp(value, version=negotiated_version(), path=name)
    except StatementValidationError as exc:
        raise ParameterError(name, exc.rule) from None
