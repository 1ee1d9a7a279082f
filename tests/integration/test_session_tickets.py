"""The session hand-off ticket: checked and consumed by one statement, once, and only with its proof."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lti_tool.db import session_factory, utcnow
from lti_tool.lti.handoff import issue_ticket, redeem_ticket
from lti_tool.lti.models import LaunchRecord, Platform, SessionTicket
from lti_tool.people.models import User

TTL = 120


@pytest.fixture
def launched(db, platform):
    """A person with the launch record a ticket hands off."""
    registered = db.scalars(select(Platform)).one()
    person = User(platform_id=registered.id, sub="4", name="Sam Student", institution_roles=[])
    db.add(person)
    db.flush()
    record = LaunchRecord(id="launch-1", platform_id=registered.id, user_id=person.id, message_type="LtiResourceLinkRequest", claims={})
    db.add(record)
    db.commit()
    return person


def _issue(db, person, proof=None) -> str:
    token = issue_ticket(db, user_id=person.id, launch_id="launch-1", next_path="/home", proof=proof)
    db.commit()
    return token


def test_an_unknown_empty_or_oversized_ticket_is_refused(db, launched):
    _issue(db, launched)
    assert redeem_ticket(db, "no-such-ticket", TTL) is None
    assert redeem_ticket(db, "", TTL) is None
    assert redeem_ticket(db, "x" * 129, TTL) is None
    assert db.scalars(select(SessionTicket.used_at)).one() is None


def test_a_ticket_opens_once_and_tells_who_and_where(db, launched):
    token = _issue(db, launched)

    redeemed = redeem_ticket(db, token, TTL)
    db.commit()

    assert redeemed is not None
    assert (redeemed.user_id, redeemed.launch_id, redeemed.next_path) == (launched.id, "launch-1", "/home")
    assert redeemed.used_at is not None
    assert redeem_ticket(db, token, TTL) is None


def test_of_two_sessions_redeeming_one_ticket_only_the_first_gets_it(app, db, launched):
    token = _issue(db, launched)
    with session_factory(app)() as first, session_factory(app)() as second:
        assert redeem_ticket(first, token, TTL) is not None
        first.commit()
        assert redeem_ticket(second, token, TTL) is None
        second.rollback()


def test_an_expired_ticket_is_refused_and_stays_unused(db, launched):
    token = _issue(db, launched)
    ticket = db.scalars(select(SessionTicket)).one()
    ticket.created_at = utcnow() - timedelta(seconds=TTL + 1)
    db.commit()

    assert redeem_ticket(db, token, TTL) is None
    db.commit()
    db.expire_all()
    assert db.scalars(select(SessionTicket.used_at)).one() is None


def test_a_ticket_bound_to_a_storage_proof_opens_only_with_that_proof(db, launched):
    token = _issue(db, launched, proof="state-from-the-platform-storage")

    assert redeem_ticket(db, token, TTL) is None
    assert redeem_ticket(db, token, TTL, storage_state="another-state") is None
    db.commit()
    db.expire_all()
    # A refused attempt does not use the ticket up: the page may still read the right state.
    assert db.scalars(select(SessionTicket.used_at)).one() is None

    assert redeem_ticket(db, token, TTL, storage_state="state-from-the-platform-storage") is not None
    assert redeem_ticket(db, token, TTL, storage_state="state-from-the-platform-storage") is None


def test_a_ticket_without_a_proof_does_not_care_about_a_posted_storage_state(db, launched):
    token = _issue(db, launched)

    assert redeem_ticket(db, token, TTL, storage_state="anything") is not None
