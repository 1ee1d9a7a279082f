"""Periodic clean-up the worker runs: expired logins, hand-off tickets, launch records and the trash."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.lti.handoff import purge_expired_tickets
from lti_tool.lti.login import purge_expired_logins
from lti_tool.lti.models import LaunchRecord
from lti_tool.lti.service_client import purge_expired_tokens
from lti_tool.outbox.services import purge_delivered
from lti_tool.settings import Settings

# Launch records back deep-linking responses and service calls made during a session.
LAUNCH_RECORD_TTL = timedelta(days=2)
# Delivered grades stay visible on the admin page this long; failed ones stay until retried.
DELIVERED_OUTBOX_TTL = timedelta(days=30)


def run_housekeeping(session: Session, settings: Settings) -> dict[str, int]:
    """Delete what has outlived its use; return how many rows of each kind went."""
    from lti_tool.portfolio.evidence import housekeeping as evidence_housekeeping
    from lti_tool.portfolio.reflections import purge_deleted_reflections

    return {
        **evidence_housekeeping(session, settings),
        "reflections_purged": purge_deleted_reflections(session),
        "login_states": purge_expired_logins(session, settings.lti_login_state_ttl),
        "session_tickets": purge_expired_tickets(session, settings.lti_session_ticket_ttl),
        "launch_records": session.execute(
            delete(LaunchRecord).where(LaunchRecord.created_at < utcnow() - LAUNCH_RECORD_TTL)
        ).rowcount,
        "outbox_delivered": purge_delivered(session, DELIVERED_OUTBOX_TTL),
        "service_tokens": purge_expired_tokens(session),
    }
