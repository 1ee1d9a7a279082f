"""The demo course's gradebook: line items by learners, as the course page shows it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.demo.models import DemoLineItem, DemoPlatform, DemoScore
from lti_tool.demo.people import DEMO_PEOPLE, DemoPerson

FULLY_GRADED = "FullyGraded"


@dataclass
class GradebookRow:
    person: DemoPerson
    cells: list[DemoScore | None]


@dataclass
class Gradebook:
    columns: list[DemoLineItem]
    rows: list[GradebookRow] = field(default_factory=list)


def gradebook(session: Session, demo: DemoPlatform) -> Gradebook:
    """Columns (line items) by learners, with the latest score received for each."""
    columns = list(
        session.scalars(select(DemoLineItem).where(DemoLineItem.demo_platform_id == demo.id).order_by(DemoLineItem.id))
    )
    scores = {
        (score.line_item_id, score.user_id): score
        for score in session.scalars(
            select(DemoScore).join(DemoLineItem).where(DemoLineItem.demo_platform_id == demo.id)
        )
    }
    learners = [person for person in DEMO_PEOPLE if person.is_learner]
    rows = [GradebookRow(person, [scores.get((column.id, person.sub)) for column in columns]) for person in learners]
    return Gradebook(columns, rows)


def shown_grade(score: DemoScore | None, column: DemoLineItem) -> float | None:
    """The grade the gradebook shows: only FullyGraded scores count (AGS 2.0, 3.4.8)."""
    if score is None or score.grading_progress != FULLY_GRADED or score.score_given is None or not score.score_maximum:
        return None
    return round(score.score_given / score.score_maximum * column.score_maximum, 2)
