"""The sanitiser and the plain-text reduction used for titles and comments."""

from __future__ import annotations

import pytest

from lti_tool.richtext import plain_text, sanitise_html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)><circle r=5></circle></svg>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
        "<details open ontoggle=alert(1)>",
        "<p style=\"background:url(javascript:alert(1))\">x</p>",
    ],
)
def test_sanitised_html_keeps_no_script_handler_or_unsafe_link(attack):
    cleaned = sanitise_html(attack).lower()
    for dangerous in ("<script", "onerror", "onload", "ontoggle", "javascript:", "data:", "srcdoc", "<iframe", "<svg", "style="):
        assert dangerous not in cleaned, (attack, cleaned)


def test_sanitised_html_keeps_the_toolbar_formatting_and_safe_links():
    cleaned = sanitise_html('<p><strong>Vet</strong> <a href="https://example.nl/a?b=1&amp;c=2">bron</a></p>')
    assert cleaned.startswith("<p><strong>Vet</strong> <a href=\"https://example.nl/a?b=1&amp;c=2\"")
    assert 'rel="noopener noreferrer nofollow"' in cleaned


def test_plain_text_is_text_not_html_so_it_is_escaped_once_where_it_is_shown():
    # Regression: nh3 answered entities, so "Tom & Jerry" was stored as "Tom &amp; Jerry" and shown so.
    assert plain_text("Tom & Jerry <b>samen</b> 3 < 4") == "Tom & Jerry samen 3 < 4"
    assert plain_text("Citaat: \"ja\" & 'nee'") == "Citaat: \"ja\" & 'nee'"


def test_plain_text_drops_tags_and_the_content_of_scripts():
    assert plain_text("<script>alert(1)</script><img src=x onerror=alert(2)>Titel") == "Titel"
    assert plain_text(None) == ""


def test_plain_text_of_encoded_markup_is_the_literal_text_which_templates_escape():
    from markupsafe import escape

    text = plain_text("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert text == "<script>alert(1)</script>"
    # What Jinja's autoescape does to it on every page that shows a title or a comment.
    assert str(escape(text)) == "&lt;script&gt;alert(1)&lt;/script&gt;"
