"""An instructor places a graded reflection activity in the demo course through deep linking."""

from __future__ import annotations

from playwright.sync_api import expect

# A launch is four round trips; on a busy test machine the default five seconds are tight.
SLOW = 15000


def test_instructor_deep_links_a_reflection_activity_that_appears_in_the_demo_course(page, live_server, screenshot_dir):
    page.goto(live_server + "/demo")
    expect(page.get_by_test_id("demo-item")).to_have_count(0)

    page.get_by_role("button", name="Add activity (deep linking)").click()

    tool = page.frame_locator("iframe[name=tool-frame]")
    expect(tool.get_by_role("heading", level=1)).to_have_text("Choose what to place in your course", timeout=SLOW)
    tool.locator("input[name=item][value=reflection]").check()
    tool.locator("#title-reflection").fill("Week 1: what did you learn?")
    tool.locator("#prompt-reflection").fill("Describe one situation from this week using STARR.")
    page.screenshot(path=str(screenshot_dir / "demo-deep-link-picker.png"), full_page=True)

    tool.get_by_role("button", name="Add to course").click()

    # The response posts itself to the demo's return URL, which brings the course page back.
    expect(page.get_by_test_id("demo-item")).to_have_text("Week 1: what did you learn?", timeout=SLOW)
    assert page.url == live_server + "/demo"
    expect(page.get_by_text("graded out of 100")).to_be_visible()
    expect(page.get_by_test_id("gradebook")).to_contain_text("Week 1: what did you learn?")
    expect(page.get_by_text("leerpaspoort_kind=reflection")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "demo-deep-link-placed.png"), full_page=True)


def test_learner_opens_the_deep_linked_reflection_activity(page, live_server, screenshot_dir):
    page.goto(live_server + "/demo")
    page.get_by_role("button", name="Add activity (deep linking)").click()
    tool = page.frame_locator("iframe[name=tool-frame]")
    tool.locator("input[name=item][value=reflection]").check(timeout=SLOW)
    tool.locator("#title-reflection").fill("Looking back")
    tool.get_by_role("button", name="Add to course").click()
    expect(page.get_by_test_id("demo-item")).to_have_text("Looking back", timeout=SLOW)

    page.get_by_role("button", name="Launch as learner", exact=True).click()

    tool = page.frame_locator("iframe[name=tool-frame]")
    expect(tool.get_by_role("heading", level=1)).to_be_visible(timeout=SLOW)
    assert "/lti/" not in page.frame(name="tool-frame").url
    page.screenshot(path=str(screenshot_dir / "demo-deep-link-learner-launch.png"), full_page=True)
