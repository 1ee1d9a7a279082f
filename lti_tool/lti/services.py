"""The launch as one service call: validate, provision, record, and choose where to land."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.errors import LaunchError
from lti_tool.lti import claims
from lti_tool.lti.deep_linking import KIND_REFLECTION
from lti_tool.lti.handoff import issue_ticket
from lti_tool.lti.launch import LaunchPolicy, validate_launch
from lti_tool.lti.models import ACTIVE, PENDING, Deployment, LaunchRecord
from lti_tool.lti.roles import ADMIN, INSTRUCTOR, primary_role
from lti_tool.people.services import Provisioned, provision_launch
from lti_tool.settings import Settings


@dataclass
class LaunchResult:
    ticket: str
    launch_id: str
    next_path: str
    storage_target: str | None
    state: str


def policy_from(settings: Settings) -> LaunchPolicy:
    return LaunchPolicy(
        clock_leeway=settings.lti_clock_leeway,
        unknown_deployments=settings.lti_unknown_deployments,
        jwks_timeout=settings.lti_jwks_timeout,
        jwks_min_refetch_interval=settings.lti_jwks_min_refetch_interval,
        login_state_ttl=settings.lti_login_state_ttl,
    )


# Where a launch of a placed activity lands, by its kind (custom parameter leerpaspoort_kind):
# the page serves learners and the course's instructors alike. Other links go by role.
LINK_LANDINGS = {
    "assessment": "/assessments/{id}",
    KIND_REFLECTION: "/activities/reflection/{id}",
    "module": "/modules/launch/{id}",
}


def landing_path(message_type: str, provisioned: Provisioned, launch_id: str) -> str:
    """Where a launch lands: deep linking to the picker, a placed activity to its page, others by role."""
    if message_type == claims.DEEP_LINKING_REQUEST:
        return f"/lti/deep-link/{launch_id}"
    link = provisioned.resource_link
    if link is not None and link.kind in LINK_LANDINGS:
        return LINK_LANDINGS[link.kind].format(id=link.id)
    role = primary_role(provisioned.roles)
    if role == ADMIN:
        return "/overview"
    if role == INSTRUCTOR and provisioned.context is not None:
        return f"/courses/{provisioned.context.id}"
    return "/home"


def hold_deployment(session_factory: Callable[[], Session], platform_id: int, deployment_id: str) -> None:
    """Record a deployment waiting for approval, outside the refused launch's transaction."""
    with session_factory() as side:
        exists = side.scalars(
            select(Deployment).filter_by(platform_id=platform_id, deployment_id=deployment_id)
        ).first()
        if exists is None:
            side.add(Deployment(platform_id=platform_id, deployment_id=deployment_id, status=PENDING))
            side.commit()


def handle_launch(session: Session, settings: Settings, session_factory: Callable[[], Session]) -> LaunchResult:
    """Validate the posted id_token and prepare the hand-off to our own session."""
    validated = validate_launch(session, policy_from(settings), session_factory)
    body = validated.claims
    if validated.deployment_pending:
        session.rollback()
        if validated.new_deployment:
            hold_deployment(session_factory, validated.platform.id, validated.new_deployment)
        raise LaunchError(f"deployment {body.get(claims.DEPLOYMENT_ID)!r} is held for approval")
    if validated.new_deployment:
        session.add(Deployment(platform_id=validated.platform.id, deployment_id=validated.new_deployment, status=ACTIVE))
    provisioned = provision_launch(session, validated.platform, body)
    launch_id = secrets.token_urlsafe(24)
    message_type = body[claims.MESSAGE_TYPE]
    session.add(
        LaunchRecord(
            id=launch_id,
            platform_id=validated.platform.id,
            user_id=provisioned.user.id,
            message_type=message_type,
            claims=body,
        )
    )
    session.flush()
    next_path = landing_path(message_type, provisioned, launch_id)
    ticket = issue_ticket(
        session,
        user_id=provisioned.user.id,
        launch_id=launch_id,
        next_path=next_path,
        proof=validated.state if validated.storage_target else None,
    )
    return LaunchResult(ticket, launch_id, next_path, validated.storage_target, validated.state)
