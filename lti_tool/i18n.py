"""Dutch and English: the launch's locale decides, the person can switch."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, get_locale, get_translations

# Jinja's own "newstyle" wrappers (escaping, %-formatting), the ones Flask-Babel installs too.
from jinja2.ext import _make_new_gettext, _make_new_ngettext, _make_new_npgettext, _make_new_pgettext

from lti_tool.settings import PROJECT_DIR, Settings

SUPPORTED_LOCALES = ("nl", "en")


def normalise_locale(value: str | None) -> str | None:
    """Map a platform locale such as "en", "nl_NL" or "en-GB" to a supported language."""
    if not value:
        return None
    language = value.replace("_", "-").split("-")[0].lower()
    return language if language in SUPPORTED_LOCALES else None


def init_app(app: Flask, settings: Settings) -> None:
    def select_locale() -> str:
        chosen = normalise_locale(session.get("locale"))
        if chosen:
            return chosen
        return request.accept_languages.best_match(SUPPORTED_LOCALES) or settings.default_locale

    Babel(
        app,
        locale_selector=select_locale,
        default_locale=settings.default_locale,
        default_translation_directories=str(PROJECT_DIR / "lti_tool" / "translations"),
    )
    app.jinja_env.globals["get_locale"] = get_locale
    app.context_processor(_translations_of_this_page)
    from lti_tool.lti.roles import ROLE_LABELS

    app.jinja_env.globals["role_labels"] = ROLE_LABELS
    # Features add (endpoint, label) pairs to the main navigation when they register.
    app.jinja_env.globals["nav_links"] = app.extensions.setdefault("leerpaspoort.nav_links", [])


def _translations_of_this_page() -> dict:
    """gettext and friends bound to this request's catalogue, once per rendered template.

    Flask-Babel's template callables look up the locale and the catalogue again on every call:
    about 7.5 µs each, and a portfolio page makes about 115 of them. Template variables come
    before the environment's globals, so `_()` and `{% trans %}` find these. Templates imported
    without context still reach Flask-Babel's callables, with the same result.
    """
    translations = get_translations()
    return {
        "gettext": _make_new_gettext(translations.ugettext),
        "ngettext": _make_new_ngettext(translations.ungettext),
        "pgettext": _make_new_pgettext(translations.upgettext),
        "npgettext": _make_new_npgettext(translations.unpgettext),
    }
