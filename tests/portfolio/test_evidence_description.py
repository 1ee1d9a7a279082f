"""The evidence description is rich text: the reflections' editor on the form, nh3 on save and on output."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lti_tool.portfolio.models import Evidence
from tests.portfolio.conftest import make_evidence, post_evidence

ATTACKS = [
    ('<p>Did <strong>this</strong><script>alert(1)</script></p>', ("<script", "alert(1)")),
    ('<p><img src=x onerror=alert(3)>Photo</p>', ("<img", "onerror", "alert(3)")),
    ('<p><a href="javascript:alert(2)">link</a></p>', ("javascript:", "alert(2)")),
    ('<p onclick="steal()" style="color:red">Styled</p>', ("onclick", "steal()", "style=")),
    ('<svg><script>alert(4)</script></svg><iframe src="https://evil.example"></iframe>', ("<svg", "<iframe", "alert(4)")),
]


def _only_evidence(db) -> Evidence:
    db.expire_all()
    return db.scalars(select(Evidence)).one()


@pytest.mark.parametrize("attack, forbidden", ATTACKS, ids=["script", "onerror", "javascript-url", "handler", "svg-iframe"])
def test_a_new_description_is_sanitised_before_it_is_stored(learner, db, attack, forbidden):
    response = post_evidence(learner, description=attack)

    assert response.status_code == 302
    stored = _only_evidence(db).description
    for bad in forbidden:
        assert bad not in stored


def test_a_changed_description_is_sanitised_too(learner, db):
    item = make_evidence(db, learner, description="<p>Old</p>")

    response = post_evidence(
        learner, f"/portfolio/evidence/{item.id}/edit", description='<p>New <em>text</em><script>alert(1)</script></p>'
    )

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert _only_evidence(db).description == "<p>New <em>text</em></p>"


def test_the_toolbars_formatting_survives_and_links_get_a_safe_rel(learner, db):
    post_evidence(
        learner,
        description='<p><strong>Bold</strong> and <em>italic</em></p><ul><li>one</li></ul><ol><li>two</li></ol>'
        '<p><a href="https://example.nl/verslag">report</a></p>',
    )

    stored = _only_evidence(db).description
    assert "<strong>Bold</strong>" in stored and "<em>italic</em>" in stored
    assert "<ul><li>one</li></ul>" in stored and "<ol><li>two</li></ol>" in stored
    assert re.search(r'<a href="https://example.nl/verslag" rel="noopener noreferrer nofollow">report</a>', stored)


def test_plain_text_from_a_browser_without_script_becomes_escaped_paragraphs(learner, db):
    post_evidence(learner, description="First line\nsecond line\n\nA < B & C > D")

    assert _only_evidence(db).description == "<p>First line<br>second line</p><p>A &lt; B &amp; C &gt; D</p>"


def test_the_detail_page_renders_the_formatting(learner, db):
    post_evidence(learner, description="<p>Did <strong>this</strong></p><ul><li>and that</li></ul>")

    page = learner.get(f"/portfolio/evidence/{_only_evidence(db).id}").get_data(as_text=True)

    assert "<p>Did <strong>this</strong></p><ul><li>and that</li></ul>" in page


def test_unsafe_html_that_reached_the_database_is_sanitised_on_the_way_out(learner, db):
    # Rows written before sanitising on save, or by an import, must not become live in the page.
    item = make_evidence(db, learner, description='<p>Kept</p><script>alert("stored")</script><img src=x onerror=alert(5)>')

    page = learner.get(f"/portfolio/evidence/{item.id}").get_data(as_text=True)

    assert "<p>Kept</p>" in page
    assert 'alert("stored")' not in page and "onerror" not in page


@pytest.mark.parametrize("path", ["/portfolio/evidence/new", "/portfolio/evidence/{id}/edit"])
def test_the_form_puts_the_description_in_the_shared_editor(learner, db, path):
    item = make_evidence(db, learner)

    page = learner.get(path.format(id=item.id)).get_data(as_text=True)

    textarea = re.search(r"<textarea[^>]*name=\"description\"[^>]*>", page).group(0)
    assert "data-richtext" in textarea and "richtext-source" in textarea
    assert 'aria-describedby="description-hint"' in textarea
    assert '<label for="description" id="description-label">' in page
    # One copy of the editor's labels and script, and its stylesheet.
    assert page.count('id="richtext-texts"') == 1
    assert page.count("js/richtext-editor.js") == 1
    assert "css/richtext.css" in page


def test_a_description_over_the_limit_is_refused_and_nothing_is_stored(learner, db):
    response = post_evidence(learner, description="<p>" + "x" * 20_001 + "</p>")

    assert response.status_code == 400
    assert db.scalars(select(Evidence)).first() is None
