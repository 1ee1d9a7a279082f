"""Stored XSS: attacks typed into every text field and upload, then every page that shows them opened
in Chromium. Nothing may run, no hostile markup may reach the DOM, and no unsafe link may be clickable.

Pages are tested as served, with our Content-Security-Policy on. CSP alone must not be what saves
us, so a script or handler that reaches the DOM and is only stopped by CSP counts as a failure too
(a `securitypolicyviolation` for a script directive means escaping or sanitising failed).
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.world import Person, build_world

# Each attack reports itself through alert(), window.__xss or a call to a function that does not
# exist (a page error): whichever way it runs, the test sees it.
CORPUS = [
    "<script>window.__xss='script'</script>",
    "<img src=x onerror=\"window.__xss='img'\">",
    "<svg onload=\"window.__xss='svg'\"><circle r=5></circle></svg>",
    "<a href=\"javascript:window.__xss='href'\">klik</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>",
    "<a href=\"jav&#x09;ascript:alert('entity')\">tab</a>",
    "\"><script>alert('attr-double')</script>",
    "' onmouseover='alert(1)' autofocus onfocus='alert(2)' x='",
    "</textarea><script>alert('textarea')</script>",
    "</title><script>alert('title')</script>",
    "{{7*7}}X ${7*7}X {% print 7*7 %}X",
    "\u202e<scr\u200bipt>alert('rlo')</scr\u200bipt> \uff1cscript\uff1ealert('fullwidth')\uff1c/script\uff1e",
    "<iframe srcdoc=\"<script>parent.__xss='srcdoc'</script>\"></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')></style></mglyph></table></mtext></math>",
    "<details open ontoggle=alert('toggle')>",
    "<object data=\"javascript:alert('object')\"></object>",
]
# Titles and names have limits; the corpus is cut to fit them (each field still gets several attacks).
FIELD_LIMIT = 300
SHORT_FIELDS = {"module title": 250, "framework name": 200, "level": 80, "competency title": 200, "sub-competency title": 200}
URL_ATTACKS = ["javascript:window.__xss='url'", "data:text/html,<script>alert('dataurl')</script>", " JaVaScRiPt:alert(1)"]

TRAP = """
window.__xss = undefined;
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.effectiveDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
});
"""


def hostile_text(field: str) -> str:
    """Every field gets the whole corpus (cut to fit titles, rotated so each attack leads somewhere)."""
    if field == "link url":
        return URL_ATTACKS[0]
    if field == "tags":
        # Tags are split at commas and each is at most 80 characters: the short attacks, one per tag.
        return ", ".join(attack for attack in CORPUS if len(attack) <= 80 and "," not in attack)[:FIELD_LIMIT]
    start = sum(map(ord, field)) % len(CORPUS)
    rotated = CORPUS[start:] + CORPUS[:start]
    whole = " ".join(rotated)
    # A readable start: fields that drop markup (titles become plain text) must not end up empty.
    whole = f"{field}: {whole}"
    if field in SHORT_FIELDS:
        return whole[: SHORT_FIELDS[field]]
    return whole[:FIELD_LIMIT] if "title" in field or field == "issuer" else whole


HOSTILE_PERSON = {"given_name": "<img src=x onerror=alert('given')>", "family_name": "\"><script>alert('family')</script>"}
HOSTILE_COURSE = "</title><svg onload=alert('course')> {{7*7}}X"


@pytest.fixture
def hostile_world(live_server, demo_app, browser, monkeypatch):
    """The demo course with attacks in every field; Sam's name and the course title come from the launch claims."""
    from lti_tool.demo import services

    sam = services.PEOPLE_BY_SUB["4"]
    hostile_sam = services.DemoPerson(sam.sub, sam.key, HOSTILE_PERSON["given_name"], HOSTILE_PERSON["family_name"], sam.username, sam.roles, sam.nrps_roles)
    monkeypatch.setitem(services.PEOPLE_BY_SUB, "4", hostile_sam)
    monkeypatch.setitem(services.DEMO_CONTEXT, "title", HOSTILE_COURSE)
    world, contexts = build_world(demo_app, browser, live_server, hostile_text, hostile_uploads=True)
    _add_hostile_links(world, contexts["learner"])
    for context in contexts.values():
        context.add_init_script(TRAP)
    yield world, contexts, demo_app
    for context in contexts.values():
        context.close()


def _add_hostile_links(world, context) -> None:
    """The other unsafe addresses as link evidence: each is refused, or kept and must stay harmless."""
    learner = Person(context, world.base_url)
    for address in URL_ATTACKS[1:]:
        response = learner.post(
            "/portfolio/evidence/new",
            form={"type": "link", "title": "link: " + address[:40], "occurred_on": "2026-09-02", "course": "", "url": address, "save": "Save"},
            expect_status=(302, 303, 400),
        )
        if response.status != 400:
            world.evidence_ids.append(int(re.search(r"/evidence/(\d+)", response.headers["location"]).group(1)))
    learner.page.close()


def _pages(world, endpoints: set[str]) -> list[tuple[str, str]]:
    pages = [
        ("learner", "/home"), ("learner", "/portfolio"), ("learner", f"/portfolio/courses/{world.context_id}"),
        ("instructor", f"/courses/{world.context_id}"), ("learner", "/portfolio/reflections/"),
        ("learner", "/competencies/"), ("learner", "/competencies/summary"), ("learner", "/portfolio/collections/"),
        ("learner", f"/portfolio/collections/{world.collection_id}"), ("learner", "/portfolio/coaches"),
        ("learner", f"/assessments/{world.assessment_link_id}"), ("learner", f"/activities/reflection/{world.reflection_link_id}"),
        ("instructor", f"/assessments/submissions/{world.submission_id}"), ("admin", "/overview"),
        ("instructor", f"/courses/{world.context_id}/completions"),
        ("instructor", f"/activities/reflection/{world.reflection_link_id}"),
        ("instructor", f"/activities/reflection/{world.reflection_link_id}/submissions/{world.activity_reflection_id}"),
        ("coach", f"/showcase/{world.collection_id}"), ("coach", "/home"), ("coach", "/portfolio/coaches"),
        ("learner", f"/coaching/{world.grant_id}/messages"), ("coach", f"/coaching/{world.grant_id}/messages"),
        ("admin", "/modules/"), ("admin", "/competencies/admin"), ("admin", f"/courses/{world.context_id}/completions"),
        ("visitor", world.secret_link), ("visitor", "/demo"),
    ]
    if "reporting.completion_summary" in endpoints:
        pages.append(("instructor", f"/courses/{world.context_id}/completions/summary"))
    for evidence_id in world.evidence_ids:
        pages += [("learner", f"/portfolio/evidence/{evidence_id}"), ("learner", f"/portfolio/evidence/{evidence_id}/edit")]
    for reflection_id in world.reflection_ids:
        pages += [
            ("learner", f"/portfolio/reflections/{reflection_id}"), ("learner", f"/portfolio/reflections/{reflection_id}/edit"),
            ("learner", f"/portfolio/reflections/{reflection_id}/history"),
        ]
    return pages


UNSAFE_LINKS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('[href], [src], [action], [formaction], [data], [srcdoc]')) {
    for (const name of ['href', 'src', 'action', 'formaction', 'data']) {
      const value = el.getAttribute(name);
      if (value && /^\\s*(javascript|data:text|vbscript)/i.test(value.replace(/[\\u0000-\\u0020]/g, ''))) bad.push(el.outerHTML.slice(0, 160));
    }
    if (el.hasAttribute('srcdoc')) bad.push(el.outerHTML.slice(0, 160));
  }
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) bad.push(el.outerHTML.slice(0, 160));
    }
  }
  return bad;
}"""


def _inspect(page, where: str) -> list[str]:
    """What ran or got into the DOM, in the page and in each of its frames."""
    found = []
    for frame in page.frames:
        state = frame.evaluate("() => ({xss: window.__xss, csp: window.__csp || [], text: document.body ? document.body.innerText : ''})")
        if state["xss"] is not None:
            found.append(f"{where}: window.__xss = {state['xss']!r} in {frame.url}")
        for violation in state["csp"]:
            if violation.startswith(("script-src", "object-src", "frame-src", "child-src")):
                found.append(f"{where}: markup reached the DOM and only CSP stopped it: {violation}")
        if "49X" in state["text"]:
            found.append(f"{where}: a template expression was evaluated ({{{{7*7}}}} became 49)")
        found += [f"{where}: unsafe element {html}" for html in frame.evaluate(UNSAFE_LINKS)]
    return found


def test_nothing_typed_or_uploaded_by_people_runs_in_any_page(hostile_world):
    world, contexts, app = hostile_world
    problems: list[str] = []
    for role, path in _pages(world, {rule.endpoint for rule in app.url_map.iter_rules()}):
        page = contexts[role].new_page()
        page.on("dialog", lambda dialog, where=path: (problems.append(f"{where}: a dialog opened: {dialog.message}"), dialog.dismiss()))
        page.on("pageerror", lambda error, where=path: problems.append(f"{where}: a script error (an attack ran?): {error}"))
        try:
            url = path if path.startswith("http") else world.url(path)
            response = page.goto(url)
            # Every page must show the data (a refusal would hide what the test is looking for).
            assert response is not None and response.status == 200, f"{url}: {response.status if response else 'no response'}"
            # Hover and focus everything once, so handlers that wait for a person get their chance.
            page.evaluate("() => { for (const el of document.querySelectorAll('a, button, input, textarea, [tabindex]')) { el.focus(); el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); } }")
            problems += _inspect(page, f"{path} as {role}")
        finally:
            page.close()
    assert not problems, "stored XSS:\n" + "\n".join(problems)


def test_the_hostile_text_is_shown_as_text(hostile_world):
    """Escaping, not deleting: a person who typed `<script>` sees `<script>` in a title."""
    world, contexts, _app = hostile_world
    page = contexts["learner"].new_page()
    page.goto(world.url(f"/portfolio/evidence/{world.evidence_ids[0]}"))
    title = page.get_by_role("heading", level=1).inner_text()
    assert "<" in title and "onerror" in title or "<script>" in title, title


FILE_LINK = re.compile(r'(?:href|src)="([^"]*/files/[^"]*)"')


def _file_urls(context, url: str) -> set[str]:
    """Every link to a stored file on a page, as the person who sees that page."""
    return {html.unescape(found) for found in FILE_LINK.findall(context.request.get(url).text())}


def test_uploads_are_served_as_attachments_or_re_encoded_images_never_as_active_content(hostile_world):
    world, contexts, _app = hostile_world
    # An SVG with script, an HTML page posing as a JPEG and an HTML document are refused outright.
    assert world.upload_refusals["drawing.svg"] == 400, world.upload_refusals
    assert world.upload_refusals["holiday.jpg"] == 400, world.upload_refusals
    assert world.upload_refusals["page.html"] == 400, world.upload_refusals
    # Files as each person reaches them: the owner, the assessor (frozen copy) and a visitor of the secret link.
    sources = [("learner", world.url(f"/portfolio/evidence/{evidence_id}")) for evidence_id in world.evidence_ids]
    sources += [("instructor", world.url(f"/assessments/submissions/{world.submission_id}")), ("visitor", world.secret_link)]
    served = {(role, link) for role, page_url in sources for link in _file_urls(contexts[role], page_url)}
    routes = {re.sub(r"/\d+|/s/[^/]+", "/N", urlsplit(link).path).split("/files/")[0] for _, link in served}
    assert {"/portfolio", "/assessments/submissions/N", "/showcase/N"} <= routes, routes
    problems = []
    for role, link in sorted(served):
        response = contexts[role].request.get(urljoin(world.base_url + "/", link), max_redirects=0)
        assert response.status == 200, f"{link} as {role}: {response.status}"
        headers = response.headers
        kind = headers.get("content-type", "")
        disposition = headers.get("content-disposition", "")
        if headers.get("x-content-type-options") != "nosniff":
            problems.append(f"{link}: no X-Content-Type-Options: nosniff")
        if any(active in kind for active in ("svg", "html", "xml", "javascript")):
            problems.append(f"{link}: served as {kind}")
        inline_image = kind in ("image/png", "image/jpeg", "image/webp")
        # A PDF may open in the browser's viewer only inside a CSP sandbox: no scripts, no origin.
        sandboxed_pdf = kind == "application/pdf" and "sandbox" in headers.get("content-security-policy", "")
        if not disposition.startswith("attachment") and not inline_image and not sandboxed_pdf:
            problems.append(f"{link}: {kind} served inline ({disposition or 'no Content-Disposition'})")
    assert not problems, "\n".join(problems)


def test_the_corpus_covers_every_kind_of_attack_the_issue_names():
    joined = " ".join(CORPUS + URL_ATTACKS)
    for kind in ("<script>", "onerror", "<svg onload", "javascript:", "data:", "\"><", "</textarea>", "{{7*7}}", "\u202e"):
        assert kind in joined, kind
    assert all(len(hostile_text(field)) <= FIELD_LIMIT for field in ("evidence title", "issuer", "tags", "collection title"))
    assert re.search(r"<script>", hostile_text("evidence description"))


def test_the_trap_sees_an_attack_that_runs_or_reaches_the_dom(page):
    """The checks above must be able to fail: a page that does render the attacks is caught."""
    page.add_init_script(TRAP)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_content(
        "<p>" + "".join(CORPUS[:5]) + "</p><p>{{7*7}}X -> 49X</p>",
        wait_until="load",
    )
    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 50))")
    found = "\n".join(_inspect(page, "a vulnerable page"))
    assert "window.__xss" in found
    assert "unsafe element" in found and "javascript:" in found and "onerror" in found
    assert "template expression" in found
