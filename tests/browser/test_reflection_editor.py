"""The reflection editor in Chromium: toolbar by keyboard and mouse, autosave, conflicts, and stored XSS."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from lti_tool.portfolio.models import Reflection

SAVE_TIMEOUT = 15_000


@pytest.fixture
def signed_in(page, live_server):
    """Sam Student, launched from the demo course, then working in the tool's own window."""
    page.goto(live_server + "/demo")
    page.get_by_role("button", name="Launch as learner (Sam Student)").click()
    expect(page.frame_locator("iframe[name=tool-frame]").get_by_role("heading", level=1)).to_be_visible()
    return page


@pytest.fixture
def database(database_url):
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


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
