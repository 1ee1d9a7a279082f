"""The demo platform's OIDC authentication answer: checks the request, signs the id_token."""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy.orm import Session, joinedload

from lti_tool.demo.course import DEEP_LINK, HINT_MAX_AGE, IFRAME, WINDOW, hints, tool_target
from lti_tool.demo.errors import DemoError
from lti_tool.demo.models import DemoCourseItem, DemoDeepLinkRequest, DemoPlatform
from lti_tool.demo.people import DEMO_CONTEXT, PEOPLE_BY_SUB, DemoPerson
from lti_tool.demo.registration import AGS_SCOPES, DEPLOYMENT_ID, PRODUCT_FAMILY
from lti_tool.demo.urls import line_item_url, service_urls
from lti_tool.lti import claims

ID_TOKEN_LIFETIME = 60  # Moodle's id_tokens live 60 seconds.


@functools.lru_cache(maxsize=16)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    """Load the demo's signing key once per process.

    Loading a PEM runs RSA consistency checks that cost about 50 ms, more than the rest of
    the authentication answer together; the key is our own, from our own database.
    """
    key = serialization.load_pem_private_key(pem.encode(), password=None, unsafe_skip_rsa_key_validation=True)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@dataclass
class AuthResponse:
    redirect_uri: str
    id_token: str
    state: str
    claims: dict[str, Any]


def _require(params: dict[str, str], name: str, expected: str | None = None) -> str:
    value = params.get(name)
    if not value:
        raise DemoError(f"The authentication request has no {name}.")
    if expected is not None and value != expected:
        raise DemoError(f"The authentication request has {name}={value!r}; expected {expected!r}.")
    return value


def authorize(
    session: Session,
    demo: DemoPlatform,
    params: dict[str, str],
    *,
    secret: str,
    launch_url: str,
    base_url: str,
) -> AuthResponse:
    """Answer the tool's OIDC authentication request (LTI 1.3 core 5.1.1.2, Security Framework 5.1.1)."""
    _require(params, "scope", "openid")
    _require(params, "response_type", "id_token")
    _require(params, "response_mode", "form_post")
    if params.get("prompt") not in (None, "none"):
        raise DemoError("The authentication request must use prompt=none.")
    _require(params, "client_id", demo.client_id)
    # The only redirect URI registered for the tool is its launch URL.
    redirect_uri = _require(params, "redirect_uri", launch_url)
    nonce = _require(params, "nonce")
    state = _require(params, "state")
    login_hint = _require(params, "login_hint")
    try:
        hint = hints(secret).loads(_require(params, "lti_message_hint"), max_age=HINT_MAX_AGE)
    except SignatureExpired:
        raise DemoError("The launch button is too old: reload the demo course page.") from None
    except BadSignature:
        raise DemoError("The lti_message_hint was not issued by this demo platform.") from None
    if hint.get("p") != login_hint:
        raise DemoError("The login_hint does not match the person who clicked the button.")
    person = PEOPLE_BY_SUB.get(login_hint)
    if person is None:
        raise DemoError("The login_hint names nobody on this demo platform.")
    item = None
    if hint.get("i") is not None:
        # The claims name the item's gradebook column too: load both in one query.
        item = session.get(DemoCourseItem, hint["i"], options=[joinedload(DemoCourseItem.line_item)])
        if item is None or item.demo_platform_id != demo.id:
            raise DemoError("This activity is no longer on the demo course.")
    body = _id_token_claims(session, demo, person, hint, item, nonce=nonce, launch_url=launch_url, base_url=base_url)
    token = jwt.encode(body, _private_key(demo.private_pem), algorithm="RS256", headers={"kid": demo.kid})
    return AuthResponse(redirect_uri, token, state, body)


def _id_token_claims(
    session: Session,
    demo: DemoPlatform,
    person: DemoPerson,
    hint: dict[str, Any],
    item: DemoCourseItem | None,
    *,
    nonce: str,
    launch_url: str,
    base_url: str,
) -> dict[str, Any]:
    """Claims shaped like Moodle 4.5's (tests/data/moodle-4.5/launch-*.json)."""
    urls = service_urls(base_url)
    now = int(time.time())
    custom = {str(k): v for k, v in (item.custom if item else {}).items()}
    custom["context_memberships_url"] = urls["memberships"]
    ags: dict[str, Any] = {"scope": list(AGS_SCOPES), "lineitems": urls["lineitems"]}
    body: dict[str, Any] = {
        "nonce": nonce,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "iss": demo.issuer,
        "aud": demo.client_id,
        claims.DEPLOYMENT_ID: DEPLOYMENT_ID,
        claims.TARGET_LINK_URI: tool_target(item, launch_url),
        "sub": person.sub,
        claims.LTI + "lis": {"person_sourcedid": "", "course_section_sourcedid": ""},
        claims.ROLES: list(person.roles),
        claims.CONTEXT: dict(DEMO_CONTEXT),
        "given_name": person.given_name,
        "family_name": person.family_name,
        "name": person.name,
        claims.LTI + "ext": {"user_username": person.username, "lms": PRODUCT_FAMILY},
        "email": person.email,
        claims.LAUNCH_PRESENTATION: {
            "locale": hint.get("l") or "en",
            "document_target": WINDOW if hint.get("t") == WINDOW else IFRAME,
            "return_url": urls["course"],
        },
        claims.TOOL_PLATFORM: {
            "product_family_code": PRODUCT_FAMILY,
            "version": "1",
            "guid": demo.issuer,
            "name": "Leerpaspoort demo",
            "description": "The demo platform built into Leerpaspoort",
        },
        claims.VERSION: "1.3.0",
        claims.CUSTOM: custom,
        claims.AGS_ENDPOINT: ags,
        claims.NRPS: {"context_memberships_url": urls["memberships"], "service_versions": ["1.0", "2.0"]},
    }
    if hint.get("m") == DEEP_LINK:
        if claims.INSTRUCTOR not in person.roles:
            raise DemoError("Only instructors can add activities.")
        request = DemoDeepLinkRequest(token=secrets.token_urlsafe(24), demo_platform_id=demo.id, user_id=person.sub)
        session.add(request)
        body[claims.MESSAGE_TYPE] = claims.DEEP_LINKING_REQUEST
        body[claims.TARGET_LINK_URI] = launch_url
        # Moodle's settings, plus `data` (which the tool must echo unchanged, Deep Linking 2.0 4.4.1).
        body[claims.DEEP_LINKING_SETTINGS] = {
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["frame", "iframe", "window"],
            "accept_copy_advice": False,
            "accept_multiple": True,
            "accept_unsigned": False,
            "auto_create": False,
            "can_confirm": False,
            "deep_link_return_url": urls["deep_link_return"] + "?" + urlencode({"request": request.token}),
            "title": "Leerpaspoort (demo)",
            "text": "",
            "data": request.token,
        }
        custom.pop("activity", None)
        return body
    if item is None:
        raise DemoError("A resource link launch needs an activity.")
    body[claims.MESSAGE_TYPE] = claims.RESOURCE_LINK_REQUEST
    body[claims.RESOURCE_LINK] = {"title": item.title, "description": item.text, "id": str(item.id)}
    custom.setdefault("activity", str(item.id))
    if item.line_item is not None:
        ags["lineitem"] = line_item_url(base_url, item.line_item.id)
    return body
