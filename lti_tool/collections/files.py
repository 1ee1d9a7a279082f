"""Send a stored file to someone allowed to see it, so a browser never runs it as a page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app
from flask_babel import gettext as _

from lti_tool.collections.present import INLINE_IMAGE_TYPES
from lti_tool.errors import NotFoundError
from lti_tool.storage import LocalFileStorage, Storage

INLINE_TYPES = INLINE_IMAGE_TYPES | {"application/pdf"}


def current_file_store() -> Storage:
    """The configured file store (the local default when none was configured)."""
    store = current_app.extensions.get("leerpaspoort.storage")
    if store is None:
        settings = current_app.extensions["leerpaspoort.settings"]
        store = LocalFileStorage(Path(settings.instance_path) / "files")
    return store


def read_stored(store: Storage, key: str | None) -> bytes:
    if not key:
        raise NotFoundError(_("This file is no longer available."))
    try:
        with store.open(key) as handle:
            return handle.read()
    except OSError as exc:
        raise NotFoundError(_("This file is no longer available.")) from exc


def _disposition(kind: str, name: str) -> str:
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name) or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def send_stored(store: Storage, key: str | None, name: str, content_type: str) -> Response:
    """The file's bytes with its sniffed type; only images and PDF open inline."""
    data = read_stored(store, key)
    inline = content_type in INLINE_TYPES
    response = Response(data, mimetype=content_type if inline else "application/octet-stream")
    response.headers["Content-Disposition"] = _disposition("inline" if inline else "attachment", name or "file")
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Even if a file were rendered, it gets no scripts, no origin and no outgoing requests.
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
