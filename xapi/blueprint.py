"""The one /xapi blueprint; each resource module attaches its routes to it."""

from flask import Blueprint

bp = Blueprint("xapi", __name__, url_prefix="/xapi")
