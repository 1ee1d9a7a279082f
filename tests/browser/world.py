"""A demo course full of real data, made through the tool's own forms by each person in their own browser.

The accessibility and stored-XSS tests both need every page to have something on it: evidence with
files, reflections, a competency framework, a collection submitted for assessment and graded, a
showcase shared with a coach and by secret link, a module placed in the course. `build_world` makes
all of it over HTTP (the Playwright context's request client shares the person's cookies), so every
text goes through the same validation and sanitising a person's typing does. `text(field)` decides
what is typed into each field: readable sample text, or an attack.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from html import escape
from urllib.parse import urlencode, urljoin, urlsplit

from playwright.sync_api import BrowserContext, Page, expect

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
LEARNER_BUTTON = "Launch as learner (Sam Student)"
INSTRUCTOR_BUTTON = "Launch as instructor (Terry Teacher)"
ADMIN_BUTTON = "Launch as L&D administrator"
Text = Callable[[str], str]


@dataclass
class World:
    """Ids and addresses of what was made, so tests can open every page that shows it."""

    base_url: str
    context_id: int = 0
    evidence_ids: list[int] = field(default_factory=list)
    file_ids: list[int] = field(default_factory=list)
    reflection_ids: list[int] = field(default_factory=list)
    collection_id: int = 0
    framework_id: int = 0
    submission_id: int = 0
    assessment_link_id: int = 0
    reflection_link_id: int = 0
    module_link_id: int = 0
    secret_link: str = ""
    activity_reflection_id: int = 0
    grant_id: int = 0
    upload_refusals: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path


def _id_from(location: str, pattern: str) -> int:
    match = re.search(pattern, urlsplit(location).path)
    assert match, f"expected {pattern} in {location}"
    return int(match.group(1))


class Person:
    """One person's browser: a page on the demo course and a request client with their cookies."""

    def __init__(self, context: BrowserContext, base_url: str):
        self.context = context
        self.base_url = base_url
        self.page: Page = context.new_page()

    def launch(self, button: str, *, nth: int = 0) -> Page:
        """Launch from the demo course into the tool's frame and wait until the tool answers."""
        self.page.goto(self.base_url + "/demo")
        self.page.get_by_role("button", name=button, exact=True).nth(nth).click()
        frame = self.page.frame_locator("iframe[name=tool-frame]")
        expect(frame.get_by_role("heading", level=1)).to_be_visible(timeout=15_000)
        return self.page

    def csrf(self) -> str:
        body = self.context.request.get(self.base_url + "/portfolio/coaches").text()
        match = _CSRF.search(body) or _CSRF.search(self.context.request.get(self.base_url + "/lti/config").text())
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post(self, path: str, *, form: dict | None = None, multipart: dict | None = None, expect_status=(302, 303)):
        """Submit a form as the browser would (CSRF token included); return the response without following it."""
        token = self.csrf()
        kwargs: dict = {"max_redirects": 0}
        if multipart is not None:
            kwargs["multipart"] = {"csrf_token": token, **multipart}
        else:
            # Encoded here: repeated fields (several evidence ids) need doseq, which Playwright's `form` lacks.
            kwargs["data"] = urlencode({"csrf_token": token, **(form or {})}, doseq=True)
            kwargs["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
        response = self.context.request.post(self.base_url + path, **kwargs)
        if expect_status is not None:
            assert response.status in expect_status, f"POST {path}: {response.status}\n{main_text(response.text())}"
        return response

    def location(self, response) -> str:
        return response.headers["location"]


def main_text(html: str) -> str:
    """The readable text of a page's <main>, for failure messages that say what the tool answered."""
    body = html.split("<main", 1)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))[:1200]


def upload(name: str, mime: str, data: bytes) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def module_package(title: str, description: str) -> bytes:
    """The example Tin Can module with its manifest's names replaced (as an author's tool would write them)."""
    from tests.support.examples import example_package

    source = zipfile.ZipFile(io.BytesIO(example_package("tincan-module")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("tincan.xml"):
                xml = data.decode("utf-8")
                xml = xml.replace("Working safely at height", escape(title, quote=False))
                xml = xml.replace("Veilig werken op hoogte</name>", escape(title, quote=False) + "</name>")
                xml = xml.replace("Three short pages and a three-question test.", escape(description, quote=False))
                data = xml.encode("utf-8")
            target.writestr(info, data)
    return out.getvalue()


def framework_file(text: Text) -> bytes:
    return json.dumps(
        {
            "name": text("framework name"),
            "description": text("framework description"),
            "levels": [text("level"), "Gevorderd", "Expert"],
            "competencies": [
                {
                    "code": "DV1",
                    "title": text("competency title"),
                    "description": text("competency description"),
                    "competencies": [{"code": "DV1.1", "title": text("sub-competency title"), "description": text("sub-competency description")}],
                },
                {"code": "DV2", "title": "Samenwerken online", "description": "Werken in gedeelde documenten."},
            ],
        }
    ).encode("utf-8")


def _deep_link(teacher: Person, offer_selector: str, prompt: str | None) -> None:
    """Place one activity through the demo's deep-linking flow and wait until the course shows it."""
    page = teacher.page
    page.goto(teacher.base_url + "/demo")
    placed = page.get_by_test_id("demo-item").count()
    page.get_by_role("button", name="Add activity (deep linking)").click()
    tool = page.frame_locator("iframe[name=tool-frame]")
    choice = tool.locator(f"input[name=item]{offer_selector}").first
    choice.check()
    if prompt is not None:
        tool.locator(f"#prompt-{choice.get_attribute('value')}").fill(prompt)
    tool.get_by_role("button", name="Add to course").click()
    try:
        expect(page.get_by_test_id("demo-item")).to_have_count(placed + 1, timeout=15_000)
    except AssertionError as exc:
        frame = page.frame(name="tool-frame")
        raise AssertionError(f"placing {offer_selector} failed; the frame shows:\n{frame.inner_text('body') if frame else '-'}") from exc


def _user_id(app, sub: str) -> int:
    from sqlalchemy import select

    from lti_tool.db import session_scope
    from lti_tool.people.models import User

    with session_scope(app) as session:
        return session.scalars(select(User.id).where(User.sub == sub)).one()


def _file_ids(app) -> list[int]:
    from sqlalchemy import select

    from lti_tool.db import session_scope
    from lti_tool.portfolio.models import EvidenceFile

    with session_scope(app) as session:
        return list(session.scalars(select(EvidenceFile.id).order_by(EvidenceFile.id)))


@contextmanager
def as_demo_person(key: str) -> Iterator[None]:
    """Let the demo course's learner button launch another demo person (the demo has no button for them)."""
    from lti_tool.demo import services

    original = services.PEOPLE_BY_KEY["learner"]
    services.PEOPLE_BY_KEY["learner"] = services.PEOPLE_BY_KEY[key]
    try:
        yield
    finally:
        services.PEOPLE_BY_KEY["learner"] = original


def build_world(app, browser, base_url: str, text: Text, *, hostile_uploads: bool = False) -> tuple[World, dict[str, BrowserContext]]:
    """Make the course's data as each person would; returns the world and each role's browser context."""
    world = World(base_url)
    contexts = {role: browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 1000}) for role in ("learner", "instructor", "admin", "coach", "visitor")}
    learner, teacher, admin, coach = (Person(contexts[r], base_url) for r in ("learner", "instructor", "admin", "coach"))

    # The L&D administrator imports a competency framework and a module.
    admin.launch(ADMIN_BUTTON)
    response = admin.post("/competencies/admin", multipart={"file": upload("framework.json", "application/json", framework_file(text)), "submit": "Import framework"}, expect_status=None)
    assert response.status in (200, 302, 303), response.text()[:1500]
    admin.post("/modules/", multipart={"package": upload("module.zip", "application/zip", module_package(text("module title"), text("module description")))})

    # Everyone opens the tool once, so they exist as users of the course.
    learner.launch(LEARNER_BUTTON)
    with as_demo_person("learner2"):
        coach.launch(LEARNER_BUTTON)
    teacher.launch(INSTRUCTOR_BUTTON)

    # The teacher places an assessment, a reflection activity and the module.
    _deep_link(teacher, "[value=assessment-10]", text("assessment prompt"))
    _deep_link(teacher, "[value=reflection]", text("reflection prompt"))
    _deep_link(teacher, "[value^=module-]", None)

    from sqlalchemy import select

    from lti_tool.competencies.models import Competency, CompetencyFramework
    from lti_tool.db import session_scope
    from lti_tool.people.models import Context

    with session_scope(app) as session:
        world.context_id = session.scalars(select(Context.id)).first()
        world.framework_id = session.scalars(select(CompetencyFramework.id)).first() or 0
        competency_ids = [str(c) for c in session.scalars(select(Competency.id).order_by(Competency.id))]

    # The learner adds evidence (with files), reflections, a collection; shares it and submits it.
    photo = learner.post(
        "/portfolio/evidence/new",
        multipart={
            "type": "photo", "title": text("evidence title"), "description": text("evidence description"),
            "occurred_on": "2026-10-03", "course": str(world.context_id), "tags": text("tags") + ", open dag",
            "competencies": competency_ids[0] if competency_ids else "", "files": upload("poster.png", "image/png", PNG),
            "save": "Save",
        },
    )
    world.evidence_ids.append(_id_from(learner.location(photo), r"/evidence/(\d+)"))
    link = learner.post(
        "/portfolio/evidence/new",
        form={
            "type": "link", "title": text("link title"), "description": text("link description"), "occurred_on": "2026-09-01",
            "course": "", "url": text("link url"), "tags": text("tags"), "save": "Save",
        },
        expect_status=None,
    )
    if link.status in (302, 303):
        world.evidence_ids.append(_id_from(learner.location(link), r"/evidence/(\d+)"))
    else:
        # A hostile address is refused with a message; the same item with a harmless address is kept.
        assert link.status == 400, link.text()[:800]
        retry = learner.post(
            "/portfolio/evidence/new",
            form={"type": "link", "title": text("link title"), "description": text("link description"), "occurred_on": "2026-09-01",
                  "course": "", "url": "https://example.org/werk", "tags": text("tags"), "save": "Save"},
        )
        world.evidence_ids.append(_id_from(learner.location(retry), r"/evidence/(\d+)"))
    certificate = learner.post(
        "/portfolio/evidence/new",
        multipart={
            "type": "certificate", "title": text("certificate title"), "description": text("certificate description"),
            "occurred_on": "2026-06-01", "course": "", "issuer": text("issuer"), "expires_on": "2028-06-01",
            "tags": "EHBO", "files": upload("certificate.pdf", "application/pdf", PDF), "save": "Save",
        },
    )
    world.evidence_ids.append(_id_from(learner.location(certificate), r"/evidence/(\d+)"))
    if hostile_uploads:
        world.upload_refusals = _hostile_uploads(learner, text)
    world.file_ids = _file_ids(app)

    free = learner.post(
        "/portfolio/reflections/new",
        form={"method": "free", "course": "0", "title": text("reflection title"), "body": text("reflection body"), "save": "Save"},
    )
    world.reflection_ids.append(_id_from(learner.location(free), r"/reflections/(\d+)"))
    starr = learner.post(
        "/portfolio/reflections/new",
        form={
            "method": "starr", "course": str(world.context_id), "title": text("starr title"), "situation": text("situation"),
            "task": text("task"), "action": text("action"), "result": text("result"), "reflection": text("reflection"), "save": "Save",
        },
    )
    starr_id = _id_from(learner.location(starr), r"/reflections/(\d+)")
    world.reflection_ids.append(starr_id)
    # A second save gives the reflection a history with two versions.
    learner.post(
        f"/portfolio/reflections/{starr_id}/edit",
        form={"title": text("starr title"), "situation": text("situation") + " (2)", "task": text("task"), "action": text("action"),
              "result": text("result"), "reflection": text("reflection"), "base_revision": "1", "save": "Save"},
        expect_status=None,
    )
    if world.framework_id and competency_ids:
        learner.post(f"/competencies/frameworks/{world.framework_id}/levels", form={f"level-{competency_ids[0]}": "1"})

    created = learner.post("/portfolio/collections/", form={"title": text("collection title"), "description": text("collection introduction")})
    world.collection_id = _id_from(learner.location(created), r"/collections/(\d+)")
    learner.post(
        f"/portfolio/collections/{world.collection_id}/items",
        form={"evidence": [str(i) for i in world.evidence_ids], "reflection": [str(i) for i in world.reflection_ids]},
    )
    learner.post("/portfolio/coaches", form={"coach": str(_user_id(app, "5")), "permission": "comment"})
    with session_scope(app) as session:
        from lti_tool.coaching.models import CoachGrant

        world.grant_id = session.scalars(select(CoachGrant.id)).one()
    learner.post(f"/coaching/{world.grant_id}/messages", form={"body": text("message to the coach")})
    coach.post(f"/coaching/{world.grant_id}/messages", form={"body": text("message from the coach")})
    learner.post(f"/portfolio/collections/{world.collection_id}/visibility", form={"visibility": "coaches"})
    shared = learner.post(f"/portfolio/collections/{world.collection_id}/link", expect_status=None)
    page_text = shared.text() if shared.status == 200 else learner.context.request.get(urljoin(world.base_url + "/", learner.location(shared))).text()
    match = re.search(r"(http://127\.0\.0\.1:\d+/showcase/s/[A-Za-z0-9_-]+)", page_text)
    assert match, f"no secret link after creating one ({shared.status})"
    world.secret_link = match.group(1)

    # The learner opens the placed activities: submits the collection and writes the reflection activity.
    learner.launch("Launch as learner", nth=0)
    world.assessment_link_id = _id_from(learner.page.frame(name="tool-frame").url, r"/assessments/(\d+)")
    learner.post(f"/assessments/{world.assessment_link_id}/submit", form={"collection": str(world.collection_id)})
    learner.launch("Launch as learner", nth=1)
    world.reflection_link_id = _id_from(learner.page.frame(name="tool-frame").url, r"/activities/reflection/(\d+)")
    learner.post(
        f"/activities/reflection/{world.reflection_link_id}",
        # Both methods' fields: the activity keeps those of the method the teacher chose.
        form={"title": text("activity reflection title"), "body": text("activity reflection body"), "situation": text("situation"),
              "task": text("task"), "action": text("action"), "result": text("result"), "reflection": text("reflection"), "save": "Save"},
    )
    with session_scope(app) as session:
        from lti_tool.portfolio.models import Reflection

        world.activity_reflection_id = session.scalars(
            select(Reflection.id).where(Reflection.id.not_in(world.reflection_ids)).order_by(Reflection.id.desc())
        ).first()
    learner.launch("Launch as learner", nth=2)
    world.module_link_id = _id_from(learner.page.frame(name="tool-frame").url, r"/modules/launch/(\d+)") if "/modules/launch/" in learner.page.frame(name="tool-frame").url else 0

    # The teacher comments on an item and grades the submission; the coach comments on the showcase.
    teacher.launch("Launch as instructor", nth=0)
    with session_scope(app) as session:
        from lti_tool.collections.models import Submission

        world.submission_id = session.scalars(select(Submission.id)).one()
    teacher.post(f"/assessments/submissions/{world.submission_id}/comments", form={"position": "1", "body": text("assessor comment")})
    teacher.post(f"/assessments/submissions/{world.submission_id}/grade", form={"score": "8", "feedback": text("assessor feedback")})
    coach.post(f"/showcase/{world.collection_id}/comments", form={"body": text("coach comment")})
    return world, contexts


def _hostile_uploads(learner: Person, text: Text) -> dict[str, int]:
    """Try the uploads an attacker would; return each one's HTTP status (refused, or kept and served safely)."""
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=\'svg-upload\'"><script>window.__xss=\'svg-script\'</script><circle r="5"/></svg>'
    html_as_jpg = b"<html><body><script>window.__xss='html-jpg'</script><img src=x onerror=\"window.__xss='html-img'\"></body></html>"
    pdf_with_js = PDF.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>")
    statuses = {}
    for name, mime, data, kind in (
        ("drawing.svg", "image/svg+xml", svg, "photo"),
        ("holiday.jpg", "image/jpeg", html_as_jpg, "photo"),
        ("notes.pdf", "application/pdf", pdf_with_js, "document"),
        ("page.html", "text/html", html_as_jpg, "document"),
    ):
        response = learner.post(
            "/portfolio/evidence/new",
            multipart={"type": kind, "title": text("upload title") + " " + name, "description": "", "occurred_on": date(2026, 5, 1).isoformat(),
                       "course": "", "tags": "", "files": upload(name, mime, data), "save": "Save"},
            expect_status=None,
        )
        statuses[name] = response.status
    return statuses
