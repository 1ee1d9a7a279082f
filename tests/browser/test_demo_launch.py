"""From the demo course page, real LTI 1.3 launches open Leerpaspoort inside the course's frame."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_learner_launch_from_the_demo_course_shows_sam_student_inside_the_frame(page, live_server, screenshot_dir):
    page.goto(live_server + "/demo")

    page.get_by_role("button", name="Launch as learner (Sam Student)").click()

    tool = page.frame_locator("iframe[name=tool-frame]")
    expect(tool.get_by_role("heading", level=1)).to_contain_text("Sam Student")
    expect(tool.get_by_test_id("course-title")).to_have_text("Demo: E-Portfolio 101")
    assert page.frame(name="tool-frame").url == live_server + "/home"
    page.screenshot(path=str(screenshot_dir / "demo-learner-launch.png"), full_page=True)


def test_instructor_launch_from_the_demo_course_lands_on_the_course_view(page, live_server, screenshot_dir):
    page.goto(live_server + "/demo")

    page.get_by_role("button", name="Launch as instructor (Terry Teacher)").click()

    tool = page.frame_locator("iframe[name=tool-frame]")
    expect(tool.get_by_role("heading", level=1)).to_have_text("Demo: E-Portfolio 101")
    expect(tool.get_by_role("cell", name="Terry Teacher")).to_be_visible()
    assert re.fullmatch(re.escape(live_server) + r"/courses/\d+", page.frame(name="tool-frame").url)
    page.screenshot(path=str(screenshot_dir / "demo-instructor-launch.png"), full_page=True)
