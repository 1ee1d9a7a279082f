"""Deep Linking 2.0 (tool side): offer what can be placed, and answer with a signed response.

What the picker offers comes from a small registry of content item providers: each is a
function returning `Offer`s for a deep-linking request. The portfolio and reflection
activities are built in; later features (modules, assessments) register their own.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy import JSON, Float, ForeignKey, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from lti_tool.db import Base, UTCDateTime, utcnow
from lti_tool.errors import DomainError, ForbiddenError, NotFoundError
from lti_tool.lti import claims
from lti_tool.lti.models import LaunchRecord, Platform
from lti_tool.lti.registry import to_registration
from lti_tool.lti.roles import ADMIN, INSTRUCTOR, primary_role
from lti_tool.people.models import Context

RESOURCE_LINK_TYPE = "ltiResourceLink"
KIND_PORTFOLIO = "portfolio"
KIND_REFLECTION = "reflection"
# Custom parameters (Deep Linking 2.0, 3.4.1: "custom" rather than query strings); the
# people service reads KIND_PARAM into ResourceLink.kind on every later launch.
KIND_PARAM = "leerpaspoort_kind"
ITEM_PARAM = "leerpaspoort_item"
REFLECTION_SCORE_MAXIMUM = 100
TITLE_MAX = 255
PROMPT_MAX = 5000
TEXT_MAX = 1000
# A maximum score the instructor may choose (Offer.score_choosable): whole points, 1 to 1000.
SCORE_MAXIMUM_RANGE = (1, 1000)
RESPONSE_LIFETIME = 600
# A deep-linking launch is answered once: a double submit or the back button would otherwise
# place the items twice (Moodle's return URL stays valid for its session). The record's
# message type changes to this marker, atomically, when the response is signed.
ANSWERED = claims.DEEP_LINKING_REQUEST + "/answered"
PRESENTATIONS = ("iframe", "window")


class DeepLinkingError(DomainError):
    """The picker's submission cannot be turned into a response; the message says why."""

    status = 400


class AlreadyAnsweredError(DomainError):
    """The platform already received the answer to this content selection."""

    status = 409


class PlacedItem(Base):
    """What an instructor placed through deep linking, for the launches of that link.

    Small values travel as custom parameters; a prompt can be long and multi-line, which
    Moodle's "key=value" custom parameter storage cannot hold, so it is kept here and the
    link carries only `leerpaspoort_item` = public_id.
    """

    __tablename__ = "placed_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[int | None] = mapped_column(ForeignKey("contexts.id", ondelete="SET NULL"))
    placed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    prompt: Mapped[str] = mapped_column(Text, default="")
    score_maximum: Mapped[float | None] = mapped_column(Float)
    # The offer's own custom parameters (e.g. which module), so reports know what was placed.
    custom: Mapped[dict[str, str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class Offer:
    """One thing the picker can place; `key` is unique within one picker."""

    key: str
    kind: str
    title: str
    description: str
    score_maximum: float | None = None
    has_prompt: bool = False
    # The instructor may set the maximum score in the picker (score_maximum is the default).
    score_choosable: bool = False
    # Extra custom parameters for the link (a provider's own ids); strings only (LTI core 5.4.6).
    custom: dict[str, str] = field(default_factory=dict)

    @property
    def graded(self) -> bool:
        return self.score_maximum is not None


@dataclass
class DeepLinkRequest:
    """The deep_linking_settings of a validated launch, with what the response needs."""

    launch_id: str
    platform: Platform
    user_id: int
    deployment_id: str
    return_url: str
    accept_types: list[str]
    accept_multiple: bool
    presentations: list[str]
    has_data: bool
    data: Any
    context_id: int | None
    title: str = ""

    @property
    def accepts_links(self) -> bool:
        return RESOURCE_LINK_TYPE in self.accept_types


@dataclass
class Choice:
    offer_key: str
    title: str = ""
    prompt: str = ""
    score_maximum: str = ""


@dataclass
class DeepLinkResponse:
    jwt: str
    return_url: str
    content_items: list[dict[str, Any]]


OfferProvider = Callable[[Session, DeepLinkRequest], Iterable[Offer]]
_PROVIDERS: list[OfferProvider] = []


def register_provider(provider: OfferProvider) -> OfferProvider:
    """Add a source of offers to the picker (usable as a decorator); order is kept."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def offers_for(session: Session, request: DeepLinkRequest) -> list[Offer]:
    """Everything the picker may offer for this request (nothing when links are not accepted)."""
    if not request.accepts_links:
        return []
    offers: list[Offer] = []
    for provider in _PROVIDERS:
        offers.extend(provider(session, request))
    return offers


@register_provider
def _builtin_offers(session: Session, request: DeepLinkRequest) -> list[Offer]:
    return [
        Offer(
            key=KIND_PORTFOLIO,
            kind=KIND_PORTFOLIO,
            title=str(_l("Portfolio")),
            description=str(_l("Each learner's own portfolio: evidence, reflections and collections. Not graded.")),
        ),
        Offer(
            key=KIND_REFLECTION,
            kind=KIND_REFLECTION,
            title=str(_l("Reflection activity")),
            description=str(_l("Learners write a reflection on a prompt you give; it appears in the gradebook (0-100).")),
            score_maximum=REFLECTION_SCORE_MAXIMUM,
            has_prompt=True,
        ),
    ]


def _as_bool(value: Any) -> bool:
    # Deep Linking 2.0, 4.4.1: booleans, though some platforms send "true"/"false" strings.
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _string_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def load_request(session: Session, launch_id: str, user_id: int) -> DeepLinkRequest:
    """The deep-linking request of this launch, only for the person who made it."""
    launch = session.get(LaunchRecord, launch_id) if launch_id and len(launch_id) <= 64 else None
    if launch is not None and launch.message_type == ANSWERED and launch.user_id == user_id:
        raise AlreadyAnsweredError(
            _("This content selection has already been sent to your course. Start again from your course to add more.")
        )
    if launch is None or launch.message_type != claims.DEEP_LINKING_REQUEST:
        raise NotFoundError(_("This content selection is unknown or has expired. Start again from your course."))
    if launch.user_id != user_id:
        raise ForbiddenError(_("This content selection was started by someone else."))
    body = launch.claims
    if primary_role(_string_list(body.get(claims.ROLES))) not in {INSTRUCTOR, ADMIN}:
        raise ForbiddenError(_("Only teachers and administrators can choose what to place in a course."))
    settings = body.get(claims.DEEP_LINKING_SETTINGS) or {}
    return_url = settings.get("deep_link_return_url") if isinstance(settings, dict) else None
    if not isinstance(return_url, str) or not return_url.startswith(("http://", "https://")):
        raise DeepLinkingError(_("The platform sent no valid return URL for this content selection."))
    platform = session.get(Platform, launch.platform_id)
    assert platform is not None
    targets = settings.get("accept_presentation_document_targets")
    # Absent targets mean the platform did not restrict them.
    presentations = list(PRESENTATIONS) if targets is None else [t for t in PRESENTATIONS if t in _string_list(targets)]
    context = body.get(claims.CONTEXT) or {}
    context_row = None
    if isinstance(context, dict) and context.get("id"):
        context_row = session.scalars(
            select(Context).filter_by(platform_id=platform.id, context_id=str(context["id"]))
        ).first()
    return DeepLinkRequest(
        launch_id=launch.id,
        platform=platform,
        user_id=user_id,
        deployment_id=str(body.get(claims.DEPLOYMENT_ID)),
        return_url=return_url,
        accept_types=_string_list(settings.get("accept_types")),
        accept_multiple=_as_bool(settings.get("accept_multiple")),
        presentations=presentations,
        has_data="data" in settings,
        data=settings.get("data"),
        context_id=context_row.id if context_row else None,
        title=settings.get("title") if isinstance(settings.get("title"), str) else "",
    )


class _ContentItem(DeepLinkResource):
    """pylti1p3's resource link with the `text` and presentation properties (DL 2.0, 3.4.1)."""

    def __init__(self, text: str = "", presentation: str = ""):
        self._text = text
        self._presentation = presentation

    def to_dict(self) -> dict[str, object]:
        item = super().to_dict()
        if self._text:
            item["text"] = self._text
        if self._presentation == "window":
            item["window"] = {"targetName": "_blank"}
        elif self._presentation == "iframe":
            item["iframe"] = {"height": 800}
        return item


class _Response(DeepLink):
    """pylti1p3's response message with a single audience, and `data` only when it was sent."""

    def __init__(self, registration, deployment_id: str, settings: dict[str, Any], has_data: bool):
        super().__init__(registration, deployment_id, settings)  # type: ignore[arg-type]
        self._has_data = has_data

    def get_message_jwt(self, resources) -> dict[str, object]:
        message = super().get_message_jwt(resources)
        now = int(time.time())
        message.update(aud=self._registration.get_issuer(), iat=now, exp=now + RESPONSE_LIFETIME)
        message["nonce"] = secrets.token_urlsafe(24)
        # Deep Linking 2.0, 4.4.1: `data` must come back unchanged when the request had it.
        if not self._has_data:
            message.pop(claims.DL_DATA, None)
        return message


def _clean(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit] if text else ""


def _title_of(choice: Choice, offer: Offer) -> str:
    title = " ".join(choice.title.split())
    if len(title) > TITLE_MAX:
        raise DeepLinkingError(_("A title can be at most %(max)s characters.", max=TITLE_MAX))
    return title or offer.title


def _prompt_of(choice: Choice, offer: Offer) -> str:
    if not offer.has_prompt:
        return ""
    prompt = choice.prompt.strip()
    if len(prompt) > PROMPT_MAX:
        raise DeepLinkingError(_("A prompt can be at most %(max)s characters.", max=PROMPT_MAX))
    return prompt


def _score_maximum_of(choice: Choice, offer: Offer) -> float | None:
    raw = choice.score_maximum.strip()
    if not offer.score_choosable or not raw:
        return offer.score_maximum
    low, high = SCORE_MAXIMUM_RANGE
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise DeepLinkingError(
            _("The maximum score must be a whole number from %(low)s to %(high)s.", low=low, high=high)
        )
    return float(raw)


def mark_answered(session: Session, request: DeepLinkRequest) -> None:
    """Consume the deep-linking launch; a second, racing submission finds it already used."""
    consumed = session.execute(
        update(LaunchRecord)
        .where(LaunchRecord.id == request.launch_id, LaunchRecord.message_type == claims.DEEP_LINKING_REQUEST)
        .values(message_type=ANSWERED)
        .execution_options(synchronize_session=False)
    )
    if consumed.rowcount != 1:
        raise AlreadyAnsweredError(_("This content selection has already been sent to your course."))


def _choices_checked(request: DeepLinkRequest, offers: dict[str, Offer], choices: list[Choice]) -> list[Choice]:
    if choices and not request.accepts_links:
        raise DeepLinkingError(_("The platform does not accept links to activities here."))
    if len(choices) > 1 and not request.accept_multiple:
        raise DeepLinkingError(_("The platform accepts only one item here: choose one."))
    seen: set[str] = set()
    for choice in choices:
        if choice.offer_key not in offers:
            raise DeepLinkingError(_("Unknown item %(key)s: reload the page and choose again.", key=choice.offer_key[:40]))
        if choice.offer_key in seen:
            raise DeepLinkingError(_("Each item can be chosen only once."))
        seen.add(choice.offer_key)
    return choices


def build_response(
    session: Session,
    request: DeepLinkRequest,
    choices: list[Choice],
    *,
    base_url: str,
    presentation: str = "",
) -> DeepLinkResponse:
    """Record what is placed, consume the launch and sign the LtiDeepLinkingResponse (no choices: a cancel)."""
    offers = {offer.key: offer for offer in offers_for(session, request)}
    _choices_checked(request, offers, choices)
    if presentation and presentation not in request.presentations:
        raise DeepLinkingError(_("The platform does not accept that way of opening the activity."))
    launch_url = base_url.rstrip("/") + "/lti/launch"
    resources = []
    for choice in choices:
        offer = offers[choice.offer_key]
        title = _title_of(choice, offer)
        prompt = _prompt_of(choice, offer)
        score_maximum = _score_maximum_of(choice, offer)
        placed = PlacedItem(
            public_id=secrets.token_hex(16),
            platform_id=request.platform.id,
            context_id=request.context_id,
            placed_by=request.user_id,
            kind=offer.kind,
            title=title,
            prompt=prompt,
            score_maximum=score_maximum,
            custom=dict(offer.custom),
        )
        session.add(placed)
        custom = {**offer.custom, KIND_PARAM: offer.kind, ITEM_PARAM: placed.public_id}
        resource = (
            _ContentItem(text=_clean(prompt, TEXT_MAX) or offer.description, presentation=presentation)
            .set_title(title)
            .set_url(launch_url)
            .set_custom_params(custom)
        )
        if score_maximum is not None:
            # Moodle creates a gradebook column only for items with a lineItem (DL 2.0, 3.4.1).
            resource.set_lineitem(
                LineItem()
                .set_score_maximum(score_maximum)  # type: ignore[arg-type]
                .set_label(title)
                .set_resource_id(placed.public_id)
                .set_tag("leerpaspoort-" + offer.kind)
            )
        resources.append(resource)
    session.flush()
    mark_answered(session, request)
    registration = to_registration(session, request.platform)
    settings = {"deep_link_return_url": request.return_url, "data": request.data}
    message = _Response(registration, request.deployment_id, settings, request.has_data)
    return DeepLinkResponse(
        jwt=message.get_response_jwt(resources),
        return_url=request.return_url,
        content_items=[r.to_dict() for r in resources],
    )


def placed_item_for(session: Session, platform_id: int, custom: dict[str, Any] | None) -> PlacedItem | None:
    """The item a launch's custom parameters point at, within the launching platform only."""
    public_id = (custom or {}).get(ITEM_PARAM)
    if not isinstance(public_id, str) or not public_id:
        return None
    return session.scalars(
        select(PlacedItem).where(PlacedItem.public_id == public_id, PlacedItem.platform_id == platform_id)
    ).first()
