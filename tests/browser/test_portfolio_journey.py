"""The portfolio journey in Chromium, through the demo course: build a collection, submit it for
assessment, the teacher grades it (the grade reaches the demo gradebook), then publish a
showcase link and open it logged out."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.support.live_server import serve_app

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def journey(database_url, tmp_path):
    """The app with the demo platform on a free port of 127.0.0.1; yields (base_url, app)."""
    with serve_app(database_url, tmp_path / "instance") as served:
        yield served.base_url, served.app


def _add_evidence_for_sam(app) -> None:
    """Sam's evidence (the evidence pages have their own browser tests)."""
    from lti_tool.collections.files import current_file_store
    from lti_tool.db import session_scope
    from lti_tool.people.models import User
    from lti_tool.portfolio.models import Evidence, EvidenceFile, Reflection
    from lti_tool.portfolio.ownership import portfolio_of
    from lti_tool.storage import new_key

    with app.app_context():
        store = current_file_store()
    with session_scope(app) as session:
        sam = session.scalars(select(User).where(User.name == "Sam Student")).one()
        portfolio = portfolio_of(session, sam)
        key = new_key("evidence", "png")
        store.put(key, PNG)
        photo = Evidence(
            portfolio_id=portfolio.id, platform_id=sam.platform_id, kind="informal", type="photo",
            title="Poster for the open day", description="<p>I designed and printed it.</p>", occurred_on=date(2026, 10, 3),
        )
        photo.files.append(EvidenceFile(storage_key=key, original_name="poster.png", content_type="image/png", size=len(PNG), sha256="0" * 64))
        session.add(photo)
        session.add(
            Evidence(
                portfolio_id=portfolio.id, platform_id=sam.platform_id, kind="formal", type="certificate",
                title="First aid certificate", issuer="Red Cross", occurred_on=date(2026, 6, 1),
            )
        )
        session.add(
            Reflection(
                portfolio_id=portfolio.id, platform_id=sam.platform_id, method="free", title="What the open day taught me",
                content={"body": "<p>Planning ahead pays off.</p>"}, status="submitted",
            )
        )


def test_build_submit_grade_and_share_a_collection(journey, page, browser, screenshot_dir):
    base_url, app = journey
    shots = screenshot_dir
    page.goto(base_url + "/demo")
    tool = page.frame_locator("iframe[name=tool-frame]")

    # The teacher places a graded portfolio assessment through deep linking.
    page.get_by_role("button", name="Add activity (deep linking)").click()
    tool.locator("input[name=item][value=assessment-10]").check()
    tool.locator("#prompt-assessment-10").fill("Show how you grew during the project.")
    tool.get_by_role("button", name="Add to course").click()
    # The demo platform takes the response and reloads the course page with the new activity.
    expect(page.get_by_test_id("demo-item")).to_contain_text(["Portfolio assessment (grade 1-10)"])

    # Sam opens the portfolio once, then builds a collection.
    page.get_by_role("button", name="Launch as learner (Sam Student)").click()
    frame = page.frame(name="tool-frame")
    frame.wait_for_url(base_url + "/home")
    _add_evidence_for_sam(app)
    frame.goto(base_url + "/portfolio/collections/")
    tool.get_by_label("Title").fill("My project year")
    # The introduction is written in the rich-text editor: type, then make a word bold.
    intro = tool.get_by_role("textbox", name="Introduction")
    intro.click()
    page.keyboard.type("What I made and learned this year. Proud")
    for _ in range(len("Proud")):
        page.keyboard.press("Shift+ArrowLeft")
    tool.get_by_role("button", name="Bold").click()
    tool.get_by_role("button", name="Create collection").click()
    expect(tool.get_by_role("heading", level=1)).to_have_text("My project year")
    tool.get_by_label("Poster for the open day").check()
    tool.get_by_label("First aid certificate").check()
    tool.get_by_label("What the open day taught me").check()
    tool.get_by_role("button", name="Add to collection").click()
    items = tool.locator(".collection-items .item-title")
    expect(items).to_have_text(["Poster for the open day", "First aid certificate", "What the open day taught me"])

    # Reorder with the keyboard only: focus "move up" on the reflection and press Enter twice.
    tool.get_by_role("button", name="Move What the open day taught me up").focus()
    page.keyboard.press("Enter")
    expect(items).to_have_text(["Poster for the open day", "What the open day taught me", "First aid certificate"])
    focused = tool.locator(":focus")
    expect(focused).to_have_attribute("aria-label", "Move What the open day taught me up")
    page.keyboard.press("Enter")
    expect(items).to_have_text(["What the open day taught me", "Poster for the open day", "First aid certificate"])
    page.screenshot(path=str(shots / "collection-built.png"), full_page=True)

    # Sam opens the assessment from the course and submits the collection.
    page.get_by_role("button", name="Launch as learner", exact=True).click()
    expect(tool.get_by_role("heading", level=1)).to_have_text("Portfolio assessment (grade 1-10)")
    expect(tool.get_by_text("Show how you grew during the project.")).to_be_visible()
    tool.get_by_label("Collection", exact=True).select_option(label="My project year")
    tool.get_by_role("button", name="Submit for assessment").click()
    expect(tool.get_by_test_id("submission-status")).to_have_text("Waiting for assessment")
    page.screenshot(path=str(shots / "assessment-submitted.png"), full_page=True)

    # Terry opens the same activity, sees the frozen copy, comments and grades it.
    page.get_by_role("button", name="Launch as instructor", exact=True).click()
    tool.get_by_role("link", name="My project year").click()
    expect(tool.get_by_role("heading", level=3, name=re.compile("Poster for the open day"))).to_be_visible()
    expect(tool.locator("img.entry-image")).to_have_count(1)
    tool.get_by_label("Comment on item 2").fill("A clear poster.")
    tool.get_by_role("button", name="Add comment").nth(1).click()
    expect(tool.get_by_text("A clear poster.")).to_be_visible()
    tool.get_by_label(re.compile(r"^Score")).fill("8")
    tool.get_by_label(re.compile("Feedback for the learner")).fill("Well built, with a strong reflection.")
    tool.get_by_role("button", name="Save grade").click()
    expect(tool.get_by_test_id("submission-score")).to_have_text("8 / 10")
    page.screenshot(path=str(shots / "assessment-graded.png"), full_page=True)

    # The outbox delivers the score; the demo gradebook shows it.
    from lti_tool.outbox.worker import run_worker

    assert run_worker(app, once=True) >= 1
    page.goto(base_url + "/demo")
    gradebook = page.get_by_test_id("gradebook")
    expect(gradebook.get_by_role("row", name=re.compile("Sam Student"))).to_contain_text("8")
    page.screenshot(path=str(shots / "gradebook-with-portfolio-grade.png"), full_page=True)

    # Sam publishes a secret link; a visitor without any session opens it.
    page.get_by_role("button", name="Launch as learner (Sam Student)").click()
    frame = page.frame(name="tool-frame")
    frame.wait_for_url(base_url + "/home")
    frame.goto(base_url + "/portfolio/collections/")
    tool.get_by_role("link", name="My project year").click()
    tool.get_by_role("button", name="Create a secret link").click()
    link = tool.get_by_test_id("secret-link").input_value()
    assert re.fullmatch(re.escape(base_url) + r"/showcase/s/[A-Za-z0-9_-]{40,}", link)

    visitor = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 900})
    try:
        outside = visitor.new_page()
        response = outside.goto(link)
        assert response.headers["x-robots-tag"] == "noindex, nofollow"
        expect(outside.get_by_role("heading", level=1)).to_have_text("My project year")
        expect(outside.get_by_text("Planning ahead pays off.")).to_be_visible()
        expect(outside.locator(".showcase-intro :is(strong, b)")).to_have_text("Proud")
        expect(outside.locator("img.entry-image")).to_have_count(1)
        expect(outside.locator("meta[name=robots]")).to_have_attribute("content", "noindex, nofollow")
        outside.screenshot(path=str(shots / "showcase-secret-link-phone.png"), full_page=True)
        with outside.expect_download() as download_info:
            outside.get_by_role("link", name="Download as PDF").click()
        pdf_path = download_info.value.path()
        with open(pdf_path, "rb") as handle:
            assert handle.read(5) == b"%PDF-"
    finally:
        visitor.close()

    # Stopping the link closes the page at once.
    tool.get_by_role("link", name="Back to the collection").click()
    tool.get_by_role("button", name="Stop the secret link").click()
    expect(tool.get_by_test_id("link-state")).to_contain_text("No secret link")
    after = browser.new_context()
    try:
        assert after.new_page().goto(link).status == 404
    finally:
        after.close()
