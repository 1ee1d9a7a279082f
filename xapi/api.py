"""The /xapi blueprint."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from xapi.errors import VERSION_HEADER, XAPIError, http_error_response, xapi_error_response

bp = Blueprint("xapi", __name__, url_prefix="/xapi")


@bp.get("/about")
def about():
    response = jsonify({"version": ["1.0.3", "2.0.0"]})
    response.headers[VERSION_HEADER] = "1.0.3"
    return response


def register(app: Flask, get_session) -> Blueprint:
    app.extensions["xapi.get_session"] = get_session
    app.register_blueprint(bp)
    app.register_error_handler(XAPIError, xapi_error_response)
    return bp
