"""Helpers for the collection, assessment and showcase tests (no tests here).

Evidence and reflections are written straight into the database (their own pages are
tested elsewhere); collections are built through the HTTP routes under test.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

from sqlalchemy import select

from tests.portfolio.conftest import LEARNER_LAUNCH, INSTRUCTOR_LAUNCH, Person, launch_person

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
ASSESSMENT_LINK_ID = "77"
LINEITEM = "http://127.0.0.1:8080/mod/lti/services.php/2/lineitems/9/lineitem?type_id=1"


def file_store(app):
    from lti_tool.collections.files import current_file_store

    with app.app_context():
        return current_file_store()


def make_evidence(app, db, person: Person, title: str, *, description: str = "", files=(), deleted: bool = False):
    """An evidence item in the person's portfolio, with files put into the app's file store."""
    from lti_tool.db import utcnow
    from lti_tool.portfolio.models import Evidence, EvidenceFile
    from lti_tool.storage import new_key

    evidence = Evidence(
        portfolio_id=person.portfolio_id,
        platform_id=person.platform_id,
        kind="informal",
        type="photo" if files else "note",
        title=title,
        description=description,
        occurred_on=date(2026, 10, 1),
        deleted_at=utcnow() if deleted else None,
    )
    store = file_store(app)
    for name, data, content_type in files:
        key = new_key("evidence", name.rsplit(".", 1)[-1].lower())
        store.put(key, data)
        evidence.files.append(
            EvidenceFile(
                storage_key=key,
                original_name=name,
                content_type=content_type,
                size=len(data),
                sha256=secrets.token_hex(32),
            )
        )
    db.add(evidence)
    db.commit()
    return evidence


def make_reflection(db, person: Person, title: str, body: str, *, status: str | None = None):
    from lti_tool.portfolio import models

    reflection = models.Reflection(
        portfolio_id=person.portfolio_id,
        platform_id=person.platform_id,
        method="free",
        title=title,
        content={"body": body},
        status=status or getattr(models, "SAVED", models.SUBMITTED),
    )
    db.add(reflection)
    db.commit()
    return reflection


def create_collection(person: Person, title: str = "Mijn stage", description: str = "") -> int:
    response = person.post("/portfolio/collections/", {"title": title, "description": description})
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return int(re.search(r"/portfolio/collections/(\d+)", response.headers["Location"]).group(1))


def add_to_collection(person: Person, collection_id: int, *, evidence=(), reflections=()):
    response = person.post(
        f"/portfolio/collections/{collection_id}/items",
        {"evidence": [str(e) for e in evidence], "reflection": [str(r) for r in reflections]},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return response


def item_ids(db, collection_id: int) -> list[int]:
    from lti_tool.collections.models import CollectionItem

    db.expire_all()
    return list(
        db.scalars(
            select(CollectionItem.id)
            .where(CollectionItem.collection_id == collection_id)
            .order_by(CollectionItem.position)
        )
    )


def place_assessment(db, platform_row_id: int, *, score_maximum: float = 10.0, prompt: str = "Laat je groei zien"):
    """What the deep-linking picker records when an instructor places an assessment."""
    from lti_tool.lti.deep_linking import PlacedItem

    placed = PlacedItem(
        public_id=secrets.token_hex(16),
        platform_id=platform_row_id,
        kind="assessment",
        title="Eindbeoordeling portfolio",
        prompt=prompt,
        score_maximum=score_maximum,
    )
    db.add(placed)
    db.commit()
    return placed


def assessment_launch(public_id: str, *, lineitem: str | None = LINEITEM):
    """Mutate a captured Moodle launch into one of the placed assessment link."""

    def mutate(body: dict) -> dict:
        body["https://purl.imsglobal.org/spec/lti/claim/resource_link"] = {"id": ASSESSMENT_LINK_ID, "title": "Eindbeoordeling"}
        body["https://purl.imsglobal.org/spec/lti/claim/custom"] = {
            "leerpaspoort_kind": "assessment",
            "leerpaspoort_item": public_id,
        }
        ags = body.get("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint")
        if lineitem is None:
            body.pop("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint", None)
        elif ags is not None:
            ags["lineitem"] = lineitem
        return body

    return mutate


def launch_into_assessment(app, db, platform, public_id: str, *, instructor: bool = False, mutate_more=None, **kwargs):
    """A real launch of the assessment link; returns the person and the landing page."""
    mutate = assessment_launch(public_id, **kwargs)

    def both(body):
        body = mutate(body)
        return mutate_more(body) if mutate_more else body

    return launch_person(app, db, platform, INSTRUCTOR_LAUNCH if instructor else LEARNER_LAUNCH, both)


def assessment_link_id(db) -> int:
    from lti_tool.people.models import ResourceLink

    db.expire_all()
    return db.scalars(select(ResourceLink.id).where(ResourceLink.resource_link_id == ASSESSMENT_LINK_ID)).one()
