"""The reflection editor in Chromium: toolbar by keyboard and mouse, autosave, conflicts, and stored XSS."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.portfolio.models import Reflection

SAVE_TIMEOUT = 15_000


def _reflections(engine) -> list[Reflection]:
    with Session(engine) as session:
        return list(session.scalars(select(Reflection).order_by(Reflection.id)))


def _editor(page, label: str):
    return page.get_by_role("textbox", name=label, exact=True)


def _saves(page) -> int:
    return int(page.locator(".reflection-editor").get_attribute("data-autosave-count") or 0)


def _wait_for_save(page, after: int) -> None:
    """Wait until the editor reports more successful autosaves than `after`."""
    page.wait_for_function(
        "n => Number(document.querySelector('.reflection-editor').dataset.autosaveCount || 0) > n",
        arg=after,
        timeout=SAVE_TIMEOUT,
    )


def test_the_toolbar_formats_text_by_keyboard_and_the_form_saves_it(signed_in, live_server, database, screenshot_dir):
    page = signed_in
    page.goto(live_server + "/portfolio/reflections/new?method=free")
    page.get_by_label("Title").fill("Mijn eerste reflectie")
    body = _editor(page, "Your reflection")
    body.click()
    page.keyboard.type("belangrijk punt")
    page.keyboard.press("Control+A")
    toolbar = page.get_by_role("toolbar", name="Formatting")
    # Into the toolbar with Shift+Tab from the text, then along it with the arrow keys.
    page.keyboard.press("Shift+Tab")
    expect(toolbar.get_by_role("button", name="Bold")).to_be_focused()
    page.keyboard.press("Enter")
    expect(toolbar.get_by_role("button", name="Bold")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowRight")
    expect(toolbar.get_by_role("button", name="Italic")).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    body.click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("bron")
    page.keyboard.press("Shift+Home")
    page.keyboard.press("Control+K")
    page.get_by_label("Link address").fill("javascript:alert(1)")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Use an address that starts with https://")).to_be_visible()
    page.get_by_label("Link address").fill("https://example.nl/bron")
    page.keyboard.press("Enter")

    source = page.locator("textarea[name=body]")
    expect(source).to_be_hidden()
    html = source.input_value()
    assert re.search(r"<(b|strong)>belangrijk punt</(b|strong)>", html), html
    assert "<ul><li>" in html and 'href="https://example.nl/bron"' in html
    page.screenshot(path=str(screenshot_dir / "reflection-editor-toolbar.png"), full_page=True)

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Your reflection was saved.")).to_be_visible()
    (saved,) = _reflections(database)
    assert saved.title == "Mijn eerste reflectie"
    assert "example.nl/bron" in saved.content["body"] and "belangrijk punt" in saved.content["body"]


def test_autosave_keeps_a_draft_that_survives_a_reload(signed_in, live_server, database):
    page = signed_in
    page.goto(live_server + "/portfolio/reflections/new?method=starr")
    page.get_by_label("Title").fill("Stagedag")
    _editor(page, "Situation").click()
    page.keyboard.type("Op de afdeling was het druk.")

    _wait_for_save(page, 0)
    expect(page.get_by_role("status").filter(has_text="Draft saved")).to_be_visible()
    assert re.search(r"/portfolio/reflections/\d+/edit$", page.url)
    (draft,) = _reflections(database)
    assert draft.status == "draft" and "Op de afdeling was het druk." in draft.draft_content["situation"]

    _editor(page, "Task").click()
    before = _saves(page)
    page.keyboard.type("Ik hielp bij de intake.")
    _wait_for_save(page, before)
    (draft,) = _reflections(database)
    assert page.locator("input[name=base_revision]").input_value() == str(draft.revision)

    page.reload()
    expect(_editor(page, "Situation")).to_contain_text("Op de afdeling was het druk.")
    expect(_editor(page, "Task")).to_contain_text("Ik hielp bij de intake.")
    assert len(_reflections(database)) == 1


def test_a_second_window_gets_a_conflict_instead_of_overwriting(signed_in, live_server, database):
    first = signed_in
    first.goto(live_server + "/portfolio/reflections/new?method=free")
    _editor(first, "Your reflection").click()
    first.keyboard.type("tekst uit venster een")
    _wait_for_save(first, 0)
    second = first.context.new_page()
    second.goto(first.url)
    _editor(second, "Your reflection").click()
    second.keyboard.press("End")
    second.keyboard.type(" en venster twee")
    _wait_for_save(second, 0)

    _editor(first, "Your reflection").click()
    first.keyboard.type(" en nog meer uit een")

    expect(first.locator(".reflection-editor")).to_have_attribute("data-autosave-state", "conflict", timeout=SAVE_TIMEOUT)
    expect(first.get_by_text("This reflection was changed in another window.")).to_be_visible()
    (reflection,) = _reflections(database)
    assert "venster twee" in reflection.draft_content["body"] and "nog meer" not in reflection.draft_content["body"]


XSS_ATTEMPTS = [
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss = 'img'\">",
    "<svg onload=\"window.__xss = 'svg'\"><circle r=5></circle></svg>",
    "<a href=\"javascript:window.__xss = 'link'\" id=evil>klik</a>",
    "<p onmouseover=\"window.__xss = 'hover'\" id=hover>beweeg</p>",
    "<iframe srcdoc=\"<script>parent.__xss = 'frame'</script>\"></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__xss = 'mxss'\"></style></mglyph></table></mtext></math>",
]


def test_stored_xss_in_a_reflection_never_executes(signed_in, live_server, database, screenshot_dir):
    page = signed_in
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(live_server + "/portfolio/reflections/new?method=free")
    attack = "".join(XSS_ATTEMPTS) + "<p>gewone tekst</p>"
    # Post as a hostile client would, past the editor, with the page's own CSRF token.
    status = page.evaluate(
        """async (attack) => {
            const token = document.querySelector('input[name=csrf_token]').value;
            const form = new FormData();
            form.append('csrf_token', token);
            form.append('method', 'free');
            form.append('course', '0');
            form.append('title', '<img src=x onerror="window.__xss = 1">Titel');
            form.append('body', attack);
            form.append('save', '1');
            const response = await fetch('/portfolio/reflections/new', {method: 'POST', body: form});
            return response.status;
        }""",
        attack,
    )
    assert status == 200  # fetch followed the redirect to the editor
    (reflection,) = _reflections(database)

    for path in (f"/portfolio/reflections/{reflection.id}", f"/portfolio/reflections/{reflection.id}/edit",
                 f"/portfolio/reflections/{reflection.id}/history/1", "/portfolio/reflections/"):
        page.goto(live_server + path)
        for selector in ("#evil", "#hover"):
            if page.locator(selector).count():
                page.locator(selector).first.hover()
                page.locator(selector).first.click()
        assert page.evaluate("window.__xss") is None, path
        assert page.locator("main script, main img, main svg, main iframe, main [onerror], main [onload]").count() == 0, path

    page.goto(live_server + f"/portfolio/reflections/{reflection.id}")
    expect(page.get_by_text("gewone tekst")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "reflection-xss-rendered-inert.png"), full_page=True)
    assert dialogs == []


def test_the_competency_summary_prints_on_one_a4_page_without_navigation(signed_in, live_server, database, screenshot_dir):
    """Lives here because it needs the browser's print engine; the summary is part of the same feature set."""
    import io
    from datetime import date
    from pathlib import Path

    from pypdf import PdfReader

    from lti_tool.competencies.importer import import_framework_file
    from lti_tool.competencies.models import Competency, SelfAssessment
    from lti_tool.people.models import User
    from lti_tool.portfolio.models import Evidence, Portfolio

    page = signed_in
    page.goto(live_server + "/competencies/")
    sample = (Path(__file__).resolve().parents[2] / "examples" / "competencies" / "digitale-vaardigheden.json").read_bytes()
    with Session(database) as session:
        sam = session.scalars(select(User).where(User.name == "Sam Student")).one()
        portfolio = session.scalars(select(Portfolio).where(Portfolio.owner_id == sam.id)).one()
        framework = import_framework_file(session, sam.platform_id, "dv.json", sample)
        for index, competency in enumerate(session.scalars(select(Competency).where(Competency.framework_id == framework.id))):
            session.add(SelfAssessment(portfolio_id=portfolio.id, competency_id=competency.id, level=1 + index % 4))
        for index in range(20):
            session.add(Evidence(portfolio_id=portfolio.id, platform_id=sam.platform_id, kind="informal", type="note",
                                 title=f"Ervaring {index}", occurred_on=date(2026, 1, 1 + index)))
        session.add(Evidence(portfolio_id=portfolio.id, platform_id=sam.platform_id, kind="formal", type="diploma",
                             title="Diploma Zorg niveau 3", issuer="ROC", occurred_on=date(2024, 7, 1)))
        session.commit()

    page.goto(live_server + "/competencies/summary")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sam Student")
    page.emulate_media(media="print")
    expect(page.locator(".summary-actions")).to_be_hidden()
    assert page.locator("nav").count() == 0
    page.screenshot(path=str(screenshot_dir / "competency-summary-print.png"), full_page=True)
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    assert "Diploma Zorg niveau 3" in text and "DV-C4" in text and "Ervaring 19" in text
