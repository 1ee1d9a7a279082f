"""Names and Role Provisioning Services 2.0: read a course roster and keep memberships in step.

What Moodle 4.5 answers (tests/data/moodle-4.5/nrps-membership-members.json): short role
names ("Learner"), `user_id` as a string, empty `lis_person_sourcedid`, extra `ext_*`
fields, and name/e-mail only when the tool is allowed to see them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.errors import DomainError
from lti_tool.lti.claims import SCOPE_NRPS
from lti_tool.lti.models import Platform
from lti_tool.lti.roles import normalise_roles, split_roles
from lti_tool.lti.service_client import ServiceClient
from lti_tool.people.models import Context, Membership, User

log = logging.getLogger(__name__)

MEMBERSHIP_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
ACTIVE, INACTIVE, DELETED = "Active", "Inactive", "Deleted"
_STATUSES = {"active": ACTIVE, "inactive": INACTIVE, "deleted": DELETED}
# A roster of 200 000 people in pages of 100 is 2 000 pages; more means a paging loop.
MAX_PAGES = 2000
NRPS_SOURCE = "nrps"


class RosterError(DomainError):
    """The platform's roster could not be read or made no sense."""

    status = 502


@dataclass
class Member:
    sub: str
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    roles: list[str] = field(default_factory=list)
    status: str = ACTIVE


@dataclass
class Roster:
    context: dict[str, Any]
    members: list[Member]
    pages: int


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def normalise_member(raw: Any) -> Member | None:
    """One member as we store it; None when it carries no usable user id."""
    if not isinstance(raw, dict):
        return None
    user_id = raw.get("user_id")
    if isinstance(user_id, bool) or not isinstance(user_id, (str, int)):
        return None
    sub = str(user_id).strip()
    if not sub or len(sub) > 255:
        return None
    roles = raw.get("roles")
    role_list = [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else []
    status = _STATUSES.get(str(raw.get("status") or "Active").strip().lower(), ACTIVE)
    return Member(
        sub=sub,
        name=_text(raw.get("name"), 255),
        given_name=_text(raw.get("given_name"), 255),
        family_name=_text(raw.get("family_name"), 255),
        email=_text(raw.get("email"), 320),
        roles=normalise_roles(role_list),
        status=status,
    )


def _same_origin(url: str, other: str) -> bool:
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def fetch_roster(client: ServiceClient, platform: Platform, memberships_url: str, *, role: str | None = None) -> Roster:
    """Read every page of a context's memberships (NRPS 2.0, 2.4.1: follow Link rel="next")."""
    if urlsplit(memberships_url).scheme not in {"http", "https"}:
        raise RosterError(f"The memberships URL {memberships_url!r} is not an http(s) URL.")
    members: dict[str, Member] = {}
    context: dict[str, Any] = {}
    url: str | None = memberships_url
    params = {"role": role} if role else None
    seen: set[str] = set()
    pages = 0
    while url:
        if url in seen:
            raise RosterError(f"The platform's roster pages loop back to {url}.")
        if pages >= MAX_PAGES:
            raise RosterError(f"The platform's roster has more than {MAX_PAGES} pages; stopped reading.")
        seen.add(url)
        response = client.request(platform, [SCOPE_NRPS], "GET", url, accept=MEMBERSHIP_MEDIA_TYPE, params=params)
        pages += 1
        try:
            body = response.json()
        except ValueError:
            raise RosterError(f"The platform's roster page {url} is not JSON.") from None
        if not isinstance(body, dict) or not isinstance(body.get("members"), list):
            raise RosterError(f"The platform's roster page {url} has no members list.")
        if not context and isinstance(body.get("context"), dict):
            context = body["context"]
        for raw in body["members"]:
            member = normalise_member(raw)
            if member is None:
                log.warning("NRPS member without a usable user_id skipped (platform %s)", platform.id)
                continue
            # A member repeated on a later page (the roster changed while we paged) counts once.
            members[member.sub] = member
        following = response.links.get("next", {}).get("url")
        next_url = urljoin(url, following) if following else None
        if next_url and not _same_origin(next_url, memberships_url):
            # Never send our bearer token to another host than the one the launch named.
            raise RosterError(f"The platform's next roster page {next_url} is on another host.")
        url = next_url
        # The role filter is in the next URL already (the platform builds it).
        params = None
    return Roster(context=context, members=list(members.values()), pages=pages)


@dataclass
class SyncResult:
    created_users: int = 0
    added: int = 0
    updated: int = 0
    deactivated: int = 0


def sync_roster(session: Session, platform: Platform, context: Context, roster: Roster, *, complete: bool = True) -> SyncResult:
    """Bring the context's memberships in line with a roster (the caller commits).

    People who have not launched yet get a user and a membership (source "nrps"). With a
    complete roster (no role filter), memberships of people no longer listed become Inactive.
    """
    if context.platform_id != platform.id:
        raise RosterError("This course belongs to another platform.")
    result = SyncResult()
    subs = [m.sub for m in roster.members]
    users = {
        u.sub: u
        for chunk in _chunks(subs, 500)
        for u in session.scalars(select(User).where(User.platform_id == platform.id, User.sub.in_(chunk)))
    }
    memberships = {
        m.user_id: m for m in session.scalars(select(Membership).where(Membership.context_id == context.id))
    }
    listed_user_ids = set()
    for member in roster.members:
        user = users.get(member.sub)
        if user is None:
            user = User(platform_id=platform.id, sub=member.sub, institution_roles=[])
            session.add(user)
            result.created_users += 1
        # Keep what a launch told us when the roster withholds name or e-mail.
        for name in ("name", "given_name", "family_name", "email"):
            value = getattr(member, name)
            if value and getattr(user, name) != value:
                setattr(user, name, value)
        session.flush()
        listed_user_ids.add(user.id)
        context_roles, _ = split_roles(member.roles)
        membership = memberships.get(user.id)
        if membership is None:
            session.add(Membership(user_id=user.id, context_id=context.id, roles=context_roles, status=member.status, source=NRPS_SOURCE))
            result.added += 1
        elif membership.roles != context_roles or membership.status != member.status:
            membership.roles = context_roles
            membership.status = member.status
            result.updated += 1
    if complete:
        for user_id, membership in memberships.items():
            if user_id not in listed_user_ids and membership.status == ACTIVE:
                membership.status = INACTIVE
                result.deactivated += 1
    session.flush()
    return result


def _chunks(items: list[str], size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def sync_context_roster(session: Session, client: ServiceClient, context: Context) -> SyncResult:
    """Fetch the roster of a context from its platform and apply it (the caller commits).

    Fetches before writing anything, so no transaction is held open during the HTTP calls.
    """
    if not context.nrps_url:
        raise RosterError("This course has no names and roles service URL; launch it once from the platform.")
    platform = session.get(Platform, context.platform_id)
    if platform is None:
        raise RosterError("The platform of this course is no longer registered.")
    roster = fetch_roster(client, platform, context.nrps_url)
    return sync_roster(session, platform, context, roster, complete=True)
