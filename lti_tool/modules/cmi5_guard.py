"""Enforce the cmi5 statement rules inside the LRS request, before anything is stored.

Registered with xapi.guards; judges only statements sent with an AU's session credential (the
one the fetch URL handed out). Other credentials writing about the same registration (an
import, a reporting tool, the LMS itself) send plain xAPI: the cmi5 rules are obligations of an
AU within its session (cmi5 7.1, 9.3), and a session exists only through the fetch URL.

Two statements per request: a no-op UPDATE that makes requests of one registration take turns
(see `take_turns`), and one indexed query for the session, its AU, and the few statements the
rules depend on.
"""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from lti_tool.modules.cmi5_ids import PREFIX
from lti_tool.modules.cmi5_rules import AU_VERBS, SessionFacts, first_violation, is_cmi5_defined_payload
from lti_tool.modules.cmi5_statements import (
    COMPLETED,
    INITIALIZED,
    LAUNCH_MODE,
    LAUNCHED,
    NORMAL,
    PASSED,
    SESSION_ID,
    TERMINATED,
)
from lti_tool.modules.models import Cmi5Session, ModulePackage, ModuleRegistration, ModuleUnit
from xapi import guards
from xapi.auth import Credential
from xapi.errors import ForbiddenError
from xapi.models import Statement, StatementFilter
from xapi.statement_index import REGISTRATION
from xapi.statement_keys import registration_key


class Cmi5RuleError(ForbiddenError):
    """A statement broke a cmi5 rule. 403, as the ADL cmi5 LMS test suite expects of a rejection."""

    def __init__(self, message: str, *, section: str, rule: str, property: str):
        super().__init__(message, details={"property": property, "rule": rule, "cmi5": section})


def init_app(app: Flask) -> None:
    # Process-wide and idempotent, like the statements-stored hooks.
    guards.before_storing_statements(enforce_cmi5_rules)


def enforce_cmi5_rules(session: Session, credential: Credential, statements: list[dict]) -> None:
    """Refuse the request when a statement breaks a cmi5 rule of the AU session it was sent in."""
    # An AU credential is always limited to one learner and one registration: others need no query.
    if credential.actor is None or credential.registration is None:
        return
    if not take_turns(session, credential):
        return  # no AU session handed out this credential (a Tin Can launch's, say): plain xAPI
    facts = load_session_facts(session, credential)
    if facts is None:
        return
    violation = first_violation(facts, statements)
    if violation is not None:
        raise Cmi5RuleError(
            f"cmi5 {violation.section}: {violation.rule} ({violation.property}). Nothing of this request was stored.",
            section=violation.section,
            rule=violation.rule,
            property=violation.property,
        )


def take_turns(session: Session, credential: Credential) -> bool:
    """Lock the credential's registration until this request's transaction ends; False if it has no AU session.

    The rules read what the registration holds, then the request writes. Two requests at once
    (an AU that sends Completed twice in parallel) would both read "not yet" and both be stored.
    A no-op UPDATE of the registration's row makes them take turns: PostgreSQL holds the row
    lock and SQLite its write lock until commit or rollback, and the second request then reads
    the first one's statements.
    """
    has_session = exists().where(Cmi5Session.registration_id == ModuleRegistration.id, Cmi5Session.credential_key == credential.key)
    result = session.execute(
        update(ModuleRegistration)
        .where(
            ModuleRegistration.registration == credential.registration.lower(),
            ModuleRegistration.platform_id == credential.tenant_id,
            has_session,
        )
        .values(registration=ModuleRegistration.registration)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


def load_session_facts(session: Session, credential: Credential) -> SessionFacts | None:
    """The session behind an AU credential and what the rules need from its statements, or None.

    Every step is an index lookup: the registration (unique), its sessions, and the statements
    of that one registration through the LRS's registration filter keys."""
    relevant = (
        select(
            Statement.statement_id,
            Statement.verb_id,
            Statement.credential_id,
            Statement.object_activity_id,
            Statement.timestamp,
            Statement.payload,
        )
        .join(StatementFilter, StatementFilter.statement_seq == Statement.seq)
        .where(
            StatementFilter.tenant_id == credential.tenant_id,
            StatementFilter.kind == REGISTRATION,
            StatementFilter.value_key == registration_key(credential.registration),
            Statement.verb_id.in_(AU_VERBS | {LAUNCHED}),
            Statement.voided.is_(False),
        )
        .subquery()
    )
    rows = session.execute(
        select(
            Cmi5Session.id,
            Cmi5Session.terminated_at,
            Cmi5Session.abandoned_at,
            ModuleUnit.lms_activity_id,
            ModuleUnit.mastery_score,
            ModulePackage.content_key,
            relevant.c.statement_id,
            relevant.c.verb_id,
            relevant.c.credential_id,
            relevant.c.payload,
        )
        .select_from(ModuleRegistration)
        .join(Cmi5Session, Cmi5Session.registration_id == ModuleRegistration.id)
        .join(ModuleUnit, ModuleUnit.id == Cmi5Session.unit_id)
        .join(ModulePackage, ModulePackage.id == ModuleUnit.package_id)
        .outerjoin(
            relevant,
            and_(
                relevant.c.object_activity_id == ModuleUnit.lms_activity_id,
                or_(
                    # This session's own cmi5 verbs (the credential is the session's alone).
                    and_(relevant.c.credential_id == credential.id, relevant.c.verb_id.in_(AU_VERBS)),
                    # Completed and Passed count once per registration, whichever session sent them.
                    relevant.c.verb_id.in_((COMPLETED, PASSED)),
                    # The LMS's Launched statement of this session holds its launchMode.
                    and_(
                        relevant.c.verb_id == LAUNCHED,
                        relevant.c.credential_id.is_(None),
                        relevant.c.timestamp >= Cmi5Session.launched_at,
                    ),
                ),
            ),
        )
        .where(
            ModuleRegistration.registration == credential.registration.lower(),
            ModuleRegistration.platform_id == credential.tenant_id,
            Cmi5Session.credential_key == credential.key,
        )
    ).all()
    if not rows:
        return None
    first = rows[0]
    facts = SessionFacts(
        session_id=first.id,
        au_id=first.lms_activity_id,
        lms_id_prefix=f"{PREFIX}:{first.content_key}:",
        mastery_score=first.mastery_score,
        ended_by="Terminated" if first.terminated_at else "Abandoned" if first.abandoned_at else None,
    )
    for row in rows:
        if row.verb_id is not None:
            _learn(facts, row, credential.id)
    return facts


def _learn(facts: SessionFacts, row, credential_id: int) -> None:
    if row.credential_id == credential_id and row.verb_id in AU_VERBS:
        # Stored with this credential, so it passed these rules: a cmi5 defined statement.
        facts.session_verbs.add(row.verb_id)
        facts.known_ids.add(row.statement_id)
        if row.verb_id == INITIALIZED:
            facts.initialized = True
        elif row.verb_id == TERMINATED:
            facts.ended_by = facts.ended_by or "Terminated"
    if row.verb_id == LAUNCHED:
        payload = json.loads(row.payload)
        extensions = (payload.get("context") or {}).get("extensions") or {}
        if extensions.get(SESSION_ID) == facts.session_id:
            facts.launch_mode = extensions.get(LAUNCH_MODE) or NORMAL
        return
    if row.credential_id != credential_id:
        payload = json.loads(row.payload)
        if not is_cmi5_defined_payload(payload):
            return  # a "cmi5 allowed" Completed or Passed is not counted by the rules (cmi5 7.1.3)
    if row.verb_id == COMPLETED:
        facts.completed_in_registration = True
    elif row.verb_id == PASSED:
        facts.passed_in_registration = True
