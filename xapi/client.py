"""A client for another LRS (pull and forward), built on the `tincan` package's RemoteLRS.

tincan gives us the request model, Basic auth and endpoint handling. What it does not do
well, and what this wrapper fixes:

- No timeout: RemoteLRS opens `http.client` connections without one, so a silent server
  hangs the caller for ever. We override its transport and pass `timeout` to every connection.
- Silent failures: it answers errors with `LRSResponse(success=False)` and lets network
  errors escape as raw socket exceptions. We raise RemoteLRSError (status and body) for
  anything that is not 2xx, and for every network error.
- Model round trips lose data: its Statement classes know xAPI 1.0 only and rebuild the
  JSON (2.0 `contextAgents`/`contextGroups`, unknown extensions' shapes, the exact `stored`
  text all change or vanish), and `retrieve_statement` even forgets to return its response.
  Statements therefore stay the raw JSON dicts the remote sent.
- `more` links: it prefixes the server root to whatever `more` says, which breaks on an
  absolute URL, and it joins a query string and extra parameters without "&". We resolve
  `more` as a URL reference against the endpoint (Data 2.5: a path without scheme and
  host), and refuse one that points at another server, which would receive our secret.
- Unbounded answers: it reads whatever the remote sends into memory. We stop at
  MAX_ANSWER_BYTES, and keep the remote's Retry-After on errors so a caller can wait that long.
- Versions: its version setter knows 1.0.0–1.0.3 only and raises a bare Exception for
  2.0.0. We validate the version ourselves and set it directly; we send raw JSON, so
  tincan's 1.0-only serialisers are never involved.
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlparse, urlunparse

from tincan import RemoteLRS
from tincan.http_request import HTTPRequest
from tincan.lrs_response import LRSResponse

SUPPORTED_VERSIONS = ("1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0")
DEFAULT_TIMEOUT = 10.0
DEFAULT_PAGE_SIZE = 200
# Enough of an error body to show a person what the remote objected to.
BODY_EXCERPT = 500
CONSISTENT_THROUGH_HEADER = "X-Experience-API-Consistent-Through"
# The largest answer read into memory: a page of statements with their attachments' metadata
# is far smaller; anything bigger is a misbehaving server.
MAX_ANSWER_BYTES = 64 * 1024 * 1024


class RemoteLRSError(Exception):
    """The remote LRS could not be reached, or answered with something other than 2xx."""

    def __init__(self, message: str, *, url: str, status: int | None = None, body: str = "", retry_after: float | None = None):
        super().__init__(message)
        self.url = url
        self.status = status
        self.body = body
        self.retry_after = retry_after

    @property
    def is_network_error(self) -> bool:
        return self.status is None


@dataclass(frozen=True)
class StatementPage:
    """One answer of GET /statements: the statements as sent, and the remote's consistency mark."""

    statements: list[dict]
    consistent_through: str | None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110, 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def normalise_endpoint(endpoint: str) -> str:
    """The endpoint in one spelling (lower-case scheme and host, one trailing slash), for comparing."""
    parsed = urlparse(endpoint.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(f"The LRS endpoint must be an http:// or https:// URL, not {endpoint!r}.")
    if parsed.query or parsed.fragment:
        raise ValueError(f"The LRS endpoint must not carry a query string or fragment: {endpoint!r}.")
    path = parsed.path.rstrip("/") + "/"
    return urlunparse((parsed.scheme.lower(), parsed.netloc.lower(), path, "", "", ""))


class _TimedRemoteLRS(RemoteLRS):
    """RemoteLRS whose transport has a timeout and raises instead of failing silently."""

    # tincan objects accept only the attributes their class lists.
    _props = [*RemoteLRS._props, "timeout"]

    def __init__(self, *, timeout: float, **kwargs):
        super().__init__(**kwargs)
        self.timeout = timeout

    def _send_request(self, request: HTTPRequest) -> LRSResponse:
        url = request.resource if request.resource.startswith(("http://", "https://")) else self.endpoint + request.resource
        parsed = urlparse(url)
        query = parse_qsl(parsed.query, keep_blank_values=True) + [(k, str(v)) for k, v in (request.query_params or {}).items()]
        path = (parsed.path or "/") + ("?" + urlencode(query) if query else "")
        headers = {"X-Experience-API-Version": self.version}
        if self.auth is not None:
            headers["Authorization"] = self.auth
        headers.update(request.headers or {})
        if parsed.scheme == "https":
            connection = http.client.HTTPSConnection(
                parsed.hostname, parsed.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=self.timeout)
        try:
            body = request.content.encode("utf-8") if isinstance(request.content, str) else request.content
            connection.request(request.method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read(MAX_ANSWER_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else (str(exc) or exc.__class__.__name__)
            raise RemoteLRSError(f"Could not reach the LRS at {url}: {reason}.", url=url) from None
        finally:
            connection.close()
        if len(data) > MAX_ANSWER_BYTES:
            raise RemoteLRSError(
                f"The LRS at {url} answered with more than {MAX_ANSWER_BYTES // (1024 * 1024)} MB; not read.", url=url, status=response.status
            )
        if not 200 <= response.status < 300 and not (response.status == 404 and request.ignore404):
            text = data.decode("utf-8", "replace")[:BODY_EXCERPT]
            raise RemoteLRSError(
                _describe_status(url, response.status, text), url=url, status=response.status, body=text,
                retry_after=parse_retry_after(response.getheader("Retry-After")),
            )
        return LRSResponse(success=True, request=request, response=response, data=data)


def _describe_status(url: str, status: int, body: str) -> str:
    hint = {
        401: " (check the key and secret)",
        403: " (the credential lacks the scope this needs)",
    }.get(status, "")
    detail = _error_message(body)
    return f"The LRS at {url} answered HTTP {status}{hint}" + (f": {detail}" if detail else ".")


def _error_message(body: str) -> str:
    """The message inside a JSON error body, or the start of a plain one."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return " ".join(body.split())[:200]
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"][:200]
        if isinstance(parsed.get("message"), str):
            return parsed["message"][:200]
    return ""


class RemoteLRSClient:
    """Read statements from and write statements to another LRS (xAPI 1.0.x or 2.0.0)."""

    def __init__(self, endpoint: str, *, key: str, secret: str, version: str = "1.0.3", timeout: float = DEFAULT_TIMEOUT):
        if version not in SUPPORTED_VERSIONS:
            raise ValueError(f"xAPI version {version!r} is not supported; use one of {', '.join(SUPPORTED_VERSIONS)}.")
        if not key or not secret:
            raise ValueError("The remote LRS needs a key and a secret.")
        if timeout <= 0:
            raise ValueError("The timeout must be above 0 seconds.")
        self.endpoint = normalise_endpoint(endpoint)
        self._lrs = _TimedRemoteLRS(endpoint=self.endpoint, username=key, password=secret, timeout=timeout)
        # Set directly: tincan's setter refuses 2.0.0 (see the module docstring).
        self._lrs._version = version

    @property
    def version(self) -> str:
        return self._lrs.version

    def _send(self, method: str, resource: str, *, params: dict | None = None, body: object = None, ignore404: bool = False) -> LRSResponse:
        request = HTTPRequest(method=method, resource=resource, headers={}, query_params=params or {})
        request.ignore404 = ignore404
        if body is not None:
            request.headers["Content-Type"] = "application/json"
            request.content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return self._lrs._send_request(request)

    def _json(self, response: LRSResponse, what: str):
        try:
            return json.loads(response.data)
        except (ValueError, UnicodeDecodeError):
            url = self.endpoint + what
            raise RemoteLRSError(f"The LRS at {url} answered with something that is not JSON.", url=url, status=response.response.status) from None

    def about(self) -> dict:
        """GET /about: the versions (and extensions) the remote LRS supports."""
        about = self._json(self._send("GET", "about"), "about")
        if not isinstance(about, dict) or not isinstance(about.get("version"), list):
            raise RemoteLRSError(f"The answer of {self.endpoint}about lists no versions; is this an xAPI endpoint?", url=self.endpoint + "about", status=200)
        return about

    def statement_pages(self, *, since: str | None = None, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[StatementPage]:
        """Yield the statements stored after `since`, oldest first, one page per request, following `more`."""
        params = {"ascending": "true", "format": "exact", "limit": str(page_size)}
        if since:
            params["since"] = since
        resource, seen = "statements", set()
        while True:
            response = self._send("GET", resource, params=params)
            result = self._json(response, "statements")
            if not isinstance(result, dict) or not isinstance(result.get("statements"), list):
                raise RemoteLRSError(f"The answer of {self.endpoint}statements is not a StatementResult.", url=self.endpoint + "statements", status=200)
            yield StatementPage(result["statements"], response.response.getheader(CONSISTENT_THROUGH_HEADER))
            more = result.get("more") or ""
            if not more:
                return
            resource, params = self._resolve_more(more), {}
            if resource in seen:
                raise RemoteLRSError(f"The LRS at {self.endpoint} sent the same more link twice; stopping.", url=resource, status=200)
            seen.add(resource)

    def statements(self, *, since: str | None = None, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[dict]:
        """Yield the statements stored after `since`, oldest first, across all pages."""
        for page in self.statement_pages(since=since, page_size=page_size):
            yield from page.statements

    def _resolve_more(self, more: str) -> str:
        if not isinstance(more, str):
            raise RemoteLRSError(f"The LRS at {self.endpoint} sent a more link that is not text.", url=self.endpoint, status=200)
        url = urljoin(self.endpoint, more)
        ours, theirs = urlparse(self.endpoint), urlparse(url)
        if (theirs.scheme, theirs.netloc.lower()) != (ours.scheme, ours.netloc.lower()):
            # Following it would hand our credential to another server.
            raise RemoteLRSError(f"The LRS at {self.endpoint} sent a more link to another server ({theirs.netloc}); refusing to follow it.", url=url, status=200)
        return url

    def post_statements(self, statements: list[dict]) -> list[str]:
        """POST a batch of statements (all or nothing at the remote); return the ids it answered with."""
        if not statements:
            return []
        ids = self._json(self._send("POST", "statements", body=statements), "statements")
        if not isinstance(ids, list):
            raise RemoteLRSError(f"The LRS at {self.endpoint} did not answer the POST with a list of ids.", url=self.endpoint + "statements", status=200)
        return ids

    def get_statement(self, statement_id: str) -> dict | None:
        """The statement with this id as the remote stores it, voided or not; None when it has none."""
        for parameter in ("statementId", "voidedStatementId"):
            response = self._send("GET", "statements", params={parameter: statement_id, "format": "exact"}, ignore404=True)
            if response.response.status != 404:
                statement = self._json(response, "statements")
                if isinstance(statement, dict):
                    return statement
        return None
