"""Shared helpers for the `leerpaspoort` commands."""

from __future__ import annotations

import functools

import click

from lti_tool.settings import SettingsError


def pass_app(command):
    """Give a command a created application (settings, database) as its first argument."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from lti_tool import create_app

        try:
            app = create_app()
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            with app.app_context():
                return command(app, *args, **kwargs)
        finally:
            # Close pooled connections now: commands also run inside other processes (tests, scripts).
            app.extensions["leerpaspoort.engine"].dispose()

    return wrapper
