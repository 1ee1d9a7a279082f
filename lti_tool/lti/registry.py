"""pylti1p3's tool configuration, read from the platforms and deployments tables."""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as LibDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from lti_tool.lti import keys
from lti_tool.lti.models import ACTIVE, Deployment, Platform


# Every login and launch asks these: built once, the values bound at execution.
_ACTIVE_OF_ISSUER = select(Platform).where(Platform.issuer == bindparam("issuer"), Platform.status == ACTIVE)
_ACTIVE_BY_CLIENT_ID = _ACTIVE_OF_ISSUER.where(Platform.client_id == bindparam("client_id"))
_DEPLOYMENT = select(Deployment).where(
    Deployment.platform_id == bindparam("platform_id"), Deployment.deployment_id == bindparam("deployment_id")
)


def find_platform(session: Session, issuer: str, client_id: str | None) -> Platform | None:
    """Find an active registration by issuer and client id (or the only one of that issuer)."""
    if client_id:
        return session.scalars(_ACTIVE_BY_CLIENT_ID, {"issuer": issuer, "client_id": client_id}).first()
    candidates = list(session.scalars(_ACTIVE_OF_ISSUER.limit(2), {"issuer": issuer}))
    return candidates[0] if len(candidates) == 1 else None


def find_deployment(session: Session, platform: Platform, deployment_id: str) -> Deployment | None:
    return session.scalars(_DEPLOYMENT, {"platform_id": platform.id, "deployment_id": deployment_id}).first()


def to_registration(session: Session, platform: Platform, *, with_signing_key: bool = True) -> Registration:
    """Build the pylti1p3 registration object, with our current key when we are to sign."""
    registration = (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_key_set_url(platform.key_set_url)
        .set_key_set(platform.key_set)
    )
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    if with_signing_key:
        signing = keys.ensure_signing_key(session)
        # A parsed key object (PyJWT signs with it as with a PEM), parsed once per process.
        registration.set_tool_private_key(keys.private_key_object(signing))  # type: ignore[arg-type]
        # pylti1p3 derives the kid from the public key; ours is explicit, so pin it.
        registration.get_kid = lambda: signing.kid  # type: ignore[method-assign]
    return registration


class DatabaseToolConf(ToolConfAbstract):
    """Every issuer may have several client ids (one per registration).

    Used to validate launches, which only need the platform's keys, not ours.
    """

    def __init__(self, session: Session):
        super().__init__()
        self.session = session
        self.issuers_relation_types = _ManyClients()
        self._platforms: dict[tuple[str, str | None], Platform | None] = {}

    def platform(self, iss: str, client_id: str | None) -> Platform | None:
        """find_platform, answered once per issuer and client id for the life of this object.

        One object serves one launch, whose checks and pylti1p3's ask the same question
        several times; a new launch builds a new object and sees the database as it is.
        """
        key = (iss, client_id)
        if key not in self._platforms:
            self._platforms[key] = find_platform(self.session, iss, client_id)
        return self._platforms[key]

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        platform = self.platform(iss, None)
        return to_registration(self.session, platform, with_signing_key=False) if platform else None  # type: ignore[return-value]

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any, **kwargs: Any) -> Registration:
        platform = self.platform(iss, client_id)
        return to_registration(self.session, platform, with_signing_key=False) if platform else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> LibDeployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)  # type: ignore[arg-type]

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LibDeployment | None:
        platform = self.platform(iss, client_id)
        if platform is None:
            return None
        deployment = find_deployment(self.session, platform, deployment_id)
        if deployment is None or deployment.status != ACTIVE:
            return None
        return LibDeployment().set_deployment_id(deployment.deployment_id)


class _ManyClients(dict):
    """Answer "many client ids" for every issuer, as pylti1p3 recommends for new configs."""

    def get(self, key, default=None):
        return "one-issuer-many-client-ids"
