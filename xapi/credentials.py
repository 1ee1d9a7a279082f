"""Managing LRS credentials: create (the secret is shown once), list, revoke, issue scoped ones."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from xapi.auth import DEFAULT_SCOPES, SCOPES, credential_pepper, digest_secret, forget_cached
from xapi.models import CredentialRecord
from xapi.statement_keys import agent_identity, agent_key

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_NAME_LENGTH = 200


class CredentialError(ValueError):
    """A credential request that cannot be honoured; the message says what to change."""


@dataclass(frozen=True)
class NewCredential:
    """A freshly created pair; the secret exists only here and is never stored."""

    id: int
    key: str
    secret: str
    name: str
    tenant_id: int
    scopes: tuple[str, ...]
    expires_at: datetime | None


def normalise_scopes(scopes) -> tuple[str, ...]:
    """Check scopes against the spec's list; default to what an e-learning module needs."""
    chosen = tuple(dict.fromkeys(s.strip() for s in (scopes or ()) if s and s.strip()))
    if not chosen:
        return DEFAULT_SCOPES
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise CredentialError(f"Unknown scope {', '.join(unknown)}; choose from: {', '.join(SCOPES)}.")
    return chosen


def _new_key() -> str:
    """A random key that does not start with "-": operators pass keys on the command line
    (`lrs credentials revoke KEY`), where a leading dash reads as an option."""
    while True:
        key = secrets.token_urlsafe(15)
        if not key.startswith("-"):
            return key


def create_credential(
    session: Session,
    *,
    tenant_id: int,
    name: str,
    scopes=None,
    actor: dict | None = None,
    registration: str | None = None,
    expires_at: datetime | None = None,
    pepper: bytes | None = None,
    now: datetime | None = None,
) -> NewCredential:
    """Create a key/secret pair for a tenant; only the secret's keyed digest is stored."""
    name = (name or "").strip()
    if not name:
        raise CredentialError("Give the credential a name, so it can be recognised later.")
    if len(name) > MAX_NAME_LENGTH:
        raise CredentialError(f"The name is longer than {MAX_NAME_LENGTH} characters.")
    chosen = normalise_scopes(scopes)
    if actor is not None and agent_identity(actor) is None:
        raise CredentialError("The actor must be an Agent with one identifier (mbox, mbox_sha1sum, openid or account).")
    if registration is not None and not _UUID.match(registration):
        raise CredentialError("The registration must be a UUID.")
    now = now or datetime.now(timezone.utc)
    if expires_at is not None and expires_at <= now:
        raise CredentialError("The expiry lies in the past.")
    key = _new_key()
    secret = secrets.token_urlsafe(32)
    record = CredentialRecord(
        tenant_id=tenant_id,
        key=key,
        secret_digest=digest_secret(pepper if pepper is not None else credential_pepper(), secret),
        name=name,
        scopes=" ".join(chosen),
        actor=actor,
        actor_key=agent_key(actor) if actor is not None else None,
        registration=registration.lower() if registration else None,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(record)
    session.flush()
    return NewCredential(record.id, key, secret, name, tenant_id, chosen, expires_at)


def issue_scoped_credential(
    session: Session,
    tenant_id: int,
    actor: dict,
    registration: str | None,
    scopes,
    ttl: timedelta,
    *,
    name: str = "Launched module",
    pepper: bytes | None = None,
) -> NewCredential:
    """Issue a short-lived credential limited to one learner (and registration) for a launched module."""
    if actor is None:
        raise CredentialError("A launched module's credential must be limited to its learner.")
    if ttl <= timedelta(0):
        raise CredentialError("The lifetime of a credential must be positive.")
    now = datetime.now(timezone.utc)
    return create_credential(
        session,
        tenant_id=tenant_id,
        name=name,
        scopes=scopes,
        actor=actor,
        registration=registration,
        expires_at=now + ttl,
        pepper=pepper,
        now=now,
    )


def list_credentials(session: Session, tenant_id: int | None = None, *, include_revoked: bool = True) -> list[CredentialRecord]:
    """Credentials of one tenant (or of all, for the operator's CLI), newest first."""
    query = select(CredentialRecord).order_by(CredentialRecord.id.desc())
    if tenant_id is not None:
        query = query.where(CredentialRecord.tenant_id == tenant_id)
    if not include_revoked:
        query = query.where(CredentialRecord.revoked_at.is_(None))
    return list(session.scalars(query))


def describe_credential(record: CredentialRecord, now: datetime | None = None) -> dict:
    """A JSON-ready summary of a credential (never the digest)."""
    now = now or datetime.now(timezone.utc)
    if record.revoked_at is not None:
        status = "revoked"
    elif record.expires_at is not None and record.expires_at <= now:
        status = "expired"
    else:
        status = "active"
    return {
        "key": record.key,
        "name": record.name,
        "tenant_id": record.tenant_id,
        "scopes": record.scopes.split(),
        "actor": record.actor,
        "registration": record.registration,
        "created_at": record.created_at.isoformat(),
        "expires_at": record.expires_at.isoformat() if record.expires_at else None,
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
        "status": status,
    }


def revoke_credential(session: Session, key: str, tenant_id: int | None = None) -> CredentialRecord:
    """Revoke a credential by key (within a tenant when given); revoking twice is harmless."""
    query = select(CredentialRecord).where(CredentialRecord.key == key)
    if tenant_id is not None:
        query = query.where(CredentialRecord.tenant_id == tenant_id)
    record = session.scalars(query).first()
    if record is None:
        raise CredentialError(f"No credential with key {key}.")
    if record.revoked_at is None:
        record.revoked_at = datetime.now(timezone.utc)
    forget_cached(key)
    return record
