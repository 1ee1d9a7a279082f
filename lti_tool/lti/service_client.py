"""Calls to a platform's LTI Advantage services (AGS, NRPS) with OAuth2 access tokens.

1EdTech Security Framework 1.0, 4.1: the tool obtains an access token with the
`client_credentials` grant and a JWT client assertion (RFC 7523) signed with its own key.
Tokens are cached in the `service_tokens` table per platform and scope set, so every
worker and every restart reuses them until shortly before they expire.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

import jwt
import requests
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.lti.models import Platform, ServiceToken
from lti_tool.lti.registry import to_registration
from xapi.client import parse_retry_after

log = logging.getLogger(__name__)

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The assertion is used once, right away: a short life limits what a leaked one is worth.
ASSERTION_LIFETIME = 60
# Renew a cached token this long before the platform says it expires (clock skew, slow calls).
TOKEN_RENEWAL_MARGIN = timedelta(seconds=60)
# Platforms that send no expires_in: assume Moodle's default lifetime of an hour.
DEFAULT_TOKEN_LIFETIME = 3600
ERROR_BODY_LIMIT = 500


class ServiceError(Exception):
    """A service call that did not succeed; `status` is the platform's HTTP status, if any."""

    def __init__(self, message: str, *, url: str, status: int | None = None, body: str = "", retry_after: float | None = None):
        super().__init__(message)
        self.url = url
        self.status = status
        self.body = body
        self.retry_after = retry_after

    @property
    def is_network_error(self) -> bool:
        return self.status is None


class TokenError(ServiceError):
    """The platform's token endpoint refused us or could not be reached."""


def _truncate(text: str) -> str:
    text = text.strip()
    return text if len(text) <= ERROR_BODY_LIMIT else text[:ERROR_BODY_LIMIT] + "…"


def error_from_response(response: requests.Response, what: str, error_class: type[ServiceError] = ServiceError) -> ServiceError:
    body = _truncate(response.text or "")
    return error_class(
        f"{what}: the platform answered {response.status_code}" + (f": {body}" if body else ""),
        url=response.url,
        status=response.status_code,
        body=body,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def scope_key(scopes: Iterable[str]) -> str:
    """One cache key per set of scopes, whatever their order."""
    return hashlib.sha256(" ".join(sorted(set(scopes))).encode()).hexdigest()


@dataclass
class AccessToken:
    value: str
    expires_at: datetime


class ServiceClient:
    """Obtains (and caches) access tokens and calls a platform's services with them.

    `session_factory` opens short sessions of its own for the token cache, so a token
    is stored even when the caller's transaction is rolled back.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        timeout: float = 10.0,
        http: requests.Session | None = None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.session_factory = session_factory
        self.timeout = timeout
        self.http = http or requests.Session()
        self.clock = clock

    # --- tokens ----------------------------------------------------------------------

    def client_assertion(self, session: Session, platform: Platform) -> str:
        """Sign the JWT that authenticates us at the platform's token endpoint."""
        registration = to_registration(session, platform)
        now = int(time.time())
        body = {
            "iss": platform.client_id,
            "sub": platform.client_id,
            # Security Framework 4.1.1: aud is the token endpoint, or the authorization server if given.
            "aud": platform.auth_audience or platform.auth_token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": "lti-service-token-" + uuid.uuid4().hex,
        }
        return jwt.encode(
            body,
            registration.get_tool_private_key(),
            algorithm="RS256",
            headers={"kid": registration.get_kid(), "typ": "JWT"},
        )

    def access_token(self, platform: Platform, scopes: Iterable[str]) -> str:
        """Return a valid token for these scopes: from the cache, or freshly requested."""
        scopes = sorted(set(scopes))
        key = scope_key(scopes)
        with self.session_factory() as session:
            cached = session.get(ServiceToken, (platform.id, key))
            if cached is not None and cached.expires_at - TOKEN_RENEWAL_MARGIN > self.clock():
                return cached.access_token
            assertion = self.client_assertion(session, platform)
            # The signing key is created on first use; keep it.
            session.commit()
        token = self._request_token(platform, scopes, assertion)
        self._store_token(platform.id, key, token)
        return token.value

    def forget_token(self, platform: Platform, scopes: Iterable[str]) -> None:
        """Drop a cached token the platform no longer accepts (answered 401)."""
        with self.session_factory() as session:
            session.execute(
                delete(ServiceToken).where(ServiceToken.platform_id == platform.id, ServiceToken.scope_key == scope_key(scopes))
            )
            session.commit()

    def _request_token(self, platform: Platform, scopes: list[str], assertion: str) -> AccessToken:
        url = platform.auth_token_url
        try:
            response = self.http.post(
                url,
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": JWT_BEARER,
                    "client_assertion": assertion,
                    "scope": " ".join(scopes),
                },
                headers={"Accept": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise TokenError(f"Could not reach the token endpoint {url}: {exc.__class__.__name__}", url=url) from None
        if response.status_code != 200:
            raise error_from_response(response, f"Access token request to {url} failed", TokenError)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
            raise TokenError(
                f"The token endpoint {url} answered without an access_token: {_truncate(response.text)}",
                url=url,
                status=response.status_code,
                body=_truncate(response.text),
            )
        if str(body.get("token_type", "Bearer")).lower() != "bearer":
            raise TokenError(f"The token endpoint {url} issued a {body.get('token_type')!r} token, not Bearer.", url=url, status=200)
        lifetime = body.get("expires_in")
        if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME
        return AccessToken(body["access_token"], self.clock() + timedelta(seconds=float(lifetime)))

    def _store_token(self, platform_id: int, key: str, token: AccessToken) -> None:
        """Upsert the cache row; two workers storing at once both end with a valid token."""
        with self.session_factory() as session:
            values = {"access_token": token.value, "expires_at": token.expires_at}
            updated = session.execute(
                update(ServiceToken)
                .where(ServiceToken.platform_id == platform_id, ServiceToken.scope_key == key)
                .values(**values)
            ).rowcount
            if not updated:
                session.add(ServiceToken(platform_id=platform_id, scope_key=key, **values))
            try:
                session.commit()
            except IntegrityError:
                # Another worker inserted the same row first; its token is as good as ours.
                session.rollback()

    # --- service calls ----------------------------------------------------------------

    def request(
        self,
        platform: Platform,
        scopes: Iterable[str],
        method: str,
        url: str,
        *,
        accept: str | None = None,
        json_body: Any = None,
        content_type: str | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        """Call a service URL with a bearer token; a 401 renews the token once.

        Raises ServiceError for a network error or any answer outside 2xx.
        """
        scopes = sorted(set(scopes))
        for attempt in (1, 2):
            token = self.access_token(platform, scopes)
            headers = {"Authorization": f"Bearer {token}"}
            if accept:
                headers["Accept"] = accept
            if content_type:
                headers["Content-Type"] = content_type
            try:
                response = self.http.request(
                    method,
                    url,
                    headers=headers,
                    data=None if json_body is None else _json_bytes(json_body),
                    params=params,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                raise ServiceError(f"Could not reach {url}: {exc.__class__.__name__}", url=url) from None
            if response.status_code == 401 and attempt == 1:
                # A cached token may have been revoked or expired early: ask for a new one once.
                log.info("Platform %s answered 401 to a cached token; requesting a new one", platform.id)
                self.forget_token(platform, scopes)
                continue
            if not 200 <= response.status_code < 300:
                raise error_from_response(response, f"{method} {url} failed")
            return response
        raise AssertionError("unreachable")  # pragma: no cover


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def client_for(app) -> ServiceClient:
    """A client with the application's sessions and request timeout."""
    from lti_tool.db import session_factory

    settings = app.extensions["leerpaspoort.settings"]
    return ServiceClient(session_factory(app), timeout=settings.outbox_request_timeout)


def purge_expired_tokens(session: Session) -> int:
    """Delete cached access tokens that can no longer be used."""
    return session.execute(delete(ServiceToken).where(ServiceToken.expires_at < utcnow())).rowcount
