"""LIKE patterns and page numbers as the list pages read them from the URL."""

from __future__ import annotations

import pytest

from lti_tool.search import PAGE_MAX, like_pattern, page_number


def test_a_pattern_finds_the_term_anywhere_and_takes_wildcards_literally():
    assert like_pattern("Sam") == "%sam%"
    assert like_pattern("100%_done\\") == "%100\\%\\_done\\\\%"


@pytest.mark.parametrize("raw, page", [("3", 3), (str(PAGE_MAX), PAGE_MAX), (None, 1), ("", 1), ("0", 1), ("-2", 1),
                                       ("abc", 1), ("1e3", 1), ("٣", 1), (str(PAGE_MAX + 1), 1), ("9" * 40, 1)])
def test_page_numbers_from_the_url(raw, page):
    assert page_number(raw) == page
