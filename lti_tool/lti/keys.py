"""Our RSA signing keys: generated on first start, rotated, published at /lti/jwks until retired."""

from __future__ import annotations

import functools
import json
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.lti.models import ACTIVE, ToolKey

PUBLISHED = "published"
RETIRED = "retired"
KEY_SIZE = 2048


class KeyError_(Exception):
    pass


def _new_key() -> ToolKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    kid = secrets.token_urlsafe(16)
    public_jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    public_jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return ToolKey(kid=kid, private_pem=pem, public_jwk=public_jwk, status=ACTIVE)


def ensure_signing_key(session: Session) -> ToolKey:
    """Return the active signing key, creating the first one if none exists."""
    key = signing_key(session)
    if key is None:
        key = _new_key()
        session.add(key)
        session.flush()
    return key


def private_key_object(key: ToolKey) -> rsa.RSAPrivateKey:
    """The parsed private key of a tool key, to sign with."""
    return _parse_private_pem(key.kid, key.private_pem)


# Parsing a PEM runs RSA consistency checks that cost ~40 ms of CPU, a hundred times the
# signature itself. Keyed by kid and PEM: a rotated key is a new entry, and the few retired
# ones simply age out, so nothing here can outlive or shadow what the database says.
@functools.lru_cache(maxsize=8)
def _parse_private_pem(kid: str, pem: str) -> rsa.RSAPrivateKey:
    parsed = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(parsed, rsa.RSAPrivateKey):
        raise KeyError_(f"tool key {kid} is not an RSA key")
    return parsed


def signing_key(session: Session) -> ToolKey | None:
    return session.scalars(
        select(ToolKey).where(ToolKey.status == ACTIVE).order_by(ToolKey.id.desc()).limit(1)
    ).first()


def rotate_keys(session: Session) -> ToolKey:
    """Add a new signing key; earlier active keys stay published until retired."""
    for key in session.scalars(select(ToolKey).where(ToolKey.status == ACTIVE)):
        key.status = PUBLISHED
    key = _new_key()
    session.add(key)
    session.flush()
    return key


def retire_keys(session: Session, kid: str | None = None) -> list[str]:
    """Remove rotated-out keys from the JWKS (all of them, or the one named by kid)."""
    query = select(ToolKey).where(ToolKey.status == PUBLISHED)
    if kid:
        query = select(ToolKey).where(ToolKey.kid == kid)
    retired = []
    for key in session.scalars(query):
        if key.status == ACTIVE:
            raise KeyError_("The active signing key cannot be retired; rotate first.")
        if key.status == RETIRED:
            continue
        key.status = RETIRED
        key.retired_at = utcnow()
        retired.append(key.kid)
    if kid and not retired:
        raise KeyError_(f"No published key with kid {kid}.")
    return retired


def list_keys(session: Session) -> list[ToolKey]:
    return list(session.scalars(select(ToolKey).order_by(ToolKey.id)))


def public_jwks(session: Session) -> dict:
    keys = session.scalars(
        select(ToolKey).where(ToolKey.status.in_([ACTIVE, PUBLISHED])).order_by(ToolKey.id)
    )
    return {"keys": [key.public_jwk for key in keys]}
