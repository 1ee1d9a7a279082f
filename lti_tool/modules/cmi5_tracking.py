"""Follow cmi5 sessions through the LRS: Terminated ends a session, moveOn leads to Satisfied.

Runs after the LRS has committed statements (xapi.on_statements_stored, read from the
stored-statements feed). The Satisfied statements it stores reach the feed like any others,
so formal evidence sees them.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

import xapi
from lti_tool import current_settings
from lti_tool.db import session_scope, utcnow
from xapi.errors import ConflictError
from lti_tool.formal_evidence.learners import issued_actor
from lti_tool.lti.models import Platform
from lti_tool.modules.cmi5_progress import already_satisfied, package_activity_ids, satisfaction, verbs_by_activity
from lti_tool.modules.cmi5_statements import (
    BLOCK_TYPE,
    COURSE_TYPE,
    SATISFIED,
    SESSION_ID,
    TERMINATED,
    lms_authority,
    satisfied_statement,
)
from lti_tool.modules.models import Cmi5Session, ModulePackage, ModuleRegistration
from lti_tool.people.models import User
from xapi.credentials import revoke_credential
from xapi.models import Statement
from xapi.statement_keys import agent_key
from xapi.statement_store import Writer, store_statements

log = logging.getLogger(__name__)
SATISFIED_NAMESPACE = uuid.UUID("6f1c4f0e-9d7e-4b4a-9b8e-3c2d1a0f5e77")


@dataclass(frozen=True)
class Touched:
    registration: ModuleRegistration
    session_id: str


def init_app(app: Flask) -> None:
    # Process-wide and idempotent, like the formal-evidence hook.
    xapi.on_statements_stored(_track_after_commit)


def _track_after_commit(tenant_id: int, statement_ids: list[str], voided_ids: list[str]) -> None:
    base_url = current_settings().base_url.rstrip("/")
    with session_scope(current_app._get_current_object()) as session:
        # The Satisfied statements it stores reach the feed like any others (xapi/feed.py).
        track(session, tenant_id, statement_ids, base_url=base_url)


# One query covers a whole commit: the statements resource stores at most this many per request
# (XAPI_MAX_STATEMENTS_PER_REQUEST); a bigger list (an import) is read in slices of it.
IDS_PER_QUERY = 1000

# Built once, values bound when run: it runs for every commit the feed hands over.
_CMI5_STATEMENTS = (
    select(ModuleRegistration, Statement.verb_id, Statement.payload, Statement.seq)
    .join(
        ModuleRegistration,
        and_(ModuleRegistration.platform_id == Statement.tenant_id, ModuleRegistration.registration == Statement.registration),
    )
    .join(ModulePackage, and_(ModulePackage.id == ModuleRegistration.package_id, ModulePackage.kind == "cmi5"))
    .where(
        Statement.tenant_id == bindparam("tenant"),
        Statement.statement_id.in_(bindparam("ids", expanding=True)),
        Statement.verb_id != SATISFIED,
    )
)


def track(session: Session, tenant_id: int, statement_ids: list[str], *, base_url: str) -> list[str]:
    """Apply what new statements mean for cmi5 sessions; return the ids of Satisfied statements written.

    One query finds the commit's statements that belong to cmi5 registrations, with their
    registration; one more ends the sessions they terminated. Only the payloads that matter
    (Terminated, and each registration's last statement for its session id) are parsed."""
    ids = sorted({i.lower() for i in statement_ids})
    registrations: dict[int, ModuleRegistration] = {}
    last_payload: dict[int, str] = {}
    terminated: set[tuple[int, str]] = set()
    for start in range(0, len(ids), IDS_PER_QUERY):
        rows = session.execute(_CMI5_STATEMENTS, {"tenant": tenant_id, "ids": ids[start : start + IDS_PER_QUERY]}).all()
        # Sorted here: an ORDER BY seq leads SQLite to walk the tenant's (tenant_id, seq) index,
        # every statement of the tenant, instead of looking the ids up.
        for registration, verb_id, payload, _seq in sorted(rows, key=lambda row: row.seq):
            registrations[registration.id] = registration
            last_payload[registration.id] = payload
            if verb_id == TERMINATED:
                session_id = _session_id(json.loads(payload))
                if session_id:
                    terminated.add((registration.id, session_id))
    if terminated:
        _terminate(session, terminated, registrations)
    written: list[str] = []
    for registration_id, registration in registrations.items():
        item = Touched(registration, _session_id(json.loads(last_payload[registration_id])) or "")
        written.extend(_write_satisfied(session, item, base_url=base_url))
    return written


def _session_id(statement: dict) -> str | None:
    extensions = (statement.get("context") or {}).get("extensions") or {}
    value = extensions.get(SESSION_ID)
    return value if isinstance(value, str) else None


def _terminate(
    session: Session, terminated: set[tuple[int, str]], registrations: dict[int, ModuleRegistration]
) -> None:
    """cmi5 9.3.8: after Terminated the session takes no statements: its credential is revoked."""
    found = session.scalars(
        select(Cmi5Session).where(
            Cmi5Session.id.in_({session_id for _, session_id in terminated}),
            Cmi5Session.registration_id.in_({registration_id for registration_id, _ in terminated}),
            Cmi5Session.terminated_at.is_(None),
        )
    ).all()
    now = utcnow()
    for cmi5_session in found:
        # A session id only counts within the registration whose statement named it.
        if (cmi5_session.registration_id, cmi5_session.id) not in terminated:
            continue
        cmi5_session.terminated_at = now
        if cmi5_session.credential_key:
            revoke_credential(
                session, cmi5_session.credential_key, registrations[cmi5_session.registration_id].platform_id
            )


def _write_satisfied(session: Session, item: Touched, *, base_url: str) -> list[str]:
    """Satisfied for each AU, block and the course newly meeting moveOn, once per registration."""
    registration = item.registration
    package = session.get(ModulePackage, registration.package_id)
    platform = session.get(Platform, registration.platform_id)
    actor = issued_actor(platform, session.get(User, registration.user_id))
    verbs = verbs_by_activity(
        session, platform.id, registration.registration, agent_key(actor), package_activity_ids(package)
    )
    met = satisfaction(package, verbs)
    done = already_satisfied(verbs)
    now = utcnow()
    targets = [(u.lms_activity_id, None, u.title, u.activity_id) for u in package.units]
    targets += [(b.lms_block_id, BLOCK_TYPE, b.title, b.block_id) for b in package.blocks]
    targets.append((package.lms_course_id, COURSE_TYPE, package.title, package.course_activity_id))
    statements = []
    for object_id, object_type, title, publisher_id in targets:
        if not met.get(object_id) or object_id in done:
            continue
        statement = satisfied_statement(
            actor=actor,
            object_id=object_id,
            object_type=object_type,
            title=title,
            publisher_id=publisher_id,
            registration=registration.registration,
            session_id=item.session_id,
            now=now,
        )
        # One id per registration and activity: a concurrent evaluation cannot write it twice.
        statement["id"] = str(uuid.uuid5(SATISFIED_NAMESPACE, f"{registration.registration}|{object_id}"))
        statements.append(statement)
    if not statements:
        return []
    writer = Writer(tenant_id=platform.id, authority=lms_authority(base_url), credential_id=None, may_define=True)
    try:
        with session.begin_nested():
            result = store_statements(session, writer, statements, version="1.0.3")
    except ConflictError:
        log.info("Satisfied for registration %s was written concurrently", registration.registration)
        return []
    return result.stored_ids
