"""Third-party initiated login (LTI 1.3 core 5.1.1): start an OIDC authentication request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from sqlalchemy import delete
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.errors import LaunchError
from lti_tool.lti.models import LoginState
from lti_tool.lti.registry import find_platform


@dataclass
class LoginRedirect:
    auth_url: str
    params: dict[str, str]
    state: str
    nonce: str
    storage_target: str | None

    @property
    def url(self) -> str:
        separator = "&" if "?" in self.auth_url else "?"
        return self.auth_url + separator + urlencode(self.params)


def _same_origin(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def start_login(session: Session, params: dict[str, str], *, launch_url: str, base_url: str) -> LoginRedirect:
    """Validate the login initiation and record state and nonce server-side."""
    issuer = params.get("iss")
    login_hint = params.get("login_hint")
    target = params.get("target_link_uri")
    if not issuer:
        raise LaunchError("login initiation without iss")
    if not login_hint:
        raise LaunchError("login initiation without login_hint")
    if not target:
        raise LaunchError("login initiation without target_link_uri")
    # Only our own URLs may be launch targets: anything else would be an open redirect.
    if not _same_origin(target, base_url):
        raise LaunchError(f"target_link_uri {target!r} is not on this tool ({base_url})")
    platform = find_platform(session, issuer, params.get("client_id") or None)
    if platform is None:
        raise LaunchError(f"login from unregistered issuer {issuer!r} / client {params.get('client_id')!r}")
    state = "state-" + secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    storage_target = params.get("lti_storage_target") or None
    session.add(
        LoginState(
            state=state,
            nonce=nonce,
            platform_id=platform.id,
            target_link_uri=target[:1024],
            storage_target=storage_target,
        )
    )
    auth_params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": launch_url,
        "state": state,
        "nonce": nonce,
        "login_hint": login_hint,
    }
    if params.get("lti_message_hint"):
        auth_params["lti_message_hint"] = params["lti_message_hint"]
    return LoginRedirect(platform.auth_login_url, auth_params, state, nonce, storage_target)


def purge_expired_logins(session: Session, ttl_seconds: int) -> int:
    """Delete login states older than their lifetime (used or not)."""
    cutoff = utcnow() - timedelta(seconds=ttl_seconds)
    return session.execute(delete(LoginState).where(LoginState.created_at < cutoff)).rowcount
