"""Serve unpacked module content, isolated from the tool's own pages and session."""

from __future__ import annotations

import mimetypes

from flask import Blueprint, send_file

from lti_tool import current_settings
from lti_tool.errors import NotFoundError
from lti_tool.modules.services import content_store_for
from lti_tool.security import frame_ancestors

bp = Blueprint("modules", __name__, url_prefix="/modules")

# Content is sandboxed without allow-same-origin: it runs with an opaque origin, so its
# scripts cannot read the tool's pages or send the tool's cookies; it reaches the LRS
# through CORS like content hosted anywhere else. Inline and eval'd script is what
# Storyline, Captivate and Rise exports consist of, so it is allowed inside the sandbox.
CONTENT_CSP = (
    "sandbox allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads; "
    "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; "
    "media-src 'self' data: blob:; connect-src 'self'; "
    "frame-ancestors {ancestors}"
)


@bp.route("/content/<content_key>/<path:path>")
def content(content_key: str, path: str):
    settings = current_settings()
    if not content_key.isalnum():
        raise NotFoundError("no such module content")
    file = content_store_for(settings.instance_path).resolve(content_key, path)
    if file is None:
        raise NotFoundError("no such module content")
    mimetype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    response = send_file(file, mimetype=mimetype, conditional=True, max_age=3600)
    response.headers["Content-Security-Policy"] = CONTENT_CSP.format(ancestors=frame_ancestors())
    # The content key changes with every upload, so a cached file is never stale.
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
