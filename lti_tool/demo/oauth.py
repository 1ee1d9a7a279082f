"""The demo platform's token endpoint and bearer tokens (Security Framework 4.1, RFC 7523)."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.demo.errors import DemoServiceError
from lti_tool.demo.models import DemoAccessToken, DemoPlatform, DemoUsedNonce
from lti_tool.demo.registration import SUPPORTED_SCOPES
from lti_tool.lti import keys as tool_keys

TOKEN_LIFETIME = 3600
CLOCK_LEEWAY = 60
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _tool_key(session: Session, kid: str | None) -> Any:
    if not kid:
        raise ValueError("the JWT header has no kid")
    for jwk in tool_keys.public_jwks(session)["keys"]:
        if jwk.get("kid") == kid:
            return RSAAlgorithm.from_jwk(json.dumps(jwk))
    raise ValueError(f"no key with kid {kid!r} in the tool's JWKS")


def verify_tool_jwt(session: Session, token: str, *, audience: list[str], issuer: str) -> dict[str, Any]:
    """Check a JWT the tool signed against the tool's published keys (same app, read from the database)."""
    header = jwt.get_unverified_header(token)
    if header.get("alg") != "RS256":
        raise ValueError(f"the JWT is signed with {header.get('alg')!r}, not RS256")
    return jwt.decode(
        token,
        _tool_key(session, header.get("kid")),
        algorithms=["RS256"],
        audience=audience,
        issuer=issuer,
        leeway=CLOCK_LEEWAY,
        options={"require": ["exp", "iat", "iss", "aud"]},
    )


def use_once(session: Session, value: str, kind: str) -> bool:
    """Record a nonce or jti; False when it was seen before (the primary key decides)."""
    try:
        with session.begin_nested():
            session.add(DemoUsedNonce(value=value[:255], kind=kind))
            session.flush()
    except IntegrityError:
        return False
    return True


def issue_access_token(session: Session, demo: DemoPlatform, form: dict[str, str], *, token_url: str) -> dict[str, Any]:
    """The token endpoint: a client_credentials grant with a JWT client assertion (RFC 7523)."""
    if form.get("grant_type") != "client_credentials":
        raise DemoServiceError(400, "grant_type must be client_credentials", "unsupported_grant_type")
    if form.get("client_assertion_type") != JWT_BEARER or not form.get("client_assertion"):
        raise DemoServiceError(401, "a JWT client assertion is required", "invalid_client")
    try:
        body = verify_tool_jwt(
            session, form["client_assertion"], audience=[token_url, demo.issuer], issuer=demo.client_id
        )
    except (ValueError, jwt.InvalidTokenError) as exc:
        # RFC 7523, 3.2: an invalid client assertion is answered with invalid_client.
        raise DemoServiceError(401, f"client assertion rejected: {exc}", "invalid_client") from None
    if body.get("sub") != demo.client_id:
        raise DemoServiceError(401, "client assertion sub must be the client id", "invalid_client")
    if not body.get("jti") or not use_once(session, f"jti:{demo.id}:{body['jti']}", "jti"):
        raise DemoServiceError(401, "client assertion without a fresh jti (replayed?)", "invalid_client")
    requested = (form.get("scope") or "").split()
    granted = [scope for scope in dict.fromkeys(requested) if scope in SUPPORTED_SCOPES]
    if not granted:
        raise DemoServiceError(400, "none of the requested scopes is offered", "invalid_scope")
    now = utcnow()
    session.execute(delete(DemoAccessToken).where(DemoAccessToken.expires_at < now))
    session.execute(delete(DemoUsedNonce).where(DemoUsedNonce.created_at < now - timedelta(days=1)))
    token = secrets.token_urlsafe(32)
    session.add(
        DemoAccessToken(
            token_hash=_hash(token),
            demo_platform_id=demo.id,
            scopes=" ".join(granted),
            expires_at=now + timedelta(seconds=TOKEN_LIFETIME),
        )
    )
    return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME, "scope": " ".join(granted)}


def require_scope(session: Session, demo: DemoPlatform, authorization: str | None, *scopes: str) -> None:
    """Accept a request whose bearer token was granted one of the scopes, else answer 401."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise DemoServiceError(401, "a bearer token is required")
    token = session.get(DemoAccessToken, _hash(authorization[7:].strip()))
    if token is None or token.demo_platform_id != demo.id or token.expires_at <= utcnow():
        raise DemoServiceError(401, "unknown or expired access token")
    if not set(token.scopes.split()) & set(scopes):
        # What Moodle does when the scope was not granted: 401, not 403.
        raise DemoServiceError(401, "the access token lacks the scope for this service")
