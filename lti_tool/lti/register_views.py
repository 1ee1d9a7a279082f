"""Dynamic Registration endpoint: /lti/register, opened by the platform in a frame or window."""

from __future__ import annotations

import json
import logging

from cryptography.hazmat.primitives import serialization
from flask import Blueprint, current_app, render_template, request
from jwt.algorithms import RSAAlgorithm

from lti_tool import current_settings
from lti_tool.db import get_session
from lti_tool.lti import claims
from lti_tool.lti.registration import RegistrationError, register_with_platform
from lti_tool.security import origin_of

log = logging.getLogger(__name__)

bp = Blueprint("lti_register", __name__, url_prefix="/lti")


def _framed_by(response, origin: str | None):
    """Let the platform that opened us frame this page, though it is not registered yet."""
    ancestors = " ".join(["'self'", origin] if origin else ["'self'"])
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    )
    return response


@bp.route("/register", methods=["GET"])
def register():
    settings = current_settings()
    db = get_session()
    configuration_url = request.args.get("openid_configuration")
    try:
        registered = register_with_platform(
            db,
            base_url=settings.base_url,
            openid_configuration_url=configuration_url,
            registration_token=request.args.get("registration_token"),
        )
    except RegistrationError as exc:
        db.rollback()
        log.warning("Dynamic Registration refused: %s", exc)
        page = render_template("lti/register_error.html", message=str(exc))
        return _framed_by(current_app.make_response((page, 400)), origin_of(configuration_url or ""))
    db.commit()
    # A new platform may frame us from now on: do not wait for the cached list to expire.
    current_app.extensions.get("leerpaspoort.frame_ancestor_cache", {}).clear()
    log.info(
        "Registered platform %s (client id %s, deployment %s) by Dynamic Registration",
        registered.platform.issuer,
        registered.platform.client_id,
        registered.deployment_id,
    )
    page = render_template("lti/register_done.html", registered=registered)
    return _framed_by(current_app.make_response(page), registered.platform_origin)


@bp.app_template_filter("jwk_to_pem")
def jwk_to_pem(jwk: dict) -> str:
    """The PEM form of a public JWK, for platforms that take an RSA key instead of a key set URL."""
    public_key = RSAAlgorithm.from_jwk(json.dumps(jwk))
    return public_key.public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@bp.app_template_global("lti_tool_scopes")
def lti_tool_scopes() -> tuple[str, ...]:
    """The service scopes we ask platforms for, for the configuration page."""
    return claims.TOOL_SCOPES
