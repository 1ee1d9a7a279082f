"""The demo course page: its activities and the launch buttons (login initiation forms)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.demo.models import BUILT_IN, DemoCourseItem, DemoPlatform
from lti_tool.demo.people import DemoPerson
from lti_tool.demo.registration import DEPLOYMENT_ID

HINT_MAX_AGE = 12 * 3600
HINT_SALT = "leerpaspoort-demo-message-hint"

RESOURCE = "resource"
DEEP_LINK = "deep-link"
IFRAME = "iframe"
WINDOW = "window"


@dataclass
class LaunchButton:
    label: str
    action: str
    fields: dict[str, str]
    window_hint: str
    secondary: bool = False


def hints(secret: str) -> URLSafeTimedSerializer:
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
    signer = hints(secret)
    fields = {
        "iss": demo.issuer,
        "login_hint": person.sub,
        "target_link_uri": tool_target(item, launch_url),
        "lti_message_hint": signer.dumps({**payload, "t": IFRAME}),
        "client_id": demo.client_id,
        "lti_deployment_id": DEPLOYMENT_ID,
    }
    return LaunchButton(label, login_url, fields, signer.dumps({**payload, "t": WINDOW}), secondary)


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
