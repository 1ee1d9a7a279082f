"""Rich text from people is sanitised once, on the server, before it is stored."""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser

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


# Tags that start a new line of text: the words on either side are apart in the text a reader sees.
_BLOCK_TAGS = {"p", "br", "ul", "ol", "li", "blockquote", "h3", "h4", "pre"}


class _Words(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


def searchable_text(html: str | None) -> str:
    """The words of stored rich text, as a search looks for them.

    Searching the HTML itself missed "R&D" (stored as `R&amp;D`) and found every bold text for
    "strong"; here entities are decoded, tags and links' addresses are gone, paragraphs are
    apart ("…end.</p><p>Next" reads "…end. Next") and any run of white space is one space. A lone
    surrogate (JSON allows "\\ud800") has no UTF-8 spelling and is left out, or the row could
    not be stored."""
    if not html:
        return ""
    words = _Words()
    words.feed(html)
    words.close()
    text = " ".join("".join(words.parts).split())
    return text.encode("utf-8", "ignore").decode("utf-8")
