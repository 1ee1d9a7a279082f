"""A Learning Record Store (xAPI 1.0.3 and 2.0.0): a Flask blueprint plus a store."""

from __future__ import annotations

from typing import Callable

from flask import Blueprint, Flask
from sqlalchemy.orm import Session

from xapi.hooks import on_statements_stored

__all__ = ["init_app", "on_statements_stored"]


def init_app(app: Flask, *, get_session: Callable[[], Session], new_session: Callable[[], Session]) -> Blueprint:
    """Mount the LRS at /xapi and install its error handling; return the blueprint.

    `get_session` gives the current request's session; `new_session` a session of its own,
    for reading the stored-statements feed outside a request (xapi/feed.py)."""
    from xapi import api

    return api.register(app, get_session, new_session)
