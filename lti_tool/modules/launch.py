"""Launch a hosted Tin Can module: the learner's registration, a credential for them alone, the URL."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.errors import NotFoundError
from lti_tool.formal_evidence.learners import issued_actor
from lti_tool.lti.models import Platform
from lti_tool.modules.models import ModulePackage, ModuleRegistration
from lti_tool.modules.offers import LAUNCHABLE_KINDS, MODULE_PARAM
from lti_tool.people.models import ResourceLink, User
from xapi.credentials import issue_scoped_credential

# What a launched module may do: write and read back its own statements, keep its state, and
# use profiles: a cmi5 AU must read its learner's cmi5LearnerPreferences agent profile (cmi5
# section 11). The credential's actor limit keeps agent profiles to that learner's own.
# It cannot void (voiding needs statements/write on others' statements through `all`).
MODULE_SCOPES = ("statements/write", "statements/read/mine", "state", "profile")
CREDENTIAL_LIFETIME = timedelta(hours=8)


def package_for_link(session: Session, link: ResourceLink) -> ModulePackage:
    """The module a course link points at, within the link's own tenant."""
    raw = (link.custom or {}).get(MODULE_PARAM, "")
    package = None
    if isinstance(raw, str) and raw.isdigit():
        package = session.scalars(
            select(ModulePackage).where(ModulePackage.id == int(raw), ModulePackage.platform_id == link.platform_id)
        ).first()
    if package is None or package.kind not in LAUNCHABLE_KINDS or not package.units:
        raise NotFoundError("This module is no longer available. Ask your teacher to place it again.")
    return package


def registration_for(session: Session, user: User, package: ModulePackage, link: ResourceLink) -> ModuleRegistration:
    """The learner's one registration for a module, reused on every launch so the module can resume."""
    found = session.scalars(
        select(ModuleRegistration).where(ModuleRegistration.user_id == user.id, ModuleRegistration.package_id == package.id)
    ).first()
    if found is None:
        try:
            with session.begin_nested():
                found = ModuleRegistration(
                    platform_id=user.platform_id, user_id=user.id, package_id=package.id, registration=str(uuid.uuid4())
                )
                session.add(found)
        except IntegrityError:
            found = session.scalars(
                select(ModuleRegistration).where(
                    ModuleRegistration.user_id == user.id, ModuleRegistration.package_id == package.id
                )
            ).one()
    found.resource_link_id = link.id
    return found


def tincan_launch_url(
    session: Session, *, base_url: str, pepper: bytes, user: User, link: ResourceLink
) -> str:
    """Everything the Tin Can launch convention passes, on the module's own launch URL."""
    package = package_for_link(session, link)
    if package.kind == "cmi5":
        # A cmi5 course opens on its course page; each AU is launched from there (cmi5 8).
        return f"{base_url}/modules/cmi5/{link.id}"
    unit = package.units[0]
    registration = registration_for(session, user, package, link)
    platform = session.get(Platform, user.platform_id)
    actor = issued_actor(platform, user)
    credential = issue_scoped_credential(
        session, platform.id, actor, registration.registration, MODULE_SCOPES, CREDENTIAL_LIFETIME,
        name=f"{package.title[:120]} for {user.sub[:60]}", pepper=pepper,
    )
    auth = "Basic " + base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()
    parameters = urlencode(
        {
            "endpoint": f"{base_url}/xapi/",
            "auth": auth,
            "actor": json.dumps(actor, separators=(",", ":")),
            "registration": registration.registration,
            "activity_id": unit.activity_id,
        }
    )
    # A launch URL may carry its own query string (STANDARDS.md): append with "&" then.
    separator = "&" if "?" in unit.url else "?"
    return f"{base_url}/modules/content/{package.content_key}/{unit.url}{separator}{parameters}"
