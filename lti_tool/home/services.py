"""What the landing pages show: the person, their courses, and a platform overview."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.lti.models import LaunchRecord, Platform
from lti_tool.lti.roles import primary_role
from lti_tool.people.models import Context, Membership, ResourceLink, User


@dataclass
class CourseRow:
    context: Context
    role: str


def launch_record(session: Session, user: User, launch_id: str | None) -> LaunchRecord | None:
    """The launch that started this session, if it belongs to this user."""
    if not launch_id:
        return None
    record = session.get(LaunchRecord, launch_id)
    return record if record is not None and record.user_id == user.id else None


def launch_claims(session: Session, user: User, launch_id: str | None) -> dict:
    """The claims of the launch that started this session, if it belongs to this user."""
    record = launch_record(session, user, launch_id)
    return record.claims if record is not None else {}


def courses_of(session: Session, user: User) -> list[CourseRow]:
    rows = session.execute(
        select(Context, Membership.roles)
        .join(Membership, Membership.context_id == Context.id)
        .where(Membership.user_id == user.id, Context.platform_id == user.platform_id)
        .order_by(Context.title)
    ).all()
    return [CourseRow(context, primary_role(roles)) for context, roles in rows]


def course_members(session: Session, context: Context) -> list[tuple[User, str]]:
    rows = session.execute(
        select(User, Membership.roles)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.context_id == context.id, User.platform_id == context.platform_id)
        .order_by(User.family_name, User.name, User.sub)
    ).all()
    return [(user, primary_role(roles)) for user, roles in rows]


def course_links(session: Session, context: Context) -> list[ResourceLink]:
    return list(
        session.scalars(
            select(ResourceLink).where(ResourceLink.context_id == context.id).order_by(ResourceLink.title)
        )
    )


@dataclass
class PlatformOverview:
    platform: Platform
    courses: int
    people: int


def platform_overview(session: Session, platform_id: int) -> PlatformOverview:
    platform = session.get(Platform, platform_id)
    courses = session.scalar(select(func.count()).select_from(Context).where(Context.platform_id == platform_id))
    people = session.scalar(select(func.count()).select_from(User).where(User.platform_id == platform_id))
    return PlatformOverview(platform, courses or 0, people or 0)


def platform_courses(session: Session, platform_id: int) -> list[tuple[Context, int]]:
    return [
        (context, members)
        for context, members in session.execute(
            select(Context, func.count(Membership.id))
            .outerjoin(Membership, Membership.context_id == Context.id)
            .where(Context.platform_id == platform_id)
            .group_by(Context.id)
            .order_by(Context.title)
        ).all()
    ]
