"""The small read-only resources: about, agents, activities."""

from __future__ import annotations

from flask import jsonify

from xapi.blueprint import bp
from xapi.errors import VERSION_HEADER


@bp.get("/about")
def about():
    response = jsonify({"version": ["1.0.3", "2.0.0"]})
    response.headers[VERSION_HEADER] = "1.0.3"
    return response
