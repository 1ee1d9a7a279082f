"""What a launch asks the database, step by step: each question once (the launch latency target).

These count SQL statements, not milliseconds: the count is what a change can silently grow, and
it does not depend on how busy the machine is.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

LEARNER = "launch-learner-resource-link"


@contextmanager
def statements(app):
    """Collect the SQL statements the app sends while the block runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    engine = app.extensions["leerpaspoort.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def touching(seen: list[str], table: str, verb: str | None = None) -> list[str]:
    pattern = re.compile(rf"\b(FROM|INTO|UPDATE|JOIN)\s+\"?{table}\b", re.I)
    return [s for s in seen if pattern.search(s) and (verb is None or s.upper().startswith(verb))]


@pytest.fixture
def launched(app, launcher, platform):
    """A learner's launch posted (the login before it not counted), answered with /lti/enter/<ticket>."""
    auth = launcher.login()
    id_token = platform.sign(launcher.claims(LEARNER, auth["nonce"]))
    with statements(app) as seen:
        response = launcher.post_launch(id_token, auth["state"])
    assert response.status_code == 302, response.get_data(as_text=True)
    return response, seen


def test_a_launch_looks_up_its_registration_once(launched):
    _, seen = launched
    # Our checks and pylti1p3's both ask for the registration by issuer and client id.
    lookups = [s for s in touching(seen, "platforms", "SELECT") if "WHERE platforms.issuer" in s]
    assert len(lookups) == 1


def test_a_launch_still_consumes_its_state_and_nonce_in_the_database(launched):
    _, seen = launched
    assert len(touching(seen, "login_states", "UPDATE")) == 1


def test_entering_checks_and_consumes_the_ticket_in_one_statement(app, launched):
    response, _ = launched
    with statements(app) as seen:
        assert launched_client(app, response).status_code == 200
    tickets = touching(seen, "session_tickets")
    assert [s.split()[0].upper() for s in tickets] == ["UPDATE", "INSERT"]  # consume, then the spare
    assert "RETURNING" in tickets[0].upper()


def launched_client(app, response):
    return app.test_client().get(response.headers["Location"])


def first_page_statements(app, launcher) -> list[str]:
    """Launch and enter (not counted), then collect what the first page asks."""
    launch = launcher.launch(LEARNER)
    enter = launcher.client.get(launch.headers["Location"])
    next_path = enter.get_data(as_text=True).split('data-next="', 1)[1].split('"', 1)[0]
    with statements(app) as seen:
        page = launcher.client.get(next_path)
    assert page.status_code == 200
    return seen


def test_the_first_page_reads_the_launch_record_once(app, launcher):
    seen = first_page_statements(app, launcher)
    assert len(touching(seen, "launch_records", "SELECT")) == 1


def test_the_hand_off_page_reads_its_person_once_and_no_navigation(app, launched):
    # The page only passes the browser on: the ticket's person is read to sign them in, and
    # nothing for a navigation bar (memberships) or a second look at the person.
    response, _ = launched
    with statements(app) as seen:
        assert launched_client(app, response).status_code == 200
    assert touching(seen, "memberships") == []
    assert len(touching(seen, "users", "SELECT")) == 1


def test_a_first_page_of_an_empty_portfolio_skips_the_tag_and_competency_choices(app, launcher):
    seen = first_page_statements(app, launcher)
    assert touching(seen, "evidence_tags") == []
    assert touching(seen, "competencies") == []
