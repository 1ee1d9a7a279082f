"""Turn a validated launch into users, courses, memberships and resource links."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.i18n import normalise_locale
from lti_tool.lti import claims
from lti_tool.lti.models import Platform
from lti_tool.lti.roles import normalise_roles, split_roles
from lti_tool.people.models import Context, Membership, ResourceLink, User


@dataclass
class Provisioned:
    user: User
    context: Context | None
    membership: Membership | None
    resource_link: ResourceLink | None
    roles: list[str]


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


@lru_cache(maxsize=None)
def _lookup(model, names: tuple[str, ...]):
    """The query for a row by these columns, built once: every launch asks four of them."""
    return select(model).filter_by(**{name: bindparam(name) for name in names})


def _get_or_add(session: Session, model, **keys):
    row = session.scalars(_lookup(model, tuple(sorted(keys))), keys).first()
    if row is None:
        row = model(**keys)
        session.add(row)
    return row


def upsert_user(session: Session, platform: Platform, body: dict[str, Any]) -> User:
    user = _get_or_add(session, User, platform_id=platform.id, sub=body["sub"])
    # Platforms send name and e-mail only when configured to share them: keep what we had.
    for field, limit in (("name", 255), ("given_name", 255), ("family_name", 255), ("email", 320)):
        value = _text(body.get(field), limit)
        if value:
            setattr(user, field, value)
    presentation = body.get(claims.LAUNCH_PRESENTATION) or {}
    user.locale = normalise_locale(presentation.get("locale")) or user.locale or ""
    _, institution = split_roles(body.get(claims.ROLES, []))
    user.institution_roles = institution
    user.last_launch_at = utcnow()
    return user


def upsert_context(session: Session, platform: Platform, body: dict[str, Any]) -> Context | None:
    data = body.get(claims.CONTEXT)
    if not isinstance(data, dict) or not data.get("id"):
        return None
    context = _get_or_add(session, Context, platform_id=platform.id, context_id=str(data["id"]))
    context.label = _text(data.get("label"), 255)
    context.title = _text(data.get("title"), 512)
    types = data.get("type") or []
    context.types = [t for t in types if isinstance(t, str)] if isinstance(types, list) else []
    nrps = body.get(claims.NRPS) or {}
    if isinstance(nrps, dict) and nrps.get("context_memberships_url"):
        context.nrps_url = nrps["context_memberships_url"]
    return context


def upsert_membership(session: Session, user: User, context: Context, roles: list[str], source: str) -> Membership:
    session.flush()
    membership = _get_or_add(session, Membership, user_id=user.id, context_id=context.id)
    membership.roles = roles
    membership.source = source
    membership.status = "Active"
    return membership


def upsert_resource_link(
    session: Session, platform: Platform, context: Context | None, body: dict[str, Any]
) -> ResourceLink | None:
    data = body.get(claims.RESOURCE_LINK)
    if not isinstance(data, dict) or not data.get("id"):
        return None
    session.flush()
    link = _get_or_add(session, ResourceLink, platform_id=platform.id, resource_link_id=str(data["id"]))
    link.context_id = context.id if context else None
    link.title = _text(data.get("title"), 512)
    custom = body.get(claims.CUSTOM) or {}
    link.custom = custom if isinstance(custom, dict) else {}
    link.kind = _text(link.custom.get("leerpaspoort_kind"), 40) or link.kind or "portfolio"
    ags = body.get(claims.AGS_ENDPOINT) or {}
    if isinstance(ags, dict):
        link.lineitem_url = ags.get("lineitem") or link.lineitem_url
        link.lineitems_url = ags.get("lineitems") or link.lineitems_url
        scopes = ags.get("scope") or []
        link.ags_scopes = [s for s in scopes if isinstance(s, str)] if isinstance(scopes, list) else []
    return link


def provision_launch(session: Session, platform: Platform, body: dict[str, Any]) -> Provisioned:
    """Create or update everything the launch tells us about, in the caller's transaction."""
    roles = normalise_roles(r for r in body.get(claims.ROLES, []) if isinstance(r, str))
    user = upsert_user(session, platform, body)
    context = upsert_context(session, platform, body)
    membership = None
    if context is not None:
        context_roles, _ = split_roles(roles)
        membership = upsert_membership(session, user, context, context_roles, "launch")
    link = upsert_resource_link(session, platform, context, body)
    session.flush()
    return Provisioned(user, context, membership, link, roles)
