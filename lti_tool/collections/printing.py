"""The PDF download of a showcase: the print page rendered with only its own files."""

from __future__ import annotations

import re

from flask import Response, current_app, render_template

from lti_tool.collections.files import current_file_store
from lti_tool.collections.models import Collection
from lti_tool.collections.pdf import FILE_SCHEME, ShowcaseFetcher, render_pdf
from lti_tool.collections.present import INLINE_IMAGE_TYPES, field_labels, live_entries
from lti_tool.collections.services import shown_items
from lti_tool.db import get_session
from lti_tool.portfolio.models import EvidenceFile, Portfolio
from lti_tool.people.models import User

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _pdf_name(title: str) -> str:
    return (_UNSAFE_NAME.sub("-", title).strip("-")[:80] or "showcase") + ".pdf"


def pdf_response(collection: Collection) -> Response:
    """Render the collection's showcase as a PDF download."""
    db = get_session()
    items = shown_items(db, collection)
    files = {
        str(f.id): f for shown in items if shown.evidence is not None for f in shown.evidence.files
    }
    thumbs = {"t" + key: f for key, f in files.items() if f.thumbnail_key}
    store = current_file_store()

    def open_file(reference: str) -> tuple[bytes, str] | None:
        # Only images of the items on this page are embedded; nothing else can be named.
        if reference in thumbs:
            stored: EvidenceFile = thumbs[reference]
            key = stored.thumbnail_key
            content_type = "image/jpeg"
        elif reference in files and files[reference].content_type in INLINE_IMAGE_TYPES:
            stored = files[reference]
            key, content_type = stored.storage_key, stored.content_type
        else:
            return None
        try:
            with store.open(key) as handle:
                return handle.read(), content_type
        except OSError:
            return None

    owner = db.get(User, db.get(Portfolio, collection.portfolio_id).owner_id)
    html = render_template(
        "showcase/print.html",
        collection=collection,
        owner=owner,
        field_labels=field_labels(),
        entries=live_entries(items, lambda f: f"{FILE_SCHEME}{f.id}", lambda f: f"{FILE_SCHEME}t{f.id}"),
    )
    pdf = render_pdf(html, ShowcaseFetcher(current_app.static_folder, open_file))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{_pdf_name(collection.title)}"'
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
