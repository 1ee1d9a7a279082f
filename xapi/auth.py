"""Who is calling the LRS: HTTP Basic key/secret credentials, their scopes and their limits.

Secrets are high-entropy random strings, so a keyed digest (HMAC-SHA256 with a server-side
pepper) is as strong as a slow password hash while costing microseconds per request; the
pepper keeps a leaked table useless on its own. Checked credentials are cached briefly in
process; revocation through this process is immediate, through another one within
`XAPI_CREDENTIAL_CACHE_SECONDS` (default 10).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask import current_app, g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from xapi.errors import ForbiddenError, UnauthorizedError
from xapi.statement_keys import agent_key

# The scopes of xAPI 1.0.3 Communication 4.2 ("OAuth Authorization Scope").
STATEMENTS_WRITE = "statements/write"
STATEMENTS_READ = "statements/read"
STATEMENTS_READ_MINE = "statements/read/mine"
STATE = "state"
DEFINE = "define"
PROFILE = "profile"
ALL_READ = "all/read"
ALL = "all"
SCOPES = (STATEMENTS_WRITE, STATEMENTS_READ, STATEMENTS_READ_MINE, STATE, DEFINE, PROFILE, ALL_READ, ALL)
# What a credential gets when none is asked for: what a typical e-learning module needs.
DEFAULT_SCOPES = (STATEMENTS_WRITE, STATEMENTS_READ_MINE, STATE, PROFILE)
_READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Credential:
    """An authenticated credential: its tenant, scopes and limits, detached from any session."""

    id: int
    tenant_id: int
    key: str
    name: str
    scopes: frozenset[str]
    actor: dict | None = None
    registration: str | None = None
    expires_at: datetime | None = None
    authority: dict = field(default_factory=dict)

    @property
    def actor_key(self) -> str | None:
        return agent_key(self.actor) if self.actor is not None else None

    def grants(self, scope: str, *, read_only: bool = False) -> bool:
        """Say whether this credential covers `scope`; `all/read` covers any scope for reads."""
        if ALL in self.scopes or scope in self.scopes:
            return True
        if read_only and ALL_READ in self.scopes:
            return True
        return scope == STATEMENTS_READ_MINE and STATEMENTS_READ in self.scopes

    @property
    def reads_only_own_statements(self) -> bool:
        """True when statement reads are limited to what this credential wrote (statements/read/mine)."""
        return not (self.grants(STATEMENTS_READ, read_only=True))

    def permits_agent(self, agent: dict | None) -> bool:
        """True when the credential is not limited to an actor, or `agent` is that actor."""
        return self.actor is None or (agent is not None and agent_key(agent) == self.actor_key)

    def permits_registration(self, registration: str | None) -> bool:
        """True when the credential is not limited to a registration, or `registration` is it."""
        return self.registration is None or (
            registration is not None and registration.lower() == self.registration.lower()
        )

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


def credential_pepper(app=None) -> bytes:
    """The server-side key for secret digests: XAPI_CREDENTIAL_PEPPER, or derived from SECRET_KEY."""
    config = (app or current_app).config
    return _pepper(config.get("XAPI_CREDENTIAL_PEPPER"), config.get("SECRET_KEY"))


@functools.lru_cache(maxsize=8)
def _pepper(explicit: str | bytes | None, secret_key: str | bytes | None) -> bytes:
    # Remembered per key: every LRS request needs it, and deriving it cost about a fifth of
    # authenticating a request from the credential cache.
    if explicit:
        return explicit.encode("utf-8") if isinstance(explicit, str) else bytes(explicit)
    if not secret_key:
        raise RuntimeError("Set SECRET_KEY or XAPI_CREDENTIAL_PEPPER before using LRS credentials.")
    secret_bytes = secret_key.encode("utf-8") if isinstance(secret_key, str) else bytes(secret_key)
    # Derived, not the SECRET_KEY itself, so the two uses of the key never mix.
    return hmac.new(secret_bytes, b"leerpaspoort xapi credential pepper", hashlib.sha256).digest()


def digest_secret(pepper: bytes, secret: str) -> str:
    """Return the stored form of a secret: hex HMAC-SHA256 under the pepper."""
    return hmac.new(pepper, secret.encode("utf-8"), hashlib.sha256).hexdigest()


class _CredentialCache:
    """A small, thread-safe, short-lived map of key -> (digest, credential)."""

    max_entries = 2048

    def __init__(self):
        self._entries: dict[str, tuple[str, Credential, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, digest: str) -> Credential | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry[2] < time.monotonic():
            return None
        return entry[1] if hmac.compare_digest(entry[0], digest) else None

    def put(self, key: str, digest: str, credential: Credential, ttl: float) -> None:
        if ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (digest, credential, time.monotonic() + ttl)

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)


_cache = _CredentialCache()


def forget_cached(key: str) -> None:
    """Drop a credential from this process's cache (after revoking or changing it)."""
    _cache.forget(key)


def _parse_basic(header: str | None) -> tuple[str, str]:
    if not header:
        raise UnauthorizedError()
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise UnauthorizedError("Use HTTP Basic authentication with an LRS key and secret.")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise UnauthorizedError("The Authorization header is not valid Basic credentials.") from None
    key, colon, secret = decoded.partition(":")
    if not colon or not key or not secret:
        raise UnauthorizedError("The Authorization header is not valid Basic credentials.")
    return key, secret


def authority_homepage() -> str:
    """The homePage of the accounts that name credentials in `authority`."""
    configured = current_app.config.get("XAPI_AUTHORITY_HOMEPAGE")
    return configured or request.host_url.rstrip("/")


def authority_for(key: str, name: str, homepage: str) -> dict:
    """The Agent that stands for a credential in the `authority` of the statements it stores."""
    return {"objectType": "Agent", "name": name, "account": {"homePage": homepage, "name": key}}


def load_credential(session: Session, key: str, digest: str, homepage: str, now: datetime) -> Credential:
    """Look a key up and check the digest, revocation and expiry; raise 401 on any failure."""
    from xapi.models import CredentialRecord

    record = session.scalars(select(CredentialRecord).where(CredentialRecord.key == key)).first()
    # Compare even when the key is unknown, so timing does not tell which keys exist.
    stored_digest = record.secret_digest if record is not None else "0" * 64
    if not hmac.compare_digest(stored_digest, digest) or record is None:
        raise UnauthorizedError("Unknown LRS key or wrong secret.")
    if record.revoked_at is not None:
        raise UnauthorizedError("This LRS credential has been revoked.")
    credential = Credential(
        id=record.id,
        tenant_id=record.tenant_id,
        key=record.key,
        name=record.name,
        scopes=frozenset(record.scopes.split()),
        actor=record.actor,
        registration=record.registration,
        expires_at=record.expires_at,
        authority=authority_for(record.key, record.name, homepage),
    )
    if credential.expired(now):
        raise UnauthorizedError("This LRS credential has expired.")
    return credential


def authenticate() -> Credential:
    """Authenticate this request's Basic credentials (cached per request and briefly per process)."""
    cached = g.get("xapi_credential")
    if cached is not None:
        return cached
    key, secret = _parse_basic(request.headers.get("Authorization"))
    digest = digest_secret(credential_pepper(), secret)
    now = datetime.now(timezone.utc)
    credential = _cache.get(key, digest)
    if credential is None:
        session = current_app.extensions["xapi.get_session"]()
        credential = load_credential(session, key, digest, authority_homepage(), now)
        _cache.put(key, digest, credential, float(current_app.config.get("XAPI_CREDENTIAL_CACHE_SECONDS", 10)))
    elif credential.expired(now):
        raise UnauthorizedError("This LRS credential has expired.")
    g.xapi_credential = credential
    return credential


def require_credential(*scopes: str) -> Credential:
    """Authenticate the request and demand at least one of `scopes` (401 or 403 otherwise)."""
    credential = authenticate()
    read_only = request.method in _READ_METHODS
    if scopes and not any(credential.grants(scope, read_only=read_only) for scope in scopes):
        raise ForbiddenError(
            f"This LRS credential lacks the scope for this request (needs one of: {', '.join(scopes)})."
        )
    return credential


def current_credential() -> Credential | None:
    """The credential this request authenticated with, if any."""
    return g.get("xapi_credential")
