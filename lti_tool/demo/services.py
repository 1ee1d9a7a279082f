"""The demo LTI 1.3 platform: registration, launches, OAuth2 tokens, AGS, NRPS and deep linking.

It plays Moodle 4.5's part (see tests/data/moodle-4.5) against the tool in the same app,
so a newcomer without an LMS can click through a real launch. Everything the tool sends
it is checked as strictly as a real platform would.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.demo.models import (
    BUILT_IN,
    DEEP_LINKING,
    DemoAccessToken,
    DemoCourseItem,
    DemoDeepLinkRequest,
    DemoLineItem,
    DemoPlatform,
    DemoScore,
    DemoUsedNonce,
)
from lti_tool.errors import DomainError
from lti_tool.lti import claims
from lti_tool.lti import keys as tool_keys
from lti_tool.lti.models import ACTIVE, Deployment, Platform
from lti_tool.lti.platforms import PlatformInput, add_platform
from lti_tool.lti.roles import normalise_role
from lti_tool.settings import Settings

DEPLOYMENT_ID = "1"
PRODUCT_FAMILY = "leerpaspoort-demo"
TOKEN_LIFETIME = 3600
ID_TOKEN_LIFETIME = 60  # Moodle's id_tokens live 60 seconds.
HINT_MAX_AGE = 12 * 3600
DEEP_LINK_REQUEST_TTL = 3600
CLOCK_LEEWAY = 60
HINT_SALT = "leerpaspoort-demo-message-hint"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

RESOURCE = "resource"
DEEP_LINK = "deep-link"
IFRAME = "iframe"
WINDOW = "window"

LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULTS_MEDIA_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERSHIP_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

AGS_SCOPES = (
    claims.SCOPE_LINEITEM,
    claims.SCOPE_LINEITEM_READONLY,
    claims.SCOPE_RESULT_READONLY,
    claims.SCOPE_SCORE,
)
SUPPORTED_SCOPES = (*AGS_SCOPES, claims.SCOPE_NRPS)

# AGS 2.0, section 3.4 (Score publish service): the two progress vocabularies.
ACTIVITY_PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING_PROGRESS = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}
FULLY_GRADED = "FullyGraded"


@dataclass(frozen=True)
class DemoPerson:
    sub: str
    key: str
    given_name: str
    family_name: str
    username: str
    roles: tuple[str, ...]
    # What NRPS answers: Moodle's short role names, not URIs.
    nrps_roles: tuple[str, ...]
    enrolled: bool = True

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"

    @property
    def is_learner(self) -> bool:
        return self.enrolled and claims.LEARNER in self.roles


# Subs follow Moodle's numeric user ids, as in the captured fixtures (Sam 4, Terry 3, admin 2).
DEMO_PEOPLE = (
    DemoPerson("4", "learner", "Sam", "Student", "sam.student", (claims.LEARNER,), ("Learner",)),
    DemoPerson("5", "learner2", "Lotte", "de Vries", "lotte.devries", (claims.LEARNER,), ("Learner",)),
    DemoPerson("6", "learner3", "Ahmed", "Yilmaz", "ahmed.yilmaz", (claims.LEARNER,), ("Learner",)),
    DemoPerson("3", "instructor", "Terry", "Teacher", "terry.teacher", (claims.INSTRUCTOR,), ("Instructor",)),
    DemoPerson(
        "2",
        "admin",
        "Dana",
        "Dekker",
        "dana.dekker",
        (claims.INSTITUTION_ADMINISTRATOR, claims.INSTRUCTOR, claims.SYSTEM_ADMINISTRATOR),
        (),
        enrolled=False,
    ),
)
PEOPLE_BY_SUB = {person.sub: person for person in DEMO_PEOPLE}
PEOPLE_BY_KEY = {person.key: person for person in DEMO_PEOPLE}
DEMO_CONTEXT = {"id": "2", "label": "DEMO101", "title": "Demo: E-Portfolio 101", "type": ["CourseSection"]}
BUILT_IN_TITLE = "Leerpaspoort portfolio"


class DemoError(DomainError):
    """A request to the demo platform's browser-facing endpoints that it refuses."""

    status = 400


class DemoServiceError(DomainError):
    """A refused call to the demo's service endpoints (token, AGS, NRPS), answered as JSON."""

    def __init__(self, status: int, message: str, oauth_error: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.oauth_error = oauth_error


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


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


@functools.lru_cache(maxsize=16)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    """Load the demo's signing key once per process.

    Loading a PEM runs RSA consistency checks that cost about 50 ms, more than the rest of
    the authentication answer together; the key is our own, from our own database.
    """
    key = serialization.load_pem_private_key(pem.encode(), password=None, unsafe_skip_rsa_key_validation=True)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


# --- registration ------------------------------------------------------------------------


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


# --- the course page -----------------------------------------------------------------------


@dataclass
class LaunchButton:
    label: str
    action: str
    fields: dict[str, str]
    window_hint: str
    secondary: bool = False


def _hints(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=HINT_SALT)


def tool_target(item: DemoCourseItem | None, launch_url: str) -> str:
    """Where a launch goes: the item's own URL when it is on the tool, else the launch URL."""
    if item is not None and item.url:
        a, b = urlsplit(item.url), urlsplit(launch_url)
        if (a.scheme, a.netloc) == (b.scheme, b.netloc):
            return item.url
    return launch_url


def launch_button(
    demo: DemoPlatform,
    *,
    label: str,
    person: DemoPerson,
    message: str,
    item: DemoCourseItem | None,
    locale: str,
    secret: str,
    login_url: str,
    launch_url: str,
    secondary: bool = False,
) -> LaunchButton:
    """The login initiation form (LTI 1.3 core 5.1.1) the demo posts into the tool's frame."""
    payload = {"p": person.sub, "m": message, "i": item.id if item else None, "l": locale}
    hints = _hints(secret)
    fields = {
        "iss": demo.issuer,
        "login_hint": person.sub,
        "target_link_uri": tool_target(item, launch_url),
        "lti_message_hint": hints.dumps({**payload, "t": IFRAME}),
        "client_id": demo.client_id,
        "lti_deployment_id": DEPLOYMENT_ID,
    }
    return LaunchButton(label, login_url, fields, hints.dumps({**payload, "t": WINDOW}), secondary)


def course_items(session: Session, demo: DemoPlatform) -> list[DemoCourseItem]:
    return list(
        session.scalars(
            select(DemoCourseItem).where(DemoCourseItem.demo_platform_id == demo.id).order_by(DemoCourseItem.id)
        )
    )


def built_in_item(session: Session, demo: DemoPlatform) -> DemoCourseItem | None:
    return session.scalars(
        select(DemoCourseItem)
        .where(DemoCourseItem.demo_platform_id == demo.id, DemoCourseItem.source == BUILT_IN)
        .order_by(DemoCourseItem.id)
    ).first()


@dataclass
class GradebookRow:
    person: DemoPerson
    cells: list[DemoScore | None]


@dataclass
class Gradebook:
    columns: list[DemoLineItem]
    rows: list[GradebookRow] = field(default_factory=list)


def gradebook(session: Session, demo: DemoPlatform) -> Gradebook:
    """Columns (line items) by learners, with the latest score received for each."""
    columns = list(
        session.scalars(select(DemoLineItem).where(DemoLineItem.demo_platform_id == demo.id).order_by(DemoLineItem.id))
    )
    scores = {
        (score.line_item_id, score.user_id): score
        for score in session.scalars(
            select(DemoScore).join(DemoLineItem).where(DemoLineItem.demo_platform_id == demo.id)
        )
    }
    learners = [person for person in DEMO_PEOPLE if person.is_learner]
    rows = [GradebookRow(person, [scores.get((column.id, person.sub)) for column in columns]) for person in learners]
    return Gradebook(columns, rows)


# --- OIDC authentication and the id_token ----------------------------------------------------


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
        hint = _hints(secret).loads(_require(params, "lti_message_hint"), max_age=HINT_MAX_AGE)
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
        item = session.get(DemoCourseItem, hint["i"])
        if item is None or item.demo_platform_id != demo.id:
            raise DemoError("This activity is no longer on the demo course.")
    body = _id_token_claims(session, demo, person, hint, item, nonce=nonce, launch_url=launch_url, base_url=base_url)
    token = jwt.encode(body, _private_key(demo.private_pem), algorithm="RS256", headers={"kid": demo.kid})
    return AuthResponse(redirect_uri, token, state, body)


def service_urls(base_url: str) -> dict[str, str]:
    demo = base_url.rstrip("/") + "/demo"
    return {
        "lineitems": demo + "/ags/lineitems?type_id=1",
        "memberships": demo + "/nrps/memberships",
        "deep_link_return": demo + "/deep-link-return",
        "course": demo,
    }


def line_item_url(base_url: str, line_item_id: int) -> str:
    # Moodle's line item URLs carry a query string: tools must put /scores before it (AGS 2.0, 3.4).
    return f"{base_url.rstrip('/')}/demo/ags/lineitems/{line_item_id}/lineitem?type_id=1"


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


# --- OAuth2 client credentials (Security Framework 4.1) --------------------------------------


def _tool_key(session: Session, kid: str | None) -> Any:
    if not kid:
        raise ValueError("the JWT header has no kid")
    for jwk in tool_keys.public_jwks(session)["keys"]:
        if jwk.get("kid") == kid:
            return RSAAlgorithm.from_jwk(json.dumps(jwk))
    raise ValueError(f"no key with kid {kid!r} in the tool's JWKS")


def _verify_tool_jwt(session: Session, token: str, *, audience: list[str], issuer: str) -> dict[str, Any]:
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


def _use_once(session: Session, value: str, kind: str) -> bool:
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
        body = _verify_tool_jwt(
            session, form["client_assertion"], audience=[token_url, demo.issuer], issuer=demo.client_id
        )
    except (ValueError, jwt.InvalidTokenError) as exc:
        # RFC 7523, 3.2: an invalid client assertion is answered with invalid_client.
        raise DemoServiceError(401, f"client assertion rejected: {exc}", "invalid_client") from None
    if body.get("sub") != demo.client_id:
        raise DemoServiceError(401, "client assertion sub must be the client id", "invalid_client")
    if not body.get("jti") or not _use_once(session, f"jti:{demo.id}:{body['jti']}", "jti"):
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


# --- Assignment and Grade Services 2.0 -------------------------------------------------------


def line_item_json(item: DemoLineItem, base_url: str) -> dict[str, Any]:
    return {
        "id": line_item_url(base_url, item.id),
        "label": item.label,
        "scoreMaximum": item.score_maximum,
        "resourceId": item.resource_id,
        "tag": item.tag,
        "resourceLinkId": str(item.course_item_id) if item.course_item_id else "",
        "ltiLinkId": str(item.course_item_id) if item.course_item_id else "",
    }


def get_line_item(session: Session, demo: DemoPlatform, line_item_id: int) -> DemoLineItem:
    item = session.get(DemoLineItem, line_item_id)
    if item is None or item.demo_platform_id != demo.id:
        raise DemoServiceError(404, "no such line item")
    return item


def list_line_items(
    session: Session, demo: DemoPlatform, *, resource_link_id: str | None, resource_id: str | None, tag: str | None
) -> list[DemoLineItem]:
    query = select(DemoLineItem).where(DemoLineItem.demo_platform_id == demo.id).order_by(DemoLineItem.id)
    if resource_link_id:
        query = query.where(DemoLineItem.course_item_id == (int(resource_link_id) if resource_link_id.isdigit() else -1))
    if resource_id:
        query = query.where(DemoLineItem.resource_id == resource_id)
    if tag:
        query = query.where(DemoLineItem.tag == tag)
    return list(session.scalars(query))


def _line_item_fields(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise DemoServiceError(400, "the line item must be a JSON object")
    label = payload.get("label")
    maximum = payload.get("scoreMaximum")
    if not isinstance(label, str) or not label.strip():
        raise DemoServiceError(400, "label is required")
    if isinstance(maximum, bool) or not isinstance(maximum, (int, float)) or maximum <= 0:
        raise DemoServiceError(400, "scoreMaximum must be a number above 0")
    return {
        "label": label.strip()[:512],
        "score_maximum": float(maximum),
        "resource_id": str(payload.get("resourceId") or "")[:255],
        "tag": str(payload.get("tag") or "")[:255],
    }


def create_line_item(session: Session, demo: DemoPlatform, payload: Any) -> DemoLineItem:
    values = _line_item_fields(payload)
    course_item_id = None
    link = payload.get("resourceLinkId")
    if link:
        course_item = session.get(DemoCourseItem, int(link)) if str(link).isdigit() else None
        if course_item is None or course_item.demo_platform_id != demo.id:
            raise DemoServiceError(400, "resourceLinkId names no activity on this course")
        course_item_id = course_item.id
    item = DemoLineItem(demo_platform_id=demo.id, course_item_id=course_item_id, **values)
    session.add(item)
    session.flush()
    return item


def update_line_item(session: Session, demo: DemoPlatform, line_item_id: int, payload: Any) -> DemoLineItem:
    item = get_line_item(session, demo, line_item_id)
    for name, value in _line_item_fields(payload).items():
        setattr(item, name, value)
    return item


def delete_line_item(session: Session, demo: DemoPlatform, line_item_id: int) -> None:
    session.delete(get_line_item(session, demo, line_item_id))


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise DemoServiceError(400, "timestamp is required (ISO 8601 with a time zone)")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise DemoServiceError(400, f"timestamp {value!r} is not ISO 8601") from None
    if parsed.tzinfo is None:
        raise DemoServiceError(400, "timestamp needs a time zone")
    return parsed.astimezone(timezone.utc)


def _number(payload: dict[str, Any], name: str) -> float | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise DemoServiceError(400, f"{name} must be a number of at least 0")
    return float(value)


def record_score(session: Session, demo: DemoPlatform, line_item_id: int, payload: Any) -> DemoScore:
    """Store a score as Moodle 4.5 would (AGS 2.0, 3.4), including Moodle's refusals."""
    line_item = get_line_item(session, demo, line_item_id)
    if not isinstance(payload, dict):
        raise DemoServiceError(400, "the score must be a JSON object")
    user_id = payload.get("userId")
    person = PEOPLE_BY_SUB.get(user_id) if isinstance(user_id, str) else None
    # Moodle: the user must be an enrolled, gradable learner of the course, else 400.
    if person is None or not person.is_learner:
        raise DemoServiceError(400, "userId is not an enrolled learner of this course")
    if payload.get("activityProgress") not in ACTIVITY_PROGRESS:
        raise DemoServiceError(400, "activityProgress is missing or not one of " + ", ".join(sorted(ACTIVITY_PROGRESS)))
    if payload.get("gradingProgress") not in GRADING_PROGRESS:
        raise DemoServiceError(400, "gradingProgress is missing or not one of " + ", ".join(sorted(GRADING_PROGRESS)))
    timestamp = _timestamp(payload.get("timestamp"))
    score_given = _number(payload, "scoreGiven")
    score_maximum = _number(payload, "scoreMaximum")
    if score_given is not None and not score_maximum:
        raise DemoServiceError(400, "scoreGiven needs a scoreMaximum above 0")
    comment = payload.get("comment")
    score = session.scalars(
        select(DemoScore).where(DemoScore.line_item_id == line_item.id, DemoScore.user_id == person.sub)
    ).first()
    # Moodle: each new score must be later, to the second, than the stored one, else 409.
    if score is not None and int(timestamp.timestamp()) <= int(score.timestamp.timestamp()):
        raise DemoServiceError(409, "a score with this or a later timestamp is already stored")
    if score is None:
        score = DemoScore(line_item_id=line_item.id, user_id=person.sub)
        session.add(score)
    score.score_given = score_given
    score.score_maximum = score_maximum
    score.activity_progress = payload["activityProgress"]
    score.grading_progress = payload["gradingProgress"]
    score.comment = comment if isinstance(comment, str) else ""
    score.timestamp = timestamp
    score.received_at = utcnow()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DemoServiceError(409, "another score for this learner arrived at the same moment") from None
    return score


def results_json(session: Session, demo: DemoPlatform, line_item_id: int, base_url: str, user_id: str | None) -> list[dict]:
    line_item = get_line_item(session, demo, line_item_id)
    query = select(DemoScore).where(DemoScore.line_item_id == line_item.id).order_by(DemoScore.user_id)
    if user_id:
        query = query.where(DemoScore.user_id == user_id)
    url = line_item_url(base_url, line_item.id)
    results = []
    for score in session.scalars(query):
        if score.score_given is None:
            continue
        scale = line_item.score_maximum / score.score_maximum if score.score_maximum else 1.0
        results.append(
            {
                "id": url.replace("/lineitem?", f"/lineitem/results/{score.user_id}?"),
                "scoreOf": url,
                "userId": score.user_id,
                "resultScore": round(score.score_given * scale, 5),
                "resultMaximum": line_item.score_maximum,
                "comment": score.comment,
                "timestamp": score.timestamp.isoformat(),
            }
        )
    return results


def shown_grade(score: DemoScore | None, column: DemoLineItem) -> float | None:
    """The grade the gradebook shows: only FullyGraded scores count (AGS 2.0, 3.4.8)."""
    if score is None or score.grading_progress != FULLY_GRADED or score.score_given is None or not score.score_maximum:
        return None
    return round(score.score_given / score.score_maximum * column.score_maximum, 2)


# --- Names and Role Provisioning Services 2.0 ------------------------------------------------


@dataclass
class MembershipPage:
    body: dict[str, Any]
    next_url: str | None


def memberships(base_url: str, *, role: str | None, limit: int | None, offset: int) -> MembershipPage:
    """The course roster, with Moodle's short role names, an optional role filter and paging."""
    members = [person for person in DEMO_PEOPLE if person.enrolled]
    if role:
        wanted = normalise_role(role)
        members = [p for p in members if wanted in {normalise_role(r) for r in p.nrps_roles}]
    page = members[offset : offset + limit] if limit else members[offset:]
    url = service_urls(base_url)["memberships"]
    next_url = None
    if limit and offset + limit < len(members):
        query = {"limit": limit, "offset": offset + limit}
        if role:
            query["role"] = role
        next_url = url + "?" + urlencode(query)
    body = {
        "id": url,
        "context": {key: DEMO_CONTEXT[key] for key in ("id", "label", "title")},
        "members": [
            {
                "status": "Active",
                "roles": list(person.nrps_roles),
                "user_id": person.sub,
                "lis_person_sourcedid": "",
                "name": person.name,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "email": person.email,
                "ext_user_username": person.username,
            }
            for person in page
        ],
    }
    return MembershipPage(body, next_url)


# --- Deep Linking 2.0 ------------------------------------------------------------------------


def _string_map(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise DemoError(f"{what} must be an object of strings (LTI custom parameters are strings).")
    return dict(value)


def accept_deep_link_response(
    session: Session, demo: DemoPlatform, request_token: str | None, token: str | None
) -> list[DemoCourseItem]:
    """Check the tool's LtiDeepLinkingResponse (Deep Linking 2.0, 4.4) and add its items to the course."""
    if not token:
        raise DemoError("The deep-linking response has no JWT form field.")
    request = session.get(DemoDeepLinkRequest, request_token or "")
    if request is None or request.demo_platform_id != demo.id:
        raise DemoError("This deep-linking response answers no request the demo sent.")
    if request.used_at is not None:
        raise DemoError("This deep-linking request was already answered.")
    if (utcnow() - request.created_at).total_seconds() > DEEP_LINK_REQUEST_TTL:
        raise DemoError("This deep-linking request has expired: start again from the course page.")
    try:
        body = _verify_tool_jwt(session, token, audience=[demo.issuer], issuer=demo.client_id)
    except (ValueError, jwt.InvalidTokenError) as exc:
        raise DemoError(f"The deep-linking response JWT was rejected: {exc}.") from None
    if body.get(claims.MESSAGE_TYPE) != claims.DEEP_LINKING_RESPONSE:
        raise DemoError("The JWT is not an LtiDeepLinkingResponse.")
    if body.get(claims.VERSION) != "1.3.0":
        raise DemoError("The deep-linking response must carry version 1.3.0.")
    if body.get(claims.DEPLOYMENT_ID) != DEPLOYMENT_ID:
        raise DemoError(f"The deep-linking response names deployment {body.get(claims.DEPLOYMENT_ID)!r}, not {DEPLOYMENT_ID!r}.")
    if body.get(claims.DL_DATA) != request.token:
        raise DemoError("The deep-linking response does not echo the request's data claim unchanged.")
    nonce = body.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise DemoError("The deep-linking response has no nonce.")
    if not _use_once(session, f"dl:{demo.id}:{nonce}", "deep-link"):
        raise DemoError("The deep-linking response reuses a nonce (replayed?).")
    items = body.get(claims.DL_CONTENT_ITEMS) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise DemoError("content_items must be a list of objects.")
    # accept_multiple is true in the request, so any number of items is fine.
    created = [_add_content_item(session, demo, content) for content in items]
    request.used_at = utcnow()
    session.flush()
    return created


def _add_content_item(session: Session, demo: DemoPlatform, content: dict[str, Any]) -> DemoCourseItem:
    if content.get("type") != "ltiResourceLink":
        raise DemoError(f"Content item type {content.get('type')!r} was not requested (accept_types: ltiResourceLink).")
    title = content.get("title")
    url = content.get("url") or ""
    if not isinstance(url, str) or (url and urlsplit(url).scheme not in {"http", "https"}):
        raise DemoError("A content item's url must be an http(s) URL.")
    item = DemoCourseItem(
        demo_platform_id=demo.id,
        title=(title if isinstance(title, str) and title.strip() else "Leerpaspoort activity")[:512],
        text=content.get("text") if isinstance(content.get("text"), str) else "",
        url=url[:1024],
        custom=_string_map(content.get("custom"), "custom"),
        source=DEEP_LINKING,
    )
    session.add(item)
    session.flush()
    line_item = content.get("lineItem")
    # Moodle creates a gradebook column only when the item carries a lineItem.
    if line_item is not None:
        if not isinstance(line_item, dict):
            raise DemoError("lineItem must be an object.")
        maximum = line_item.get("scoreMaximum")
        if isinstance(maximum, bool) or not isinstance(maximum, (int, float)) or maximum <= 0:
            raise DemoError("lineItem.scoreMaximum must be a number above 0.")
        label = line_item.get("label")
        session.add(
            DemoLineItem(
                demo_platform_id=demo.id,
                course_item_id=item.id,
                label=(label if isinstance(label, str) and label.strip() else item.title)[:512],
                score_maximum=float(maximum),
                resource_id=str(line_item.get("resourceId") or "")[:255],
                tag=str(line_item.get("tag") or "")[:255],
            )
        )
        session.flush()
    return item
