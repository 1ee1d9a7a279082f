"""The demo platform and its registration in the tool: created on first use, kept up to date."""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.demo.models import BUILT_IN, DemoCourseItem, DemoLineItem, DemoPlatform
from lti_tool.lti import claims
from lti_tool.lti.models import ACTIVE, Deployment, Platform
from lti_tool.lti.platforms import PlatformInput, add_platform
from lti_tool.settings import Settings

DEPLOYMENT_ID = "1"
PRODUCT_FAMILY = "leerpaspoort-demo"

AGS_SCOPES = (
    claims.SCOPE_LINEITEM,
    claims.SCOPE_LINEITEM_READONLY,
    claims.SCOPE_RESULT_READONLY,
    claims.SCOPE_SCORE,
)
SUPPORTED_SCOPES = (*AGS_SCOPES, claims.SCOPE_NRPS)
BUILT_IN_TITLE = "Leerpaspoort portfolio"


def _client_id() -> str:
    # Moodle gives every tool a random 15-character client id.
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(15))


def _new_key() -> tuple[str, str, dict[str, Any]]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = "demo-" + secrets.token_hex(8)
    jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return kid, pem, jwk


def find_demo_platform(session: Session, issuer: str) -> DemoPlatform | None:
    return session.scalars(select(DemoPlatform).where(DemoPlatform.issuer == issuer)).first()


def ensure_demo_platform(session: Session, settings: Settings) -> DemoPlatform:
    """Create the demo platform and its registration in the tool, or bring them up to date."""
    issuer = settings.url("/demo")
    registration = {
        "auth_login_url": settings.url("/demo/auth"),
        "auth_token_url": settings.url("/demo/token"),
        "status": ACTIVE,
    }
    demo = find_demo_platform(session, issuer)
    if demo is None:
        kid, pem, jwk = _new_key()
        platform = add_platform(
            session,
            PlatformInput(
                issuer=issuer,
                client_id=_client_id(),
                key_set_url=None,
                # Inline keys: a launch never makes the app fetch from itself.
                key_set={"keys": [jwk]},
                deployment_ids=[DEPLOYMENT_ID],
                name="Leerpaspoort demo platform",
                product_family=PRODUCT_FAMILY,
                granted_scopes=" ".join(SUPPORTED_SCOPES),
                auth_login_url=registration["auth_login_url"],
                auth_token_url=registration["auth_token_url"],
            ),
        )
        demo = DemoPlatform(
            issuer=issuer, platform_id=platform.id, client_id=platform.client_id, kid=kid, private_pem=pem, public_jwk=jwk
        )
        session.add(demo)
        session.flush()
        item = DemoCourseItem(
            demo_platform_id=demo.id,
            title=BUILT_IN_TITLE,
            text="The e-portfolio of this course, added by hand as in Moodle's \"External tool\" activity.",
            custom={"placement": "manual"},
            source=BUILT_IN,
        )
        session.add(item)
        session.flush()
        session.add(DemoLineItem(demo_platform_id=demo.id, course_item_id=item.id, label=BUILT_IN_TITLE, score_maximum=100))
        session.flush()
        return demo
    platform = session.get(Platform, demo.platform_id)
    assert platform is not None  # the foreign key cascades: no demo row outlives its platform
    for name, value in registration.items():
        if getattr(platform, name) != value:
            setattr(platform, name, value)
    key_set = {"keys": [demo.public_jwk]}
    if platform.key_set != key_set:
        platform.key_set = key_set
    deployment = session.scalars(
        select(Deployment).where(Deployment.platform_id == platform.id, Deployment.deployment_id == DEPLOYMENT_ID)
    ).first()
    if deployment is None:
        session.add(Deployment(platform_id=platform.id, deployment_id=DEPLOYMENT_ID, status=ACTIVE))
    elif deployment.status != ACTIVE:
        deployment.status = ACTIVE
    session.flush()
    return demo
