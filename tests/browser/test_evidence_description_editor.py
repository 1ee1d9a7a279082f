"""The evidence description in Chromium: the reflections' toolbar editor formats it and the form saves it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.portfolio.models import Evidence


def _evidence(engine) -> list[Evidence]:
    with Session(engine) as session:
        return list(session.scalars(select(Evidence).order_by(Evidence.id)))


def test_the_toolbar_formats_the_description_and_the_saved_item_shows_it(signed_in, live_server, database, screenshot_dir):
    page = signed_in
    page.goto(live_server + "/portfolio/evidence/new")
    page.get_by_label("Title").fill("Eerste hulp bij de sportdag")
    description = page.get_by_role("textbox", name="Description", exact=True)
    # The editor replaces the textarea, which stays in the form (hidden) to carry the HTML.
    expect(page.locator("textarea[name=description]")).to_be_hidden()
    expect(description).to_have_attribute("contenteditable", "true")
    toolbar = page.get_by_role("toolbar", name="Formatting")

    description.click()
    page.keyboard.type("belangrijk")
    page.keyboard.press("Control+A")
    toolbar.get_by_role("button", name="Bold").click()
    expect(toolbar.get_by_role("button", name="Bold")).to_have_attribute("aria-pressed", "true")
    description.click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    toolbar.get_by_role("button", name="Bulleted list").click()
    page.keyboard.type("pleisters geplakt")
    page.keyboard.press("Shift+Home")
    page.keyboard.press("Control+K")
    page.get_by_label("Link address").fill("javascript:alert(1)")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Use an address that starts with https://")).to_be_visible()
    page.get_by_label("Link address").fill("https://example.nl/ehbo")
    page.keyboard.press("Enter")

    html = page.locator("textarea[name=description]").input_value()
    assert re.search(r"<(b|strong)>belangrijk</(b|strong)>", html), html
    assert "<ul><li>" in html and 'href="https://example.nl/ehbo"' in html
    page.screenshot(path=str(screenshot_dir / "evidence-description-editor.png"), full_page=True)

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Eerste hulp bij de sportdag")
    (saved,) = _evidence(database)
    assert re.search(r"<(b|strong)>belangrijk</(b|strong)>", saved.description), saved.description
    assert "<li>" in saved.description and "javascript:" not in saved.description
    shown = page.locator(".pf-description")
    expect(shown.locator("strong, b").first).to_have_text("belangrijk")
    expect(shown.locator("li a")).to_have_attribute("href", "https://example.nl/ehbo")

    # Editing starts from the saved formatting, in the same editor.
    page.goto(live_server + f"/portfolio/evidence/{saved.id}/edit")
    expect(page.get_by_role("textbox", name="Description", exact=True).locator("strong, b").first).to_have_text("belangrijk")
