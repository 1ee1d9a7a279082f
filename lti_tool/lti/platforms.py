"""Register, list, approve and remove platforms (tenants) and their deployments."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.lti.models import ACTIVE, Deployment, Platform


class PlatformError(Exception):
    """A registration request that cannot be carried out; the message says why."""


@dataclass
class PlatformInput:
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str | None
    deployment_ids: list[str] = field(default_factory=list)
    name: str = ""
    auth_audience: str | None = None
    key_set: dict | None = None
    product_family: str = ""
    granted_scopes: str = ""


def _check_url(label: str, value: str | None, *, required: bool = True) -> None:
    if not value:
        if required:
            raise PlatformError(f"{label} is required.")
        return
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise PlatformError(f"{label} must be an http(s) URL, not {value!r}.")


def add_platform(session: Session, data: PlatformInput) -> Platform:
    """Store a new registration with its deployments; refuse duplicates and bad URLs."""
    _check_url("issuer", data.issuer)
    if not data.client_id.strip():
        raise PlatformError("client id is required.")
    _check_url("auth login URL", data.auth_login_url)
    _check_url("auth token URL", data.auth_token_url)
    _check_url("key set URL", data.key_set_url, required=data.key_set is None)
    if any(not d.strip() for d in data.deployment_ids):
        raise PlatformError("deployment ids cannot be empty.")
    platform = Platform(
        issuer=data.issuer,
        client_id=data.client_id.strip(),
        name=data.name,
        auth_login_url=data.auth_login_url,
        auth_token_url=data.auth_token_url,
        auth_audience=data.auth_audience,
        key_set_url=data.key_set_url,
        key_set=data.key_set,
        product_family=data.product_family,
        granted_scopes=data.granted_scopes,
        status=ACTIVE,
    )
    platform.deployments = [Deployment(deployment_id=d.strip(), status=ACTIVE) for d in dict.fromkeys(data.deployment_ids)]
    session.add(platform)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise PlatformError(f"{data.issuer} with client id {data.client_id} is already registered.") from None
    return platform


def get_platform(session: Session, issuer: str, client_id: str) -> Platform:
    platform = session.scalars(
        select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    ).first()
    if platform is None:
        raise PlatformError(f"No platform {issuer} with client id {client_id}.")
    return platform


def tenant_by_issuer(session: Session, issuer: str | None) -> Platform:
    """The platform a command acts for: the one with this issuer, or the only one there is."""
    query = select(Platform).order_by(Platform.id)
    if issuer:
        query = query.where(Platform.issuer == issuer)
    platforms = list(session.scalars(query.limit(2)))
    if not platforms:
        raise PlatformError(f"No platform with issuer {issuer}." if issuer else "No platform is registered yet.")
    if len(platforms) > 1:
        raise PlatformError("Several platforms match; name one with --tenant ISSUER.")
    return platforms[0]


def remove_platform(session: Session, issuer: str, client_id: str) -> None:
    session.delete(get_platform(session, issuer, client_id))


def approve_deployment(session: Session, issuer: str, client_id: str, deployment_id: str) -> None:
    platform = get_platform(session, issuer, client_id)
    deployment = session.scalars(
        select(Deployment).where(Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id)
    ).first()
    if deployment is None:
        raise PlatformError(f"No deployment {deployment_id} for {issuer}.")
    deployment.status = ACTIVE


def describe_platforms(session: Session) -> list[dict]:
    platforms = session.scalars(select(Platform).order_by(Platform.id))
    return [
        {
            "issuer": p.issuer,
            "client_id": p.client_id,
            "name": p.name,
            "auth_login_url": p.auth_login_url,
            "auth_token_url": p.auth_token_url,
            "key_set_url": p.key_set_url,
            "status": p.status,
            "deployments": [{"deployment_id": d.deployment_id, "status": d.status} for d in p.deployments],
        }
        for p in platforms
    ]
