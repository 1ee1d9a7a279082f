"""Browser tests: the real app on 127.0.0.1 with the demo platform, driven by Debian's chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine

from tests.support.live_server import serve_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "test-output" / "screenshots"


@pytest.fixture
def live_server(database_url, tmp_path):
    """Serve a fresh, migrated instance with the demo platform on a free port of 127.0.0.1."""
    with serve_app(database_url, tmp_path / "instance") as served:
        yield served.base_url


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 1400})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def demo_app(live_server, database_url, tmp_path):
    """A second handle on the live server's database and files (same settings)."""
    from lti_tool import create_app

    app = create_app(
        {
            "env": "test",
            "database_url": database_url,
            "base_url": live_server,
            "instance_path": str(tmp_path / "instance"),
            "demo_enabled": True,
            "outbox_embedded_worker": False,
        }
    )
    yield app
    app.extensions["leerpaspoort.engine"].dispose()


def install_in_demo(demo_app, example: str) -> int:
    """Put an example package in the demo platform's library; returns the package id."""
    from sqlalchemy import select

    from lti_tool.db import session_scope
    from lti_tool.lti.models import Platform
    from tests.support.examples import example_package, install_package

    with session_scope(demo_app) as session:
        demo = session.scalars(select(Platform)).one()
        instance = demo_app.extensions["leerpaspoort.settings"].instance_path
        return install_package(session, instance, demo.id, example_package(example)).id


@pytest.fixture
def signed_in(page, live_server):
    """Sam Student, launched from the demo course, then working in the tool's own window."""
    page.goto(live_server + "/demo")
    page.get_by_role("button", name="Launch as learner (Sam Student)").click()
    expect(page.frame_locator("iframe[name=tool-frame]").get_by_role("heading", level=1)).to_be_visible()
    return page


@pytest.fixture
def database(database_url):
    """An engine on the live server's database, for checking what the browser stored."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()
