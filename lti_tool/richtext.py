"""Rich text from people is sanitised once, on the server, before it is stored."""

from __future__ import annotations

from html import unescape

import nh3

# What the editor's toolbar can produce; anything else is dropped.
ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "blockquote",
    "h3", "h4", "a", "code", "pre",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def sanitise_html(html: str | None) -> str:
    """Return HTML with only the toolbar's tags, safe links and no scripts or handlers."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    ).strip()


def plain_text(html: str | None) -> str:
    """Strip every tag and return the text itself, for titles, search and CSV."""
    # nh3 answers HTML (`&` becomes `&amp;`); the result is text that templates escape when they
    # show it, so the entities are decoded here or a title "A & B" would read "A &amp; B".
    return unescape(nh3.clean(html or "", tags=set())).strip()
