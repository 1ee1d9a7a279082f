"""The demo platform's Assignment and Grade Services 2.0: line items, scores and results."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.demo.errors import DemoServiceError
from lti_tool.demo.models import DemoCourseItem, DemoLineItem, DemoPlatform, DemoScore
from lti_tool.demo.people import PEOPLE_BY_SUB
from lti_tool.demo.urls import line_item_url

LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULTS_MEDIA_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"

# AGS 2.0, section 3.4 (Score publish service): the two progress vocabularies.
ACTIVITY_PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING_PROGRESS = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}


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
