"""Assignment and Grade Services 2.0: line items of a resource link, and scores through the outbox.

Scores never leave inline: `enqueue_score` writes an outbox message in the caller's
transaction, and the worker sends it after the commit (see lti_tool/outbox/).
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.errors import DomainError
from lti_tool.lti.claims import SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_SCORE
from lti_tool.lti.models import Platform
from lti_tool.lti.service_client import ServiceClient, ServiceError
from lti_tool.outbox.delivery import outcome_from_error
from lti_tool.outbox.models import OutboxMessage
from lti_tool.outbox.services import Outcome
from lti_tool.people.models import ResourceLink

SCORE_KIND = "ags.score"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"

# AGS 2.0, 3.4.5 and 3.4.6: the only values a platform accepts.
ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")
COMMENT_MAX_LENGTH = 4000
_URL_MAX_LENGTH = 1024
_MAX_LINE_ITEM_PAGES = 50


class ScoreError(DomainError):
    """A score that cannot be sent as given; the message says which field is wrong."""

    status = 400


def scores_url(line_item_url: str) -> str:
    """The score endpoint of a line item: `/scores` goes before the query (AGS 2.0, 3.4)."""
    parts = urlsplit(line_item_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def score_ordering_key(platform_id: int, line_item_url: str, user_sub: str) -> str:
    """One key per platform, line item and learner: their scores go out one by one, in order."""
    digest = hashlib.sha256(f"{line_item_url}\n{user_sub}".encode()).hexdigest()
    return f"{SCORE_KIND}:{platform_id}:{digest}"


def _check_url(line_item_url: Any) -> str:
    if not isinstance(line_item_url, str) or len(line_item_url) > _URL_MAX_LENGTH:
        raise ScoreError("The line item URL is missing or longer than 1024 characters.")
    parts = urlsplit(line_item_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ScoreError(f"The line item URL {line_item_url!r} is not an http(s) URL.")
    return line_item_url


def _check_number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ScoreError(f"{name} must be a finite number of at least 0, not {value!r}.")
    return float(value) if isinstance(value, float) else value


def build_score_payload(
    *,
    user_sub: str,
    score_given: float | None,
    score_maximum: float | None,
    activity_progress: str,
    grading_progress: str,
    comment: str | None,
) -> dict[str, Any]:
    """Validate a score and return its JSON without a timestamp (that is set when it is sent)."""
    if not isinstance(user_sub, str) or not user_sub.strip() or len(user_sub) > 255:
        raise ScoreError("The learner's platform user id (sub) is missing or too long.")
    if activity_progress not in ACTIVITY_PROGRESS:
        raise ScoreError(f"activityProgress must be one of {', '.join(ACTIVITY_PROGRESS)}, not {activity_progress!r}.")
    if grading_progress not in GRADING_PROGRESS:
        raise ScoreError(f"gradingProgress must be one of {', '.join(GRADING_PROGRESS)}, not {grading_progress!r}.")
    given = _check_number("scoreGiven", score_given)
    maximum = _check_number("scoreMaximum", score_maximum)
    # AGS 2.0, 3.4.3: scoreGiven needs scoreMaximum (Moodle assumes 1 without it).
    if given is not None and not maximum:
        raise ScoreError("scoreGiven needs a scoreMaximum above 0.")
    payload: dict[str, Any] = {
        "userId": user_sub,
        "activityProgress": activity_progress,
        "gradingProgress": grading_progress,
    }
    if given is not None:
        payload["scoreGiven"] = given
    if maximum is not None:
        payload["scoreMaximum"] = maximum
    if comment is not None:
        if not isinstance(comment, str) or len(comment) > COMMENT_MAX_LENGTH:
            raise ScoreError(f"The comment must be text of at most {COMMENT_MAX_LENGTH} characters.")
        payload["comment"] = comment
    return payload


def enqueue_score(
    session: Session,
    *,
    platform: Platform,
    line_item_url: str,
    user_sub: str,
    score_given: float | None,
    score_maximum: float | None,
    activity_progress: str,
    grading_progress: str,
    comment: str | None = None,
) -> OutboxMessage:
    """Queue a score for a learner on a line item, in the caller's transaction (the caller commits).

    The timestamp is assigned when the worker sends it, strictly later than the previous
    score for the same learner and line item.
    """
    _check_url(line_item_url)
    payload = build_score_payload(
        user_sub=user_sub,
        score_given=score_given,
        score_maximum=score_maximum,
        activity_progress=activity_progress,
        grading_progress=grading_progress,
        comment=comment,
    )
    message = OutboxMessage(
        kind=SCORE_KIND,
        platform_id=platform.id,
        target_url=scores_url(line_item_url),
        payload=payload,
        ordering_key=score_ordering_key(platform.id, line_item_url, user_sub),
    )
    session.add(message)
    session.flush()
    return message


# --- timestamps --------------------------------------------------------------------------


def _whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def next_score_stamp(previous: datetime | None, now: datetime) -> datetime:
    """A timestamp later than `previous` to the second, with millisecond precision.

    Moodle 4.5 refuses (409) a score whose timestamp is not later, in whole seconds, than
    the one it stored; sub-second differences do not count.
    """
    stamp = now.replace(microsecond=now.microsecond // 1000 * 1000)
    if previous is not None and stamp < _whole_second(previous) + timedelta(seconds=1):
        stamp = _whole_second(previous) + timedelta(seconds=1)
    return stamp


def format_stamp(stamp: datetime) -> str:
    return stamp.isoformat(timespec="milliseconds")


def last_sent_stamp(session: Session, ordering_key: str) -> datetime | None:
    """The latest timestamp sent for an ordering key, in any attempt of any of its messages."""
    return session.scalar(select(func.max(OutboxMessage.sent_stamp)).where(OutboxMessage.ordering_key == ordering_key))


# --- delivery (called by the outbox worker) --------------------------------------------------


def stamp_score(session: Session, message: OutboxMessage, now: datetime) -> datetime:
    """Give a score its timestamp just before it is sent, and remember it (the caller commits)."""
    stamp = next_score_stamp(last_sent_stamp(session, message.ordering_key), now)
    message.sent_stamp = stamp
    return stamp


def deliver_score(session: Session, client: ServiceClient, message: OutboxMessage) -> Outcome:
    """Send one queued score; a 409 on the timestamp is re-stamped and retried once."""
    platform = session.get(Platform, message.platform_id) if message.platform_id else None
    if platform is None:
        return Outcome(error="The platform of this score is no longer registered.", permanent=True)
    stamp = stamp_score(session, message, utcnow())
    target, payload = message.target_url, {**message.payload, "timestamp": format_stamp(stamp)}
    # Commit the stamp before sending: if the platform stores the score and we never hear
    # back, the next attempt must still carry a later timestamp.
    session.commit()
    try:
        response = client.request(platform, [SCOPE_SCORE], "POST", target, json_body=payload, content_type=SCORE_MEDIA_TYPE)
    except ServiceError as exc:
        if exc.status == 409 and message.stamp_conflicts == 0:
            message.stamp_conflicts += 1
            return Outcome(status_code=409, error=f"Timestamp refused, sent again with a later one. {exc}", retry_now=True)
        return outcome_from_error(exc)
    return Outcome(status_code=response.status_code, delivered=True)


# --- line items ------------------------------------------------------------------------------


class LineItemError(DomainError):
    """The resource link has no gradebook service, or the platform's line items make no sense."""

    status = 409


def _line_item_scopes(link: ResourceLink, *, write: bool) -> list[str]:
    granted = set(link.ags_scopes or [])
    if write:
        if SCOPE_LINEITEM not in granted:
            raise LineItemError("The platform did not grant this tool the right to create gradebook columns.")
        return [SCOPE_LINEITEM]
    readable = [s for s in (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY) if s in granted]
    if not readable:
        raise LineItemError("The platform did not grant this tool access to gradebook columns.")
    return readable[:1]


def find_line_items(client: ServiceClient, platform: Platform, link: ResourceLink, *, resource_id: str | None = None, tag: str | None = None) -> list[dict[str, Any]]:
    """The line items of a resource link (AGS 2.0, 3.2: GET lineitems filtered by resource_link_id)."""
    if not link.lineitems_url:
        raise LineItemError("This activity has no gradebook service: the platform sent no line items URL at launch.")
    params = {"resource_link_id": link.resource_link_id}
    if resource_id:
        params["resource_id"] = resource_id
    if tag:
        params["tag"] = tag
    scopes = _line_item_scopes(link, write=False)
    found: list[dict[str, Any]] = []
    url: str | None = link.lineitems_url
    seen: set[str] = set()
    while url and url not in seen and len(seen) < _MAX_LINE_ITEM_PAGES:
        seen.add(url)
        response = client.request(platform, scopes, "GET", url, accept=LINEITEMS_MEDIA_TYPE, params=params)
        try:
            body = response.json()
        except ValueError:
            raise LineItemError(f"The platform's line items at {url} are not JSON.") from None
        if not isinstance(body, list):
            raise LineItemError(f"The platform's line items at {url} are not a list.")
        found.extend(item for item in body if isinstance(item, dict) and isinstance(item.get("id"), str))
        following = response.links.get("next", {}).get("url")
        url, params = (urljoin(url, following) if following else None), None
    # Platforms may ignore the filter (the parameter is optional to support): filter again.
    return [item for item in found if str(item.get("resourceLinkId") or link.resource_link_id) == link.resource_link_id]


def ensure_line_item(
    session: Session,
    client: ServiceClient,
    link: ResourceLink,
    *,
    label: str,
    score_maximum: float,
    resource_id: str | None = None,
    tag: str | None = None,
) -> str:
    """The line item URL for a resource link: the launch's, an existing one, or a new one.

    A created line item is remembered on the link (the caller commits).
    """
    if link.lineitem_url:
        return link.lineitem_url
    if not label.strip() or score_maximum is None or score_maximum <= 0:
        raise LineItemError("A gradebook column needs a label and a maximum score above 0.")
    platform = session.get(Platform, link.platform_id)
    if platform is None:
        raise LineItemError("The platform of this activity is no longer registered.")
    existing = find_line_items(client, platform, link, resource_id=resource_id, tag=tag)
    if existing:
        link.lineitem_url = existing[0]["id"]
        return link.lineitem_url
    body: dict[str, Any] = {"label": label[:255], "scoreMaximum": score_maximum, "resourceLinkId": link.resource_link_id}
    if resource_id:
        body["resourceId"] = resource_id
    if tag:
        body["tag"] = tag
    response = client.request(
        platform,
        _line_item_scopes(link, write=True),
        "POST",
        link.lineitems_url or "",
        json_body=body,
        content_type=LINEITEM_MEDIA_TYPE,
        accept=LINEITEM_MEDIA_TYPE,
    )
    try:
        created = response.json()
    except ValueError:
        created = None
    if not isinstance(created, dict) or not isinstance(created.get("id"), str):
        raise LineItemError("The platform created a gradebook column but did not say where it is.")
    link.lineitem_url = created["id"]
    return link.lineitem_url
