"""A Tin Can module end to end in the demo: placed by deep linking, completed by a learner inside
the course iframe (statements to our LRS across the sandbox), formal evidence and a grade."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import install_in_demo


@pytest.fixture
def module_id(demo_app) -> int:
    return install_in_demo(demo_app, "tincan-module")


def _place_module(page, live_server: str, module_id: int) -> None:
    """As the demo's instructor, deep-link the module into the demo course."""
    page.goto(live_server + "/demo")
    page.get_by_role("button", name="Add activity (deep linking)").click()
    picker = page.frame_locator("iframe[name=tool-frame]")
    picker.locator(f"input[name=item][value=module-{module_id}]").check()
    picker.get_by_role("button", name="Add to course").click()
    expect(page.get_by_test_id("demo-item")).to_have_text("Veilig werken op hoogte", timeout=15000)


def test_a_learner_completes_a_module_in_the_course_and_gets_evidence_and_a_grade(page, live_server, demo_app, module_id, screenshot_dir):
    _place_module(page, live_server, module_id)

    page.get_by_role("button", name="Launch as learner", exact=True).click()
    module = page.frame_locator("iframe[name=tool-frame]")
    expect(module.get_by_role("heading", level=1)).to_have_text("1. Kies het juiste klimmiddel", timeout=15000)
    expect(module.locator("#status")).to_have_text("Welkom.")
    for _ in range(3):
        module.get_by_role("button", name="Volgende").click()
    module.get_by_label("Ongeveer 75 graden").check()
    module.get_by_label("Drie").check()
    module.get_by_label("Nee").check()
    module.get_by_role("button", name="Toets inleveren").click()
    expect(module.locator("#result")).to_have_text("Geslaagd: 3 van de 3 goed.", timeout=15000)
    expect(module.locator("#status")).to_have_text("Je resultaat is opgeslagen.")
    page.screenshot(path=str(screenshot_dir / "module-completed-in-course.png"), full_page=True)

    from lti_tool.outbox.worker import run_worker

    run_worker(demo_app, once=True)
    page.goto(live_server + "/demo")
    expect(page.get_by_test_id("gradebook")).to_contain_text("100", timeout=15000)
    page.screenshot(path=str(screenshot_dir / "module-grade-in-demo-gradebook.png"), full_page=True)

    page.get_by_role("button", name="Launch as learner (Sam Student)").click()
    home = page.frame_locator("iframe[name=tool-frame]")
    expect(home.get_by_text("Veilig werken op hoogte").first).to_be_visible(timeout=15000)
    expect(home.get_by_test_id("timeline-evidence").first).to_contain_text("passed · 100%")
    page.screenshot(path=str(screenshot_dir / "module-formal-evidence-on-home.png"), full_page=True)


def test_a_second_launch_resumes_where_the_learner_left_off(page, live_server, module_id):
    _place_module(page, live_server, module_id)

    page.get_by_role("button", name="Launch as learner", exact=True).click()
    module = page.frame_locator("iframe[name=tool-frame]")
    expect(module.locator("#status")).to_have_text("Welkom.", timeout=15000)
    module.get_by_role("button", name="Volgende").click()
    expect(module.get_by_role("heading", level=1)).to_have_text("2. Controleer voor gebruik")
    page.wait_for_timeout(500)  # the bookmark PUT is in flight

    page.get_by_role("button", name="Launch as learner", exact=True).click()
    module = page.frame_locator("iframe[name=tool-frame]")
    expect(module.locator("#status")).to_have_text("Je gaat verder waar je was gebleven.", timeout=15000)
    expect(module.get_by_role("heading", level=1)).to_have_text("2. Controleer voor gebruik")


def test_the_l_and_d_view_lists_everyone_from_the_roster_with_their_status(page, live_server, module_id, screenshot_dir):
    _place_module(page, live_server, module_id)
    # The tool learns about a placed link at its first launch: the teacher previews the module.
    page.get_by_role("button", name="Launch as instructor", exact=True).click()
    expect(page.frame_locator("iframe[name=tool-frame]").locator("#status")).to_have_text("Welkom.", timeout=15000)
    page.get_by_role("button", name="Launch as instructor (Terry Teacher)").click()
    # The frame still shows the module (which has a heading too) until the launch lands: wait
    # for the course view's own address rather than for any heading.
    tool_frame = page.frame(name="tool-frame")
    tool_frame.wait_for_url(re.compile(r"^[^?#]*/courses/\d+$"), timeout=15000)
    course_path = urlsplit(tool_frame.url).path
    assert re.fullmatch(r"/courses/\d+", course_path)

    page.goto(live_server + course_path + "/completions")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Module completion")
    page.get_by_role("button", name="Refresh participants from the learning environment").click()
    expect(page.get_by_text("Participants updated from the learning environment")).to_be_visible()
    learners = page.get_by_role("region", name="Learners")
    for name in ("Sam Student", "Lotte de Vries", "Ahmed Yilmaz"):
        expect(learners.get_by_role("row", name=re.compile(name))).to_contain_text("Not started")
    expect(learners).not_to_contain_text("Terry Teacher")
    page.screenshot(path=str(screenshot_dir / "l-and-d-completions.png"), full_page=True)
