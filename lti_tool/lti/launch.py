"""Validate a launch: pylti1p3's flow with our stricter checks and server-side state."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Callable

import jwt
from jwt.algorithms import RSAAlgorithm
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskRequest
from pylti1p3.exception import LtiException
from sqlalchemy import update
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.errors import LaunchError
from lti_tool.lti import claims
from lti_tool.lti.models import ACTIVE, LoginState, Platform
from lti_tool.lti.platform_keys import PlatformKeyError, platform_key
from lti_tool.lti.registry import DatabaseToolConf, find_deployment
from lti_tool.lti.session_service import NoCookieService, NullSessionService

_REQUIRED_CLAIMS = {
    claims.RESOURCE_LINK_REQUEST: (claims.DEPLOYMENT_ID, claims.TARGET_LINK_URI, claims.ROLES),
    claims.DEEP_LINKING_REQUEST: (claims.DEPLOYMENT_ID, claims.ROLES, claims.DEEP_LINKING_SETTINGS),
}


@dataclass
class LaunchPolicy:
    clock_leeway: int
    unknown_deployments: str
    jwks_timeout: float
    jwks_min_refetch_interval: int
    login_state_ttl: int


@dataclass
class ValidatedLaunch:
    platform: Platform
    claims: dict[str, Any]
    deployment_pending: bool
    new_deployment: str | None
    state: str
    storage_target: str | None


class ToolMessageLaunch(FlaskMessageLaunch):
    """pylti1p3's message launch with every check STANDARDS.md asks for, and no cookies.

    State and nonce live in the login_states table: the state from the form must name a
    login we started, unused and recent, and the token's nonce must be the one we issued
    with it. That binds the id_token to our login without a cookie the iframe may lose.
    """

    def __init__(
        self,
        session: Session,
        policy: LaunchPolicy,
        key_session_factory: Callable[[], Session],
    ):
        self.tool_conf = DatabaseToolConf(session)
        super().__init__(
            FlaskRequest(session={}),
            self.tool_conf,
            session_service=NullSessionService(),
            cookie_service=NoCookieService(FlaskRequest(session={})),
        )
        self.db = session
        self.policy = policy
        self.key_session_factory = key_session_factory
        self.platform: Platform | None = None
        self.login_state: LoginState | None = None
        self.new_deployment: str | None = None
        self.deployment_pending = False

    # pylti1p3 picks aud[0]; with several audiences the authorised party is our client id.
    def get_client_id(self) -> str:
        body = self._jwt.get("body", {})
        if body.get("azp"):
            return body["azp"]
        aud = body.get("aud")
        return aud[0] if isinstance(aud, list) and aud else aud  # type: ignore[return-value]

    def validate_state(self) -> "ToolMessageLaunch":
        state = self._get_request_param("state")
        if not state:
            raise LaunchError("missing state parameter")
        login = self.db.get(LoginState, state)
        if login is None:
            raise LaunchError("unknown state: this login was not started by us")
        if login.used_at is not None:
            raise LaunchError("state already used (replayed launch)")
        age = (utcnow() - login.created_at).total_seconds()
        if age > self.policy.login_state_ttl:
            raise LaunchError(f"state expired ({int(age)} s old)")
        self.login_state = login
        return self

    def validate_nonce(self) -> "ToolMessageLaunch":
        nonce = self._get_jwt_body().get("nonce")
        if not nonce:
            raise LaunchError("id_token has no nonce")
        assert self.login_state is not None
        if nonce != self.login_state.nonce:
            raise LaunchError("nonce does not match the one issued with this state")
        return self

    def validate_registration(self) -> "ToolMessageLaunch":
        body = self._get_jwt_body()
        iss = body.get("iss")
        if not iss or not isinstance(iss, str):
            raise LaunchError("id_token has no iss")
        aud = body.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if len(audiences) > 1 and not body.get("azp"):
            raise LaunchError("id_token has several audiences but no azp")
        client_id = self.get_client_id()
        if body.get("azp") and body["azp"] not in audiences:
            raise LaunchError("azp is not one of the audiences")
        platform = self.tool_conf.platform(iss, client_id)
        if platform is None:
            raise LaunchError(f"no active registration for issuer {iss!r} and client id {client_id!r}")
        if self.login_state is not None and self.login_state.platform_id != platform.id:
            raise LaunchError("the token comes from another registration than the login")
        self.platform = platform
        return super().validate_registration()

    def get_public_key(self) -> tuple[str, str]:
        header = self._jwt.get("header", {})
        kid, alg = header.get("kid"), header.get("alg")
        if alg != "RS256":
            raise LaunchError(f"id_token is signed with {alg!r}, only RS256 is accepted")
        if not kid:
            raise LaunchError("id_token header has no kid")
        assert self.platform is not None
        # The key set cache is infrastructure: keep it even when this launch is refused.
        key_session = self.key_session_factory()
        try:
            jwk = platform_key(
                key_session,
                self.platform,
                kid,
                timeout=self.policy.jwks_timeout,
                min_refetch_interval=self.policy.jwks_min_refetch_interval,
            )
            key_session.commit()
        except PlatformKeyError as exc:
            key_session.commit()
            raise LaunchError(str(exc)) from exc
        finally:
            key_session.close()
        return RSAAlgorithm.from_jwk(json.dumps(jwk)), "RS256"  # type: ignore[return-value]

    def validate_jwt_signature(self) -> "ToolMessageLaunch":
        public_key, _ = self.get_public_key()
        assert self.platform is not None
        leeway = self.policy.clock_leeway
        try:
            body = jwt.decode(
                self._get_id_token(),
                public_key,
                algorithms=["RS256"],
                audience=self.platform.client_id,
                issuer=self.platform.issuer,
                leeway=leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise LaunchError("id_token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise LaunchError(f"id_token rejected: {exc}") from exc
        if body["iat"] > time.time() + leeway:
            raise LaunchError("id_token issued in the future (iat beyond the clock leeway)")
        return self

    def validate_deployment(self) -> "ToolMessageLaunch":
        deployment_id = self._get_jwt_body().get(claims.DEPLOYMENT_ID)
        if not deployment_id or not isinstance(deployment_id, str):
            raise LaunchError("id_token has no deployment_id")
        assert self.platform is not None
        deployment = find_deployment(self.db, self.platform, deployment_id)
        if deployment is None:
            # Record it on success only (the caller adds it): a refused launch writes nothing.
            self.new_deployment = deployment_id
            self.deployment_pending = self.policy.unknown_deployments == "hold"
        elif deployment.status != ACTIVE:
            self.deployment_pending = True
        if self.deployment_pending and deployment is not None:
            raise LaunchError(f"deployment {deployment_id!r} is waiting for approval")
        return self

    def validate_message(self) -> "ToolMessageLaunch":
        body = self._get_jwt_body()
        if body.get(claims.VERSION) != "1.3.0":
            raise LaunchError(f"unsupported LTI version {body.get(claims.VERSION)!r}")
        message_type = body.get(claims.MESSAGE_TYPE)
        if message_type not in claims.SUPPORTED_MESSAGE_TYPES:
            raise LaunchError(f"unsupported message type {message_type!r}")
        for claim in _REQUIRED_CLAIMS[message_type]:
            if claim not in body:
                raise LaunchError(f"required claim missing: {claim}")
        if not isinstance(body[claims.ROLES], list):
            raise LaunchError("roles claim is not a list")
        if message_type == claims.RESOURCE_LINK_REQUEST:
            link = body.get(claims.RESOURCE_LINK)
            if not isinstance(link, dict) or not link.get("id"):
                raise LaunchError("resource_link.id missing")
        if not isinstance(body.get("sub"), str) or not body["sub"]:
            raise LaunchError("sub missing or empty")
        try:
            return super().validate_message()
        except LtiException as exc:
            raise LaunchError(str(exc)) from exc

    def save_launch_data(self) -> "ToolMessageLaunch":
        """Consume state and nonce, last, so no write lock is held while keys are fetched."""
        assert self.login_state is not None
        # Single use, enforced by the database so two racing requests cannot both pass.
        consumed = self.db.execute(
            update(LoginState)
            .where(LoginState.state == self.login_state.state, LoginState.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if consumed.rowcount != 1:
            raise LaunchError("nonce already used (replayed launch)")
        return self


def validate_launch(
    session: Session, policy: LaunchPolicy, key_session_factory: Callable[[], Session]
) -> ValidatedLaunch:
    """Run every check on the posted id_token, or raise LaunchError with the precise reason."""
    launch = ToolMessageLaunch(session, policy, key_session_factory)
    try:
        launch.validate()
    except LaunchError:
        raise
    except LtiException as exc:
        raise LaunchError(str(exc)) from exc
    assert launch.platform is not None and launch.login_state is not None
    return ValidatedLaunch(
        platform=launch.platform,
        claims=launch._get_jwt_body(),
        deployment_pending=launch.deployment_pending,
        new_deployment=launch.new_deployment,
        state=launch.login_state.state,
        storage_target=launch.login_state.storage_target,
    )
