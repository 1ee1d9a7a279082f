"""The example cmi5 course end to end in the demo: placed by deep linking, both AUs completed by a
learner inside the course iframe (fetch URL, LMS.LaunchData, statements across the sandbox,
Terminated, returnURL), the course satisfied, formal evidence and the course grade."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import install_in_demo

SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"


@pytest.fixture
def course_id(demo_app) -> int:
    return install_in_demo(demo_app, "cmi5-course")


def _satisfied_objects(demo_app) -> list[str]:
    from lti_tool.db import session_scope
    from xapi.models import Statement

    with session_scope(demo_app) as session:
        rows = session.scalars(select(Statement.payload).where(Statement.verb_id == SATISFIED).order_by(Statement.seq)).all()
        return [json.loads(row)["object"]["id"] for row in rows]


def test_a_learner_completes_the_cmi5_course_in_the_course_page(page, live_server, demo_app, course_id, screenshot_dir):
    page.goto(live_server + "/demo")
    page.get_by_role("button", name="Add activity (deep linking)").click()
    picker = page.frame_locator("iframe[name=tool-frame]")
    picker.locator(f"input[name=item][value=module-{course_id}]").check()
    picker.get_by_role("button", name="Add to course").click()
    expect(page.get_by_test_id("demo-item")).to_have_text("Goede klantgesprekken", timeout=15000)

    page.get_by_role("button", name="Launch as learner", exact=True).click()
    frame = page.frame_locator("iframe[name=tool-frame]")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Goede klantgesprekken", timeout=15000)
    units = frame.get_by_test_id("cmi5-unit")
    expect(units.nth(0).get_by_test_id("cmi5-unit-status")).to_have_text("Not attempted")
    page.screenshot(path=str(screenshot_dir / "cmi5-course-page.png"), full_page=True)

    # The reading AU (moveOn Completed), inside the iframe.
    units.nth(0).get_by_role("button", name="Start").click()
    expect(frame.locator("#status")).to_have_text("Lees de les en klik daarna op de knop.", timeout=15000)
    frame.get_by_role("button", name="Ik heb de les gelezen").click()
    expect(frame.locator("#status")).to_have_text("Afgerond. Je kunt afsluiten.", timeout=15000)
    frame.get_by_role("button", name="Afsluiten").click()
    # Terminated, then back to the course page through returnURL.
    expect(frame.get_by_test_id("cmi5-unit").nth(0).get_by_test_id("cmi5-unit-status")).to_have_text("Completed", timeout=15000)
    expect(frame.get_by_test_id("cmi5-unit").nth(0).get_by_test_id("cmi5-unit-satisfied")).to_be_visible()

    # The test AU (moveOn Passed, mastery score 0.8).
    frame.get_by_test_id("cmi5-unit").nth(1).get_by_role("button", name="Start").click()
    expect(frame.locator("#status")).to_have_text("Je hebt minstens 80% goed nodig.", timeout=15000)
    frame.get_by_label("Laten uitpraten en samenvatten").check()
    frame.get_by_label("In eigen woorden herhalen wat je hoorde").check()
    frame.get_by_label("Als je het probleem nog niet helemaal begrijpt").check()
    frame.get_by_label("Laten merken dat je luistert").check()
    frame.get_by_label("Controleren of de klant tevreden is").check()
    frame.get_by_role("button", name="Toets inleveren").click()
    expect(frame.locator("#status")).to_have_text("Geslaagd: 5 van de 5 goed.", timeout=15000)
    page.screenshot(path=str(screenshot_dir / "cmi5-test-passed.png"), full_page=True)
    frame.get_by_role("button", name="Afsluiten").click()
    expect(frame.get_by_test_id("course-status")).to_have_text("You have completed this course.", timeout=15000)
    expect(frame.get_by_test_id("cmi5-unit").nth(1).get_by_test_id("cmi5-unit-status")).to_have_text("Passed")
    page.screenshot(path=str(screenshot_dir / "cmi5-course-satisfied.png"), full_page=True)
    satisfied = _satisfied_objects(demo_app)
    assert len(satisfied) == 3 and satisfied[-1].endswith(":course")

    from lti_tool.outbox.worker import run_worker

    run_worker(demo_app, once=True)
    page.goto(live_server + "/demo")
    expect(page.get_by_test_id("gradebook")).to_contain_text("100", timeout=15000)
    page.screenshot(path=str(screenshot_dir / "cmi5-grade-in-demo-gradebook.png"), full_page=True)

    page.get_by_role("button", name="Launch as learner (Sam Student)").click()
    home = page.frame_locator("iframe[name=tool-frame]")
    expect(home.get_by_text("Goede klantgesprekken").first).to_be_visible(timeout=15000)
    page.screenshot(path=str(screenshot_dir / "cmi5-formal-evidence-on-home.png"), full_page=True)
