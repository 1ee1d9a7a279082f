"""Mount the /xapi blueprint and its error handling on an application."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app
from sqlalchemy.orm import Session

from xapi import feed
from xapi.blueprint import bp
from xapi.errors import XAPIError, xapi_error_response


def register(app: Flask, get_session, new_session) -> Blueprint:
    # Importing the resource modules attaches their routes to the blueprint.
    from xapi import document_views, protocol, resource_views, statement_views  # noqa: F401

    app.extensions["xapi.get_session"] = get_session
    app.extensions[feed.SESSIONS_KEY] = new_session
    app.register_blueprint(bp)
    app.register_error_handler(XAPIError, xapi_error_response)
    return bp


def request_session() -> Session:
    """The database session of the current request, as the application provides it."""
    return current_app.extensions["xapi.get_session"]()
