"""Hosted e-learning modules: packages, their launchable units and blocks, and registrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, UTCDateTime, utcnow


class ModulePackage(Base):
    """An uploaded Tin Can or cmi5 package, unpacked in the module store."""

    __tablename__ = "module_packages"
    __table_args__ = (UniqueConstraint("platform_id", "course_activity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    course_activity_id: Mapped[str] = mapped_column(String(1024))
    # cmi5 8.1: the LMS names the course in its own statements (Satisfied) with an id of its own,
    # so the publisher's id never collides with what we record. Empty for Tin Can packages.
    lms_course_id: Mapped[str] = mapped_column(String(1024), default="", server_default="")
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # Folder name in the module store; random, so content URLs cannot be guessed from ids.
    content_key: Mapped[str] = mapped_column(String(64), unique=True)
    total_bytes: Mapped[int] = mapped_column()
    file_count: Mapped[int] = mapped_column()
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    units: Mapped[list[ModuleUnit]] = relationship(
        back_populates="package", cascade="all, delete-orphan", order_by="ModuleUnit.position"
    )
    blocks: Mapped[list[ModuleBlock]] = relationship(cascade="all, delete-orphan", order_by="ModuleBlock.position")


class ModuleUnit(Base):
    """A launchable unit: the Tin Can launch activity or one cmi5 AU."""

    __tablename__ = "module_units"
    __table_args__ = (UniqueConstraint("package_id", "activity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("module_packages.id", ondelete="CASCADE"))
    activity_id: Mapped[str] = mapped_column(String(1024))
    # The id statements about this unit carry: Tin Can content uses the publisher's id; for a
    # cmi5 AU the LMS generates one (cmi5 8.1), stable across launches and registrations.
    lms_activity_id: Mapped[str] = mapped_column(String(1024), default="", server_default="", index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(2048))
    activity_type: Mapped[str] = mapped_column(String(1024), default="")
    move_on: Mapped[str] = mapped_column(String(30), default="NotApplicable")
    mastery_score: Mapped[float | None] = mapped_column()
    launch_method: Mapped[str] = mapped_column(String(20), default="AnyWindow")
    launch_parameters: Mapped[str] = mapped_column(Text, default="")
    entitlement_key: Mapped[str] = mapped_column(Text, default="")
    block_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)

    package: Mapped[ModulePackage] = relationship(back_populates="units")


class ModuleBlock(Base):
    __tablename__ = "module_blocks"
    __table_args__ = (UniqueConstraint("package_id", "block_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("module_packages.id", ondelete="CASCADE"))
    block_id: Mapped[str] = mapped_column(String(1024))
    lms_block_id: Mapped[str] = mapped_column(String(1024), default="", server_default="")
    title: Mapped[str] = mapped_column(String(300))
    parent_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)


class ModuleRegistration(Base):
    """A learner's enrolment in a module: the xAPI registration all their attempts share."""

    __tablename__ = "module_registrations"
    __table_args__ = (UniqueConstraint("user_id", "package_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    package_id: Mapped[int] = mapped_column(ForeignKey("module_packages.id", ondelete="CASCADE"), index=True)
    registration: Mapped[str] = mapped_column(String(36), unique=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The course link the learner last opened the module from: its line item gets the grade.
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_links.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Cmi5Session(Base):
    """One launch of a cmi5 AU: its session id, fetch token and credential, and how it ended."""

    __tablename__ = "cmi5_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the cmi5 session id (UUID)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("module_registrations.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("module_units.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The credential is issued when the AU redeems the fetch URL, so no secret is ever stored.
    credential_key: Mapped[str | None] = mapped_column(String(64))
    # Only a digest of the fetch token is kept: the database alone cannot hand out credentials.
    fetch_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    fetch_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    launched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
