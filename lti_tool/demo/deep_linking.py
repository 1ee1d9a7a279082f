"""The demo platform's side of Deep Linking 2.0: check the tool's response, add its items."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import jwt
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.demo.errors import DemoError
from lti_tool.demo.models import DEEP_LINKING, DemoCourseItem, DemoDeepLinkRequest, DemoLineItem, DemoPlatform
from lti_tool.demo.oauth import use_once, verify_tool_jwt
from lti_tool.demo.registration import DEPLOYMENT_ID
from lti_tool.lti import claims

DEEP_LINK_REQUEST_TTL = 3600


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
        body = verify_tool_jwt(session, token, audience=[demo.issuer], issuer=demo.client_id)
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
    if not use_once(session, f"dl:{demo.id}:{nonce}", "deep-link"):
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
