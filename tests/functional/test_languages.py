"""Dutch first: the launch's locale decides the language, people can switch, Dutch is the default."""

from __future__ import annotations

import pytest

from lti_tool.i18n import normalise_locale
from lti_tool.lti.claims import LAUNCH_PRESENTATION


def _set_locale(locale: str):
    def mutate(claims):
        claims[LAUNCH_PRESENTATION]["locale"] = locale
        return claims

    return mutate


@pytest.mark.parametrize(
    ("value", "expected"),
    [("nl", "nl"), ("nl_NL", "nl"), ("nl-BE", "nl"), ("en", "en"), ("en_GB", "en"), ("de", None), ("", None), (None, None)],
)
def test_platform_locales_map_to_supported_languages(value, expected):
    assert normalise_locale(value) == expected


def test_a_dutch_launch_shows_dutch_pages(launcher):
    page = launcher.enter("launch-learner-resource-link", _set_locale("nl_NL")).get_data(as_text=True)
    assert '<html lang="nl"' in page
    assert "Welkom, " in page
    assert "Welcome, " not in page


def test_an_english_launch_shows_english_pages(launcher):
    page = launcher.enter("launch-learner-resource-link", _set_locale("en")).get_data(as_text=True)
    assert '<html lang="en"' in page
    assert "Welcome, " in page


def test_the_person_can_switch_language_after_the_launch(launcher, client):
    launcher.enter("launch-learner-resource-link", _set_locale("en"))
    home = client.get("/home")
    token = home.get_data(as_text=True).split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    switched = client.post("/language", data={"locale": "nl", "csrf_token": token, "next": "/home"})
    assert switched.status_code in (302, 303)
    assert "Welkom, " in client.get("/home").get_data(as_text=True)


@pytest.fixture
def dutch_app(settings_overrides):
    """The application as configured out of the box: Dutch unless someone asks otherwise."""
    from lti_tool import create_app

    app = create_app({**settings_overrides, "default_locale": "nl", "demo_enabled": True})
    yield app
    app.extensions["leerpaspoort.engine"].dispose()


@pytest.mark.parametrize("path", ["/", "/lti/config", "/demo"])
def test_pages_without_a_launch_default_to_dutch(path, dutch_app):
    page = dutch_app.test_client().get(path, follow_redirects=True).get_data(as_text=True)
    assert '<html lang="nl"' in page


def test_a_browser_asking_for_english_gets_english(dutch_app):
    page = dutch_app.test_client().get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en"' in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "Welkom, Sam|1 actor|3 actoren|&lt;b&gt; is leeg.|"),
        ("en", "Welcome, Sam|1 actor|3 actors|&lt;b&gt; is empty.|"),
    ],
)
def test_templates_translate_with_the_catalogue_of_the_request(app, language, expected):
    # The page's own gettext (bound once per template, lti_tool/i18n.py) must do what
    # Flask-Babel's callables do: a variable, plural forms, and a {% trans %} block with a
    # variable that must be escaped.
    from flask import render_template_string

    source = (
        "{{ _('Welcome, %(name)s', name='Sam') }}|{{ ngettext('%(num)d actor', '%(num)d actors', 1) }}|"
        "{{ ngettext('%(num)d actor', '%(num)d actors', 3) }}|"
        "{% trans name='<b>' %}{{ name }} is empty.{% endtrans %}|"
    )
    with app.test_request_context("/", headers={"Accept-Language": language}):
        rendered = render_template_string(source)
    assert rendered == expected
