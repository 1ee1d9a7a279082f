"""Store a parsed competency framework for one tenant, all or nothing."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.competencies.frameworks import FrameworkData, FrameworkFileError, parse_framework
from lti_tool.competencies.models import Competency, CompetencyFramework


def import_framework(session: Session, platform_id: int, data: FrameworkData) -> CompetencyFramework:
    """Add the framework with its competencies in the caller's transaction; a clash adds nothing.

    Frameworks are per tenant and known by name; importing a second one with the same name
    is refused rather than merged, so nobody's self-assessments change under them.
    """
    exists = session.scalars(
        select(CompetencyFramework.id).where(
            CompetencyFramework.platform_id == platform_id, CompetencyFramework.name == data.name
        )
    ).first()
    if exists is not None:
        raise FrameworkFileError([_duplicate_name(data.name)])
    try:
        framework = CompetencyFramework(
            platform_id=platform_id, name=data.name, description=data.description, levels=list(data.levels)
        )
        session.add(framework)
        session.flush()
        by_code: dict[str, Competency] = {}
        for position, item in enumerate(data.competencies):
            competency = Competency(
                framework_id=framework.id,
                code=item.code,
                title=item.title,
                description=item.description,
                position=position,
            )
            session.add(competency)
            by_code[item.code] = competency
        session.flush()
        for item in data.competencies:
            if item.parent is not None:
                by_code[item.code].parent_id = by_code[item.parent].id
        session.flush()
    except IntegrityError:
        # Another import of the same name won the race (uq_competency_frameworks_platform_id_name);
        # the caller rolls the whole transaction back.
        raise FrameworkFileError([_duplicate_name(data.name)]) from None
    return framework


def import_framework_file(session: Session, platform_id: int, filename: str, raw: bytes) -> CompetencyFramework:
    """Parse, check and store a framework file; any problem leaves the database as it was."""
    return import_framework(session, platform_id, parse_framework(filename, raw))


def _duplicate_name(name: str) -> str:
    return _(
        "A framework named “%(name)s” already exists. Give the new one another name in the file.",
        name=name,
    )
