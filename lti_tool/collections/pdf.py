"""Render a showcase page as PDF with WeasyPrint, fetching nothing from the network.

WeasyPrint would fetch any URL a document names (images, stylesheets), which for pages
built from learners' text would let a document make the server call out (SSRF) or read
local files. The fetcher below answers only two private schemes: our own static files,
and the files of the items shown in that very page. Everything else is refused.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Callable

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_SCHEME = "lp-static:"
FILE_SCHEME = "lp-file:"

log = logging.getLogger(__name__)


class RefusedURLError(ValueError):
    """A document named a URL outside what the PDF may contain."""


class ShowcaseFetcher(URLFetcher):
    """Serve our static files and the page's own files; refuse every other URL."""

    def __init__(self, static_folder: str | Path, open_file: Callable[[str], tuple[bytes, str] | None]):
        super().__init__(allowed_protocols=(), fail_on_errors=False)
        self._static = Path(static_folder).resolve()
        self._open_file = open_file
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if url.startswith(STATIC_SCHEME):
            return self._static_file(url, url[len(STATIC_SCHEME):])
        if url.startswith(FILE_SCHEME):
            found = self._open_file(url[len(FILE_SCHEME):])
            if found is not None:
                data, content_type = found
                return URLFetcherResponse(url, body=data, headers={"Content-Type": content_type})
        self.refused.append(url)
        log.info("PDF rendering refused to fetch a URL outside the showcase")
        raise RefusedURLError("only the showcase's own files are fetched")

    def _static_file(self, url: str, relative: str) -> URLFetcherResponse:
        path = (self._static / relative).resolve()
        if self._static not in path.parents or not path.is_file():
            self.refused.append(url)
            raise RefusedURLError("not one of our static files")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})


def render_pdf(html: str, fetcher: ShowcaseFetcher) -> bytes:
    """Turn the print page into PDF bytes."""
    return HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=fetcher).write_pdf()
