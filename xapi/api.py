"""Mount the /xapi blueprint and its error handling on an application."""

from __future__ import annotations

from flask import Blueprint, Flask

from xapi.blueprint import bp
from xapi.errors import XAPIError, xapi_error_response


def register(app: Flask, get_session) -> Blueprint:
    # Importing the resource modules attaches their routes to the blueprint.
    from xapi import document_views, protocol, resource_views, statement_views  # noqa: F401

    app.extensions["xapi.get_session"] = get_session
    app.register_blueprint(bp)
    app.register_error_handler(XAPIError, xapi_error_response)
    return bp
