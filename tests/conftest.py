"""Fixtures: an app on a fresh, migrated database per test (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), a test platform with a real JWKS server, and launch helpers."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.platform import TestPlatform, auth_params

TOOL_BASE_URL = "http://localhost"


def _migrate(url: str) -> None:
    from lti_tool import migrate

    migrate.upgrade(url)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Migrate once per session: a template SQLite file, or a private PostgreSQL database."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        template = tmp_path_factory.mktemp("db") / "template.db"
        _migrate(f"sqlite:///{template}")
        yield ("sqlite", template)
        return
    url = make_url(server_url)
    name = f"leerpaspoort_t_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    private = url.set(database=name).render_as_string(hide_password=False)
    _migrate(private)
    yield ("postgresql", private)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(migrated_database, tmp_path):
    kind, source = migrated_database
    if kind == "sqlite":
        target = tmp_path / "leerpaspoort.db"
        shutil.copy(source, target)
        yield f"sqlite:///{target}"
        return
    yield source
    _truncate_all(source)


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
        ).scalars().all()
        if tables:
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def settings_overrides(database_url, tmp_path):
    return {
        "env": "test",
        "database_url": database_url,
        "base_url": TOOL_BASE_URL,
        "instance_path": str(tmp_path / "instance"),
        "demo_enabled": False,
        "outbox_embedded_worker": False,
        # Tests read English text; tests/functional/test_languages.py covers Dutch.
        "default_locale": "en",
    }


@pytest.fixture
def app(settings_overrides):
    from lti_tool import create_app

    application = create_app(settings_overrides)
    yield application
    application.extensions["leerpaspoort.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    """A session outside any request, for arranging and checking data."""
    from lti_tool.db import session_factory

    session = session_factory(app)()
    yield session
    session.close()


@pytest.fixture
def platform(db):
    """A Moodle-like platform registered in the tool, serving its JWKS on 127.0.0.1."""
    with TestPlatform() as test_platform:
        test_platform.register_in(db)
        yield test_platform


class Launcher:
    """Drives real launches through /lti/login and /lti/launch with signed id_tokens."""

    def __init__(self, client, platform: TestPlatform):
        self.client = client
        self.platform = platform

    def login(self) -> dict[str, str]:
        response = self.client.post("/lti/login", data=self.platform.login_form(TOOL_BASE_URL))
        assert response.status_code == 302, response.get_data(as_text=True)
        return auth_params(response.headers["Location"])

    def claims(self, fixture_name: str, nonce: str) -> dict:
        return self.platform.claims_from(fixture_name, nonce=nonce, tool_base_url=TOOL_BASE_URL)

    def post_launch(self, id_token: str, state: str):
        return self.client.post("/lti/launch", data={"id_token": id_token, "state": state})

    def launch(self, fixture_name: str, mutate=None, **sign_options):
        """Log in, sign the fixture's claims (optionally changed), post the launch."""
        auth = self.login()
        body = self.claims(fixture_name, auth["nonce"])
        if mutate:
            body = mutate(body) or body
        return self.post_launch(self.platform.sign(body, **sign_options), auth["state"])

    def enter(self, fixture_name: str, mutate=None):
        """A complete launch that ends signed in; returns the landing page response."""
        response = self.launch(fixture_name, mutate)
        assert response.status_code == 302, response.get_data(as_text=True)
        enter = self.client.get(response.headers["Location"])
        assert enter.status_code == 200
        ticket_page = enter.get_data(as_text=True)
        next_path = ticket_page.split('data-next="', 1)[1].split('"', 1)[0]
        return self.client.get(next_path)


@pytest.fixture
def launcher(client, platform):
    return Launcher(client, platform)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(Path(item.fspath)).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
