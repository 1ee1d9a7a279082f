"""Assessment: a learner submits a collection to a course's instructors, who grade or return it.

An instructor places an "assessment" through deep linking (with a gradebook column). A
learner's launch of it lets them submit one of their collections as a frozen copy; the
assessor comments per item and grades it (the score goes to the LMS through the outbox,
in the same transaction) or returns it for revision, after which the learner submits a
new copy. Every copy stays, so the history is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.collections.models import GRADED, RETURNED, SUBMITTED, Collection, Submission, SubmissionComment
from lti_tool.collections.services import CollectionError, shown_items
from lti_tool.collections.snapshot import freeze
from lti_tool.db import utcnow
from lti_tool.errors import DomainError, ForbiddenError, NotFoundError
from lti_tool.lti import claims
from lti_tool.lti.models import Platform
from lti_tool.lti.deep_linking import DeepLinkRequest, Offer, placed_item_for, register_provider
from lti_tool.people.models import ResourceLink, User
from lti_tool.policy import may_assess, may_edit_collection, may_view_submission, membership_in
from lti_tool.richtext import plain_text
from lti_tool.storage import Storage

KIND_ASSESSMENT = "assessment"
# Points out of 100 by default: Moodle's own default maximum grade, and the scale of the
# reflection activity, so a course's columns line up unless the instructor chooses otherwise
# (any whole number from 1 to 1000). Dutch schools grade 1-10: that scale is offered as is.
DEFAULT_SCORE_MAXIMUM = 100.0
DUTCH_GRADE_MAXIMUM = 10.0
FEEDBACK_LIMIT = 10_000
COMMENT_LIMIT = 5_000


class AssessmentError(DomainError):
    """A submission, grade or return that cannot be made; the message says why."""

    status = 400


@register_provider
def assessment_offers(session: Session, request: DeepLinkRequest) -> list[Offer]:
    """Offer the assessment in the picker: points with a maximum the instructor sets, or a grade out of 10."""
    description = _l(
        "Learners submit one of their collections; you see a frozen copy, comment per item and grade it "
        "or return it for revision. The grade goes to the gradebook (%(scale)s)."
    )
    return [
        Offer(
            key="assessment",
            kind=KIND_ASSESSMENT,
            title=str(_l("Portfolio assessment")),
            description=str(description % {"scale": _l("points, up to the maximum you set")}),
            score_maximum=DEFAULT_SCORE_MAXIMUM,
            score_choosable=True,
            has_prompt=True,
        ),
        Offer(
            key="assessment-10",
            kind=KIND_ASSESSMENT,
            title=str(_l("Portfolio assessment (grade 1-10)")),
            description=str(description % {"scale": _l("a grade out of 10")}),
            score_maximum=DUTCH_GRADE_MAXIMUM,
            has_prompt=True,
        ),
    ]


@dataclass
class AssessmentInfo:
    """What a placed assessment asks: its instructions and the maximum score."""

    title: str
    instructions: str
    score_maximum: float


def assessment_link(session: Session, user: User, link_id: int) -> ResourceLink:
    """An assessment link of the user's platform in a course they belong to (else not found)."""
    link = session.get(ResourceLink, link_id)
    if link is None or link.platform_id != user.platform_id or link.kind != KIND_ASSESSMENT:
        raise NotFoundError(_("This assessment does not exist. Open it again from your course."))
    if link.context is None or (membership_in(session, user, link.context) is None and not may_assess(session, user, link)):
        raise NotFoundError(_("This assessment does not exist. Open it again from your course."))
    return link


def assessment_info(session: Session, link: ResourceLink) -> AssessmentInfo:
    placed = placed_item_for(session, link.platform_id, link.custom)
    maximum = placed.score_maximum if placed is not None and placed.score_maximum else DEFAULT_SCORE_MAXIMUM
    return AssessmentInfo(
        title=(placed.title if placed is not None and placed.title else link.title) or _("Assessment"),
        instructions=placed.prompt if placed is not None else "",
        score_maximum=float(maximum),
    )


def history_of(session: Session, link: ResourceLink, learner: User) -> list[Submission]:
    """The learner's submissions to this assessment, newest first."""
    return list(
        session.scalars(
            select(Submission)
            .where(
                Submission.resource_link_id == link.id,
                Submission.learner_id == learner.id,
                Submission.platform_id == link.platform_id,
            )
            .order_by(Submission.submitted_at.desc(), Submission.id.desc())
        )
    )


def may_submit(history: list[Submission]) -> bool:
    """A first submission, or a new one after the last was returned for revision."""
    return not history or history[0].status == RETURNED


def submit_collection(
    session: Session, storage: Storage, learner: User, link: ResourceLink, collection: Collection
) -> Submission:
    """Freeze the learner's collection as a submission to this assessment."""
    if not may_edit_collection(session, learner, collection):
        raise NotFoundError(_("This collection does not exist or is not yours."))
    if membership_in(session, learner, link.context) is None:
        raise ForbiddenError(_("Only people in this course can submit to its assessment."))
    if not may_submit(history_of(session, link, learner)):
        raise AssessmentError(_("You already submitted work for this assessment; wait for your assessor."))
    if not shown_items(session, collection):
        raise CollectionError(_("This collection is empty: add evidence or reflections before you submit it."))
    submission = Submission(
        collection_id=collection.id,
        platform_id=link.platform_id,
        resource_link_id=link.id,
        learner_id=learner.id,
        snapshot=freeze(session, storage, collection),
        status=SUBMITTED,
        score_maximum=assessment_info(session, link).score_maximum,
        feedback="",
    )
    session.add(submission)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        # The partial unique index: a second submission raced this one.
        raise AssessmentError(_("You already submitted work for this assessment; wait for your assessor.")) from exc
    return submission


def viewable_submission(session: Session, user: User, submission_id: int) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None or not may_view_submission(session, user, submission):
        raise NotFoundError(_("This submission does not exist or is not shared with you."))
    return submission


def assessable_submission(session: Session, user: User, submission_id: int) -> Submission:
    """A submission the user may assess; a learner asking for their own gets 403, others 404."""
    submission = viewable_submission(session, user, submission_id)
    if not may_assess(session, user, session.get(ResourceLink, submission.resource_link_id)):
        raise ForbiddenError(_("Only the teachers of this course can assess this submission."))
    return submission


def clean_feedback(text: str | None, limit: int = FEEDBACK_LIMIT) -> str:
    cleaned = plain_text(text or "").strip()
    if len(cleaned) > limit:
        raise AssessmentError(_("The text is too long: at most %(limit)s characters.", limit=limit))
    return cleaned


def parse_score(raw: str | None, maximum: float) -> float:
    """A score between 0 and the maximum; a comma works as decimal separator too."""
    try:
        score = float((raw or "").strip().replace(",", "."))
    except ValueError as exc:
        raise AssessmentError(_("Enter the score as a number, for example 7.5.")) from exc
    if not math.isfinite(score) or score < 0 or score > maximum:
        raise AssessmentError(_("The score must be between 0 and %(maximum)s.", maximum=f"{maximum:g}"))
    return score


def _transition(session: Session, submission: Submission, allowed: set[str], **values) -> None:
    # A conditional update, so two assessors acting at once cannot both win.
    result = session.execute(
        update(Submission)
        .where(Submission.id == submission.id, Submission.status.in_(allowed))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AssessmentError(_("This submission was changed in the meantime; reload the page."))
    session.refresh(submission)


def grade_submission(
    session: Session, assessor: User, submission: Submission, *, score: float, feedback: str, now: datetime | None = None
) -> bool:
    """Record the grade and queue it for the LMS gradebook; return whether it was queued."""
    now = now or utcnow()
    maximum = submission.score_maximum or DEFAULT_SCORE_MAXIMUM
    _transition(
        session,
        submission,
        {SUBMITTED, GRADED},
        status=GRADED,
        score=score,
        feedback=feedback,
        assessor_id=assessor.id,
        graded_at=now,
    )
    return queue_score(session, submission, score=score, maximum=maximum, feedback=feedback)


def queue_score(session: Session, submission: Submission, *, score: float, maximum: float, feedback: str) -> bool:
    """Write the score to the outbox in this transaction, when the platform gave a gradebook column."""
    link = session.get(ResourceLink, submission.resource_link_id)
    learner = session.get(User, submission.learner_id)
    if link is None or learner is None or not link.lineitem_url:
        return False
    if claims.SCOPE_SCORE not in (link.ags_scopes or []):
        # The platform did not grant the score scope with this link's launches.
        return False
    from lti_tool.lti.ags import enqueue_score

    enqueue_score(
        session,
        platform=session.get(Platform, link.platform_id),
        line_item_url=link.lineitem_url,
        user_sub=learner.sub,
        score_given=score,
        score_maximum=maximum,
        activity_progress="Completed",
        # Only FullyGraded shows as a final grade in the gradebook (AGS 2.0, 3.4.5).
        grading_progress="FullyGraded",
        comment=feedback or None,
    )
    return True


def return_submission(
    session: Session, assessor: User, submission: Submission, *, feedback: str, now: datetime | None = None
) -> None:
    """Send the submission back for revision; the learner then submits a new copy."""
    if not feedback:
        raise AssessmentError(_("Tell the learner what to revise before you return the work."))
    _transition(
        session,
        submission,
        {SUBMITTED},
        status=RETURNED,
        feedback=feedback,
        assessor_id=assessor.id,
        returned_at=now or utcnow(),
    )


def comment_on(
    session: Session, assessor: User, submission: Submission, *, item_position: int | None, body: str
) -> SubmissionComment:
    """Add an assessor's comment on one frozen item (or on the whole when position is None)."""
    text = clean_feedback(body, COMMENT_LIMIT)
    if not text:
        raise AssessmentError(_("Write a comment first."))
    positions = {item.get("position") for item in submission.snapshot.get("items", [])}
    if item_position is not None and item_position not in positions:
        raise AssessmentError(_("That item is not part of this submission."))
    comment = SubmissionComment(
        submission_id=submission.id, item_position=item_position, author_id=assessor.id, body=text
    )
    session.add(comment)
    session.flush()
    return comment


def comments_of(session: Session, submission: Submission) -> dict[int | None, list[tuple[SubmissionComment, User]]]:
    """Comments grouped by item position (None: about the whole), oldest first."""
    rows = session.execute(
        select(SubmissionComment, User)
        .join(User, User.id == SubmissionComment.author_id)
        .where(SubmissionComment.submission_id == submission.id)
        .order_by(SubmissionComment.created_at, SubmissionComment.id)
    ).all()
    grouped: dict[int | None, list[tuple[SubmissionComment, User]]] = {}
    for comment, author in rows:
        grouped.setdefault(comment.item_position, []).append((comment, author))
    return grouped


def submissions_for_assessor(session: Session, link: ResourceLink) -> list[tuple[Submission, User]]:
    """Every submission to an assessment with its learner, newest first within each learner."""
    rows = session.execute(
        select(Submission, User)
        .join(User, User.id == Submission.learner_id)
        .where(Submission.resource_link_id == link.id, Submission.platform_id == link.platform_id)
        .order_by(User.family_name, User.name, User.sub, Submission.submitted_at.desc(), Submission.id.desc())
    ).all()
    return [(submission, learner) for submission, learner in rows]
