"""Every page a person sees, checked with axe-core (WCAG 2.1 A/AA) in Chromium: as the right role,
with real data, at desktop and phone width, in English and Dutch; plus keyboard-only use."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible, axe_violations, blocking, describe, require_axe
from tests.browser.world import Person, build_world

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 1000}

# Every GET route that answers HTML to a person, with who opens it. `{name}` fields are filled
# from the world the test builds.
PAGES: list[tuple[str, str, str]] = [
    ("visitor", "home.index", "/"),
    ("visitor", "demo.course", "/demo"),
    ("visitor", "demo.frame", "/demo/frame"),
    ("visitor", "lti.config", "/lti/config"),
    ("visitor", "lti.login", "/lti/login"),  # a failed launch: the 400 page
    ("visitor", "lti_register.register", "/lti/register"),  # registration without a platform: its error page
    ("visitor", "showcase.by_link", "{secret_link}"),
    ("learner", "home.learner_home", "/home"),
    ("instructor", "home.course", "/courses/{context_id}"),
    ("learner", "portfolio.home", "/portfolio"),
    ("learner", "portfolio.course_view", "/portfolio/courses/{context_id}"),
    ("learner", "portfolio.new_evidence", "/portfolio/evidence/new"),
    ("learner", "portfolio.show_evidence", "/portfolio/evidence/{evidence_id}"),
    ("learner", "portfolio.edit_evidence", "/portfolio/evidence/{evidence_id}/edit"),
    ("learner", "portfolio.delete_evidence", "/portfolio/evidence/{evidence_id}/delete"),
    ("learner", "portfolio.trash", "/portfolio/trash"),
    ("learner", "reflections.list_reflections", "/portfolio/reflections/"),
    ("learner", "reflections.new_reflection", "/portfolio/reflections/new?method=starr"),
    ("learner", "reflections.show_reflection", "/portfolio/reflections/{reflection_id}"),
    ("learner", "reflections.edit_reflection", "/portfolio/reflections/{reflection_id}/edit"),
    ("learner", "reflections.delete_reflection", "/portfolio/reflections/{reflection_id}/delete"),
    ("learner", "reflections.history", "/portfolio/reflections/{reflection_id}/history"),
    ("learner", "reflections.version", "/portfolio/reflections/{reflection_id}/history/1"),
    ("learner", "collections.list_collections", "/portfolio/collections/"),
    ("learner", "collections.show_collection", "/portfolio/collections/{collection_id}"),
    ("learner", "collections.confirm_delete", "/portfolio/collections/{collection_id}/delete"),
    ("learner", "coaching.coaches", "/portfolio/coaches"),
    ("learner", "coaching.messages", "/coaching/{grant_id}/messages"),
    ("coach", "coaching.messages", "/coaching/{grant_id}/messages"),
    ("learner", "competencies.overview", "/competencies/"),
    ("learner", "competencies.summary", "/competencies/summary"),
    ("learner", "assessment.landing", "/assessments/{assessment_link_id}"),
    ("learner", "reflection_activities.activity", "/activities/reflection/{reflection_link_id}"),
    ("learner", "errors.404", "/no-such-page"),
    ("coach", "showcase.view", "/showcase/{collection_id}"),
    ("admin", "home.overview", "/overview"),
    ("instructor", "assessment.show_submission", "/assessments/submissions/{submission_id}"),
    ("instructor", "reflection_activities.submission", "/activities/reflection/{reflection_link_id}/submissions/{activity_reflection_id}"),
    ("instructor", "reporting.completions", "/courses/{context_id}/completions"),
    ("instructor", "reporting.completion_summary", "/courses/{context_id}/completions/summary"),
    ("instructor", "reflection_activities.activity", "/activities/reflection/{reflection_link_id}"),
    ("admin", "competencies.admin", "/competencies/admin"),
    ("admin", "module_library.index", "/modules/"),
    ("admin", "admin.outbox", "/admin/outbox"),
    ("admin", "admin_lrs.credentials", "/admin/lrs/credentials"),
    ("admin", "admin_actors.index", "/admin/actors"),
]
# The main pages, also checked in Dutch.
MAIN_PAGES = {"home.learner_home", "portfolio.new_evidence", "reflections.new_reflection", "collections.show_collection",
              "competencies.overview", "assessment.show_submission", "showcase.by_link", "demo.course"}

# GET routes a person never sees as a page of ours, and why.
EXCLUDED = {
    "static": "stylesheets, scripts and images",
    "lti.jwks": "JSON key set for platforms",
    "lti.session_check": "JSON for the cookie check script",
    "lti.enter": "single-use hand-off page that moves on at once; reached by every launch above",
    "lti_deep_link.picker": "checked in its own test below (needs a fresh deep-linking launch)",
    "demo.auth": "the demo platform's auto-submitting form post (no content of its own)",
    "demo.line_items": "AGS JSON", "demo.line_item": "AGS JSON", "demo.results": "AGS JSON",
    "demo.nrps_memberships": "NRPS JSON",
    "xapi.about": "xAPI JSON", "xapi.activities": "xAPI JSON", "xapi.activity_profile": "xAPI JSON",
    "xapi.state": "xAPI JSON", "xapi.agents": "xAPI JSON", "xapi.agent_profile": "xAPI JSON",
    "xapi.get_statements": "xAPI JSON",
    "cmi5.fetch": "cmi5 fetch URL answers JSON",
    "cmi5.course": "needs a cmi5 course placed; covered by test_cmi5_journey's pages, not repeated here",
    "cmi5.returned": "redirects back to the cmi5 course page",
    "reflections.trash": "redirects to the portfolio's one trash (portfolio.trash)",
    "module_launch.launch": "redirects into the module's own content",
    "modules.content": "the module author's own HTML, not ours",
    "portfolio.file": "file download", "portfolio.thumbnail": "image", "assessment.submission_file": "file download",
    "showcase.view_file": "file download", "showcase.link_file": "file download",
    "collections.pdf": "PDF", "showcase.view_pdf": "PDF", "showcase.link_pdf": "PDF",
    "reporting.completions_csv": "CSV download",
    "admin_actors.detail": "needs statements from an actor no learner matches, which this course does not make",
    "formal_evidence.statements": "only for formal evidence from xAPI statements; test_module_journey opens it",
}


# The innermost elements that stick out to the right: what to fix when a page is too wide for a phone.
WIDEST = """() => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.getBoundingClientRect().right <= window.innerWidth + 1) continue;
    if ([...el.children].some(child => child.getBoundingClientRect().right > window.innerWidth + 1)) continue;
    out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''));
  }
  return out.slice(0, 5);
}"""


def test_every_html_get_route_is_checked_or_excluded_with_a_reason(settings_overrides):
    from lti_tool import create_app

    # With the demo platform on, so its pages are in the URL map too.
    app = create_app({**settings_overrides, "demo_enabled": True})
    app.extensions["leerpaspoort.engine"].dispose()
    checked = {endpoint for _, endpoint, _ in PAGES} | {"home.index"}
    missing = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in checked and rule.endpoint not in EXCLUDED:
            missing.append(f"{rule.rule} ({rule.endpoint})")
    assert not missing, "pages with no accessibility check and no reason to skip it:\n" + "\n".join(sorted(missing))


@pytest.fixture
def world(live_server, demo_app, browser):
    require_axe()
    built, contexts = build_world(demo_app, browser, live_server, lambda name: f"Voorbeeld {name}")
    yield built, contexts
    for context in contexts.values():
        context.close()


def _path(template: str, world) -> str:
    values = {
        "context_id": world.context_id, "evidence_id": world.evidence_ids[0], "reflection_id": world.reflection_ids[-1],
        "collection_id": world.collection_id, "assessment_link_id": world.assessment_link_id,
        "reflection_link_id": world.reflection_link_id, "submission_id": world.submission_id,
        "activity_reflection_id": world.activity_reflection_id, "secret_link": world.secret_link, "grant_id": world.grant_id,
    }
    filled = template.format(**values)
    return filled if filled.startswith("http") else world.url(filled)


def _set_language(context, base_url: str, locale: str) -> None:
    page = context.new_page()
    page.goto(base_url + "/lti/config")
    page.locator("#locale-choice").select_option(locale)
    page.get_by_role("button", name=re.compile("^(Switch|Wissel|Kies)")).click()
    # Close only once the new page has landed: chromium can leave a close issued during the
    # click's navigation unanswered, and Playwright's close has no timeout of its own.
    expect(page.locator("html")).to_have_attribute("lang", locale)
    page.wait_for_load_state("load")
    page.close()


def test_every_page_has_no_serious_or_critical_axe_violations(world, demo_app):
    built, contexts = world
    endpoints = {rule.endpoint for rule in demo_app.url_map.iter_rules()}
    problems: list[str] = []
    for language in ("en", "nl"):
        if language == "nl":
            for context in contexts.values():
                _set_language(context, built.base_url, "nl")
        for role, endpoint, template in PAGES:
            if language == "nl" and endpoint not in MAIN_PAGES:
                continue
            if endpoint not in endpoints and endpoint != "errors.404":
                continue  # a page this build of the application does not have
            page = contexts[role].new_page()
            try:
                url = _path(template, built)
                for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                    page.set_viewport_size(viewport)
                    response = page.goto(url)
                    expected = 400 if endpoint in {"lti.login", "lti_register.register"} else 404 if endpoint == "errors.404" else 200
                    assert response is not None and response.status == expected, f"{url}: {response.status if response else 'no response'}"
                    found = blocking(axe_violations(page))
                    if found:
                        problems.append(f"{endpoint} as {role}, {language}, {width} ({url}):\n{describe(found)}")
                    if width == "phone":
                        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
                        if overflow > 1:
                            problems.append(f"{endpoint} as {role}, {language}: {overflow}px wider than a 375px phone, "
                                            f"because of {', '.join(page.evaluate(WIDEST))}")
            finally:
                page.close()
    assert not problems, "accessibility problems:\n" + "\n".join(problems)


def test_pages_inside_the_course_frame_are_accessible(world):
    """Inside Moodle's iframe (here the demo course's frame) the tool's page must pass on its own."""
    built, contexts = world
    learner = Person(contexts["learner"], built.base_url)
    page = learner.launch("Launch as learner (Sam Student)")
    frame = page.frame(name="tool-frame")
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        assert_accessible(frame, f"the learner home in the demo frame at {viewport['width']}px")
        # No layout that assumes a full window: the page fits the frame it is given.
        overflow = frame.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the learner home is {overflow}px wider than the course frame at {viewport['width']}px"
        assert_accessible(page, f"the demo course page at {viewport['width']}px")


def test_the_deep_linking_picker_is_accessible(live_server, page):
    require_axe()
    page.goto(live_server + "/demo")
    page.get_by_role("button", name="Add activity (deep linking)").click()
    tool = page.frame_locator("iframe[name=tool-frame]")
    expect(tool.get_by_role("button", name="Add to course")).to_be_visible(timeout=15_000)
    assert_accessible(page.frame(name="tool-frame"), "the deep-linking picker")


def _tab_to(page, predicate_js: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches; fail when it is not reachable by keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({predicate_js}); }}"):
            return
    raise AssertionError(f"could not reach an element matching {predicate_js} with Tab")


def _focus_is_visible(page) -> bool:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
            return el.matches(':focus-visible') && (outline || (style.boxShadow && style.boxShadow !== 'none'));
        }"""
    )


def test_evidence_and_reflection_can_be_added_with_the_keyboard_only(live_server, browser, demo_app):
    context = browser.new_context(locale="en-GB", viewport=DESKTOP)
    try:
        person = Person(context, live_server)
        person.launch("Launch as learner (Sam Student)")
        page = context.new_page()
        page.goto(live_server + "/portfolio/evidence/new?type=note")
        _tab_to(page, "el.id === 'title'")
        assert _focus_is_visible(page), "the title field shows no focus indicator"
        page.keyboard.type("Notitie via toetsenbord")
        _tab_to(page, "el.type === 'submit' && el.name === 'save'")
        assert _focus_is_visible(page), "the save button shows no focus indicator"
        page.keyboard.press("Enter")
        expect(page.get_by_text("Your evidence was saved.")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text("Notitie via toetsenbord")

        page.goto(live_server + "/portfolio/reflections/new?method=free")
        _tab_to(page, "el.id === 'title'")
        page.keyboard.type("Reflectie via toetsenbord")
        _tab_to(page, "el.isContentEditable")
        assert _focus_is_visible(page), "the rich-text editor shows no focus indicator"
        page.keyboard.type("Alles met Tab en Enter.")
        _tab_to(page, "el.type === 'submit' && el.name === 'save'")
        assert _focus_is_visible(page), "the save button shows no focus indicator"
        page.keyboard.press("Enter")
        expect(page.get_by_text("Your reflection was saved.")).to_be_visible()
        expect(page.get_by_text("Alles met Tab en Enter.", exact=True)).to_be_visible()
    finally:
        context.close()


def test_the_axe_check_reports_serious_violations_with_rule_target_and_help(page):
    """The check can fail: a page with an unlabelled button and an image without alt text."""
    require_axe()
    page.set_content('<html lang="en"><title>t</title><main><img src="data:,"><button></button></main></html>')
    found = blocking(axe_violations(page))
    rules = {violation["id"] for violation in found}
    assert {"image-alt", "button-name"} <= rules, rules
    report = describe(found)
    assert "button-name (critical)" in report and "dequeuniversity.com" in report and "img" in report
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page, "a broken page")


def test_missing_axe_skips_locally_but_fails_when_ci_requires_node_tests(monkeypatch, tmp_path):
    from tests.browser import axe

    monkeypatch.setattr(axe, "AXE_SCRIPT", tmp_path / "axe.min.js")
    monkeypatch.delenv("LEERPASPOORT_REQUIRE_NODE_TESTS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="npm ci"):
        axe.require_axe()
    monkeypatch.setenv("LEERPASPOORT_REQUIRE_NODE_TESTS", "1")
    with pytest.raises(pytest.fail.Exception, match="npm ci"):
        axe.require_axe()
