"""Launch a cmi5 AU (cmi5 section 8): a session, the Launched statement, LMS.LaunchData, the URL.

Also the one-time fetch URL that hands the AU its credential, and the Abandoned statements for
earlier sessions of the registration that never sent Terminated.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.errors import NotFoundError
from lti_tool.formal_evidence.learners import issued_actor
from lti_tool.lti.models import Platform
from lti_tool.modules.cmi5_statements import (
    LAUNCH_DATA,
    LAUNCH_MODES,
    NORMAL,
    abandoned_statement,
    launch_data,
    launched_statement,
    lms_authority,
)
from lti_tool.modules.launch import CREDENTIAL_LIFETIME, MODULE_SCOPES, package_for_link, registration_for
from lti_tool.modules.models import Cmi5Session, ModulePackage, ModuleRegistration, ModuleUnit
from lti_tool.people.models import ResourceLink, User
from xapi.credentials import CredentialError, issue_scoped_credential, revoke_credential
from xapi.documents import DocumentScope, Preconditions, put_document
from xapi.statement_keys import agent_key
from xapi.statement_store import StoreResult, Writer, store_statements

CMI5_VERSION = "1.0.3"
# cmi5 8.2.3 fetch error codes.
ALREADY_USED = "1"
GENERAL_SECURITY = "2"


@dataclass(frozen=True)
class Launch:
    url: str
    stored: StoreResult
    tenant_id: int


def cmi5_package_for_link(session: Session, link: ResourceLink) -> ModulePackage:
    package = package_for_link(session, link)
    if package.kind != "cmi5":
        raise NotFoundError("This link does not open a cmi5 course.")
    return package


def return_url(base_url: str, link: ResourceLink) -> str:
    """Where the AU's exit goes (LMS.LaunchData returnURL): back to the course page."""
    return f"{base_url}/modules/cmi5/{link.id}/return"


def content_url(base_url: str, package: ModulePackage, unit: ModuleUnit) -> str:
    """The AU's URL as the course structure gives it, without launch parameters (cmi5 launchurl)."""
    return f"{base_url}/modules/content/{package.content_key}/{unit.url}"


def fetch_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _duration(since: datetime, now: datetime) -> str:
    seconds = max(0.0, (now - since).total_seconds())
    return f"PT{seconds:.2f}S"


def _abandon_open_sessions(
    session: Session, registration: ModuleRegistration, actor: dict, now: datetime
) -> list[dict[str, Any]]:
    """cmi5 9.3.9: sessions of this registration that neither terminated nor were abandoned yet."""
    open_sessions = session.scalars(
        select(Cmi5Session)
        .where(
            Cmi5Session.registration_id == registration.id,
            Cmi5Session.terminated_at.is_(None),
            Cmi5Session.abandoned_at.is_(None),
        )
        .order_by(Cmi5Session.launched_at)
    ).all()
    statements = []
    for earlier in open_sessions:
        earlier.abandoned_at = now
        if earlier.credential_key:
            revoke_credential(session, earlier.credential_key, registration.platform_id)
        unit = session.get(ModuleUnit, earlier.unit_id)
        statements.append(
            abandoned_statement(
                actor=actor,
                unit=unit,
                registration=registration.registration,
                session_id=earlier.id,
                duration=_duration(earlier.launched_at, now),
                now=now,
            )
        )
    return statements


def start_au(
    session: Session, *, base_url: str, user: User, link: ResourceLink, unit_id: int, launch_mode: str = NORMAL
) -> Launch:
    """Everything before the redirect; the caller commits, then calls xapi.feed.announce.

    Browse and Review (cmi5 10) let a learner look around without recording completion."""
    if launch_mode not in LAUNCH_MODES:
        raise ValueError(f"unknown cmi5 launchMode {launch_mode!r}")
    package = cmi5_package_for_link(session, link)
    unit = next((u for u in package.units if u.id == unit_id), None)
    if unit is None:
        raise NotFoundError("This part of the course does not exist (any more). Open the course again.")
    registration = registration_for(session, user, package, link)
    platform = session.get(Platform, user.platform_id)
    actor = issued_actor(platform, user)
    now = utcnow()

    statements = _abandon_open_sessions(session, registration, actor, now)
    session_id = str(uuid.uuid4())
    token = secrets.token_urlsafe(32)
    session.add(
        Cmi5Session(
            id=session_id,
            platform_id=platform.id,
            registration_id=registration.id,
            unit_id=unit.id,
            user_id=user.id,
            fetch_token_hash=fetch_token_hash(token),
            launched_at=now,
        )
    )
    launch_url = content_url(base_url, package, unit)
    statements.append(
        launched_statement(
            actor=actor,
            unit=unit,
            registration=registration.registration,
            session_id=session_id,
            launch_url=launch_url,
            now=now,
            launch_mode=launch_mode,
        )
    )
    writer = Writer(tenant_id=platform.id, authority=lms_authority(base_url), credential_id=None, may_define=True)
    stored = store_statements(session, writer, statements, version=CMI5_VERSION)
    put_document(
        session,
        platform.id,
        DocumentScope(
            kind="state",
            activity_id=unit.lms_activity_id,
            agent_key=agent_key(actor),
            registration=registration.registration,
        ),
        LAUNCH_DATA,
        launch_data(
            package=package,
            unit=unit,
            session_id=session_id,
            return_url=return_url(base_url, link),
            launch_mode=launch_mode,
        ),
        "application/json",
        Preconditions(),
        now=now,
        require_precondition=False,
    )
    parameters = urlencode(
        {
            "endpoint": f"{base_url}/xapi/",
            "fetch": f"{base_url}/modules/cmi5/fetch/{token}",
            "actor": _compact_json(actor),
            "registration": registration.registration,
            "activityId": unit.lms_activity_id,
        }
    )
    # cmi5 8.1: an AU URL may carry its own query string; the launch parameters follow it.
    separator = "&" if "?" in launch_url else "?"
    return Launch(url=f"{launch_url}{separator}{parameters}", stored=stored, tenant_id=platform.id)


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def redeem_fetch(session: Session, token: str, *, pepper: bytes) -> dict[str, str]:
    """cmi5 8.2: the first POST gets the credential; every later one (or a bad token) an error.

    Single use is enforced by a conditional UPDATE, so two racing requests cannot both win."""
    digest = fetch_token_hash(token)
    now = utcnow()
    won = session.execute(
        update(Cmi5Session)
        .where(
            Cmi5Session.fetch_token_hash == digest,
            Cmi5Session.fetch_used_at.is_(None),
            Cmi5Session.terminated_at.is_(None),
            Cmi5Session.abandoned_at.is_(None),
        )
        .values(fetch_used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        known = session.scalar(select(Cmi5Session.id).where(Cmi5Session.fetch_token_hash == digest))
        if known is None:
            return _fetch_error(GENERAL_SECURITY, "This launch link is not valid. Start the course again from your LMS.")
        return _fetch_error(
            ALREADY_USED, "This launch has already fetched its token. Start the unit again from the course page."
        )
    cmi5_session = session.scalars(select(Cmi5Session).where(Cmi5Session.fetch_token_hash == digest)).one()
    registration = session.get(ModuleRegistration, cmi5_session.registration_id)
    platform = session.get(Platform, cmi5_session.platform_id)
    user = session.get(User, cmi5_session.user_id)
    try:
        credential = issue_scoped_credential(
            session,
            platform.id,
            issued_actor(platform, user),
            registration.registration,
            MODULE_SCOPES,
            CREDENTIAL_LIFETIME,
            name=f"cmi5 session {cmi5_session.id}",
            pepper=pepper,
        )
    except CredentialError:
        session.rollback()
        return _fetch_error(GENERAL_SECURITY, "No credential could be issued for this launch.")
    cmi5_session.credential_key = credential.key
    token_value = base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()
    return {"auth-token": token_value}


def _fetch_error(code: str, text: str) -> dict[str, str]:
    return {"error-code": code, "error-text": text}
