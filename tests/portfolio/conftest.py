"""Fixtures for the portfolio: people signed in through real launches, each in their own browser.

`learner` is Sam Student launched into "E-Portfolio 101"; `second_learner` is another student of
the same platform and course; `foreign_learner` comes from another platform (another tenant);
`instructor` teaches the course; `anonymous` has no session. Every person has their own test
client, so cookies never mix, and `person.post(...)` adds a valid CSRF token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import Launcher
from tests.support.platform import TestPlatform

LEARNER_LAUNCH = "launch-learner-resource-link"
INSTRUCTOR_LAUNCH = "launch-instructor-resource-link"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NAME_CLAIMS = ("name", "given_name", "family_name", "email")


@dataclass
class Person:
    """A signed-in person: their browser, their user row and the course they launched from."""

    client: Any
    user_id: int
    platform_id: int
    context_id: int | None
    portfolio_id: int
    landing: Any = field(repr=False, default=None)

    def csrf_token(self) -> str:
        page = self.client.get("/home")
        match = _CSRF.search(page.get_data(as_text=True))
        assert match, "no CSRF token on /home"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token, as the browser would."""
        body = dict(data or {})
        body.setdefault("csrf_token", self.csrf_token())
        return self.client.post(path, data=body, **kwargs)

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)


def _as_person(db, client, landing) -> Person:
    from lti_tool.people.models import Context, User
    from lti_tool.portfolio.ownership import portfolio_of

    with client.session_transaction() as cookie:
        user_id = int(cookie["_user_id"])
    db.expire_all()
    user = db.get(User, user_id)
    portfolio = portfolio_of(db, user)
    db.commit()
    context_id = db.scalars(
        select(Context.id).where(Context.platform_id == user.platform_id).order_by(Context.id)
    ).first()
    return Person(client, user.id, user.platform_id, context_id, portfolio.id, landing)


def launch_person(app, db, platform: TestPlatform, fixture_name: str, mutate=None) -> Person:
    """Sign a new person in through a real launch, in a browser of their own."""
    client = app.test_client()
    landing = Launcher(client, platform).enter(fixture_name, mutate)
    assert landing.status_code == 200, landing.get_data(as_text=True)[:500]
    return _as_person(db, client, landing)


def _another_student(body: dict) -> dict:
    body["sub"] = "5"
    body.update(name="Kim Klasgenoot", given_name="Kim", family_name="Klasgenoot", email="student2@example.com")
    return body


@pytest.fixture
def learner(app, db, platform) -> Person:
    return launch_person(app, db, platform, LEARNER_LAUNCH)


@pytest.fixture
def second_learner(app, db, platform) -> Person:
    """Another student of the same platform and course."""
    return launch_person(app, db, platform, LEARNER_LAUNCH, _another_student)


@pytest.fixture
def instructor(app, db, platform) -> Person:
    return launch_person(app, db, platform, INSTRUCTOR_LAUNCH)


@pytest.fixture
def other_platform(db):
    """A second platform registered in the tool: another tenant."""
    with TestPlatform(client_id="OtherTenantClient") as test_platform:
        test_platform.register_in(db)
        yield test_platform


@pytest.fixture
def foreign_learner(app, db, other_platform) -> Person:
    """A learner of another tenant, with the same `sub` as `learner` (subs are per platform)."""
    return launch_person(app, db, other_platform, LEARNER_LAUNCH)


@pytest.fixture
def anonymous(app):
    """A browser without a session."""
    return app.test_client()


# -- arranging data directly, for tests about reading -----------------------------------------


def make_evidence(db, person: Person, **fields):
    """Insert an evidence item into a person's portfolio (no HTTP), committed."""
    from datetime import date

    from lti_tool.portfolio.models import Evidence, EvidenceTag

    tags = fields.pop("tags", [])
    values = {
        "kind": "informal", "type": "note", "title": "A note", "occurred_on": date(2026, 1, 1),
        "portfolio_id": person.portfolio_id, "platform_id": person.platform_id,
    }
    values.update(fields)
    evidence = Evidence(**values)
    evidence.tags = [EvidenceTag(tag=tag) for tag in tags]
    db.add(evidence)
    db.commit()
    return evidence


def make_reflection(db, person: Person, **fields):
    """Insert a reflection into a person's portfolio (no HTTP), committed."""
    from lti_tool.portfolio.models import Reflection

    values = {"title": "A reflection", "content": {"body": "<p>Thoughts</p>"}, "status": "saved",
              "portfolio_id": person.portfolio_id, "platform_id": person.platform_id}
    values.update(fields)
    reflection = Reflection(**values)
    db.add(reflection)
    db.commit()
    return reflection


def make_framework(db, platform_id: int, name: str = "Zorg", codes=("C1", "C2")):
    """A competency framework with a few competencies on a platform."""
    from lti_tool.competencies.models import Competency, CompetencyFramework

    framework = CompetencyFramework(platform_id=platform_id, name=name, levels=["1", "2", "3"])
    framework.competencies = [Competency(code=code, title=f"Competency {code}", position=i) for i, code in enumerate(codes)]
    db.add(framework)
    db.commit()
    return framework


# -- files -------------------------------------------------------------------------------------


def jpeg_bytes(size=(64, 48), color="red", exif=None) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    image.save(out, "JPEG", **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def png_bytes(size=(32, 32), mode="RGBA") -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def stored_files(app) -> list[str]:
    """Every file in the upload store (relative paths), temporary ones included."""
    from pathlib import Path

    root = Path(app.extensions["leerpaspoort.storage"].root)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def evidence_form(**fields) -> dict:
    """A valid form for a note; change or add fields (files as (BytesIO, name) tuples)."""
    form = {"type": "note", "title": "Helped at the first-aid post", "description": "", "occurred_on": "2026-10-01",
            "course": "", "tags": ""}
    form.update(fields)
    return form


def post_evidence(person: Person, path: str = "/portfolio/evidence/new", **fields):
    import io

    form = evidence_form(**fields)
    files = form.pop("files", [])
    body = dict(form)
    if files:
        body["files"] = [(io.BytesIO(data), name) for data, name in files]
    return person.post(path, body, content_type="multipart/form-data")
