"""An administrator links an unmatched actor to a learner (or undoes it), and the evidence follows at once.

The statements never move: linking changes who they belong to, and the learner's formal
evidence for every activity the actor reported on is recomputed from all statements still
standing, exactly as live projection and `evidence rebuild` would compute it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.formal_evidence.learners import link_actor, unlink_actor
from lti_tool.formal_evidence.models import LearnerActor
from lti_tool.formal_evidence.projection import project_learner_pair, project_pair, projection_key
from lti_tool.lti.models import Platform
from lti_tool.people.models import User
from lti_tool.portfolio.models import SOURCE_XAPI, Evidence
from xapi.models import Statement, StatementFilter
from xapi.statement_index import AGENT


@dataclass(frozen=True)
class LinkResult:
    learner: User
    activities: int
    evidence: int


def _activities_of(session: Session, platform_id: int, actor_key: str) -> list[str]:
    """The activities an actor's statements are about, through the LRS's agent index."""
    return list(
        session.scalars(
            select(Statement.object_activity_id)
            .join(StatementFilter, StatementFilter.statement_seq == Statement.seq)
            .where(
                StatementFilter.tenant_id == platform_id,
                StatementFilter.kind == AGENT,
                StatementFilter.value_key == actor_key,
                Statement.actor_key == actor_key,
                Statement.object_activity_id.is_not(None),
            )
            .distinct()
            .order_by(Statement.object_activity_id)
        )
    )


def link_and_project(session: Session, platform: Platform, actor_key: str, learner: User, *, linked_by: User | None) -> LinkResult:
    """Link the actor to the learner and make its stored statements the learner's formal evidence.

    Grades follow as in live projection: an outcome for a module the learner opened from a
    graded link goes to the gradebook through the outbox."""
    known = link_actor(session, platform, actor_key, learner, linked_by=linked_by)
    made = 0
    activities = _activities_of(session, platform.id, actor_key)
    for activity_id in activities:
        if project_pair(session, platform, actor_key, activity_id, known.actor) is not None:
            made += 1
    return LinkResult(learner=learner, activities=len(activities), evidence=made)


def unlink_and_project(session: Session, platform: Platform, actor_key: str) -> LinkResult:
    """Undo an administrator's link; the learner's evidence is recomputed without the actor's statements.

    A grade already sent stays in the gradebook: the platform offers no way to take a score back."""
    learner_id = unlink_actor(session, platform, actor_key)
    learner = session.get(User, learner_id)
    activities = _activities_of(session, platform.id, actor_key)
    others = session.scalars(
        select(LearnerActor)
        .where(LearnerActor.platform_id == platform.id, LearnerActor.user_id == learner_id)
        .order_by(LearnerActor.id)
    ).all()
    kept = 0
    for activity_id in activities:
        if others:
            # The learner's other actors still count: recompute from what remains.
            if project_learner_pair(session, platform, learner, others[0].actor_key, activity_id, send_grades=True) is not None:
                kept += 1
        else:
            existing = session.scalars(
                select(Evidence).where(
                    Evidence.projection_key == projection_key(learner, activity_id),
                    Evidence.source == SOURCE_XAPI,
                    Evidence.platform_id == platform.id,
                )
            ).first()
            if existing is not None:
                # As projection does when no outcome is left standing.
                session.delete(existing)
    return LinkResult(learner=learner, activities=len(activities), evidence=kept)
