"""Assessment pages: the learner submits a collection; the course's assessors grade or return it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lti_tool.collections import assessment, services
from lti_tool.collections.assessment import AssessmentError
from lti_tool.collections.files import current_file_store, send_stored
from lti_tool.collections.models import GRADED, RETURNED, SUBMITTED
from lti_tool.collections.present import field_labels, frozen_entries
from lti_tool.collections.services import CollectionError
from lti_tool.collections.snapshot import snapshot_file
from lti_tool.db import get_session
from lti_tool.errors import NotFoundError
from lti_tool.people.models import ResourceLink, User
from lti_tool.policy import may_assess
from lti_tool.portfolio.ownership import portfolio_of

bp = Blueprint("assessment", __name__, url_prefix="/assessments")

def _labels() -> dict:
    return {
        "status": {SUBMITTED: _("Waiting for assessment"), RETURNED: _("Returned for revision"), GRADED: _("Graded")},
        "fields": field_labels(),
    }


def _learner_page(link: ResourceLink, *, error: str | None = None, status: int = 200):
    db = get_session()
    history = assessment.history_of(db, link, current_user)
    page = render_template(
        "collections/assessment_learner.html",
        link=link,
        info=assessment.assessment_info(db, link),
        history=history,
        may_submit=assessment.may_submit(history),
        collections=services.collections_of(db, portfolio_of(db, current_user)),
        labels=_labels(),
        error=error,
    )
    return page, status


@bp.route("/<int:link_id>")
@login_required
def landing(link_id: int):
    """Where an assessment launch lands: the assessor's overview, or the learner's page."""
    db = get_session()
    link = assessment.assessment_link(db, current_user, link_id)
    if may_assess(db, current_user, link):
        return render_template(
            "collections/assessment_overview.html",
            link=link,
            info=assessment.assessment_info(db, link),
            rows=assessment.submissions_for_assessor(db, link),
            labels=_labels(),
        )
    page = _learner_page(link)
    db.commit()  # the portfolio may have been created on this first visit
    return page


@bp.route("/<int:link_id>/submit", methods=["POST"])
@login_required
def submit(link_id: int):
    db = get_session()
    link = assessment.assessment_link(db, current_user, link_id)
    raw_id = request.form.get("collection", "")
    if not raw_id.isdigit():
        return _learner_page(link, error=_("Choose the collection you want to submit."), status=400)
    collection = services.owned_collection(db, current_user, int(raw_id))
    try:
        submission = assessment.submit_collection(db, current_file_store(), current_user, link, collection)
    except (AssessmentError, CollectionError) as exc:
        db.rollback()
        return _learner_page(link, error=str(exc), status=400)
    db.commit()
    flash(_("Your collection was submitted. Later changes to it do not change what your assessor sees."))
    return redirect(url_for("assessment.show_submission", submission_id=submission.id))


def _submission_page(submission, *, error: str | None = None, status: int = 200):
    db = get_session()
    link = db.get(ResourceLink, submission.resource_link_id)
    assessor_view = may_assess(db, current_user, link)

    def file_url(position: int, index: int, thumb: bool) -> str:
        args = {"thumb": 1} if thumb else {}
        return url_for("assessment.submission_file", submission_id=submission.id, position=position, index=index, **args)

    page = render_template(
        "collections/submission.html",
        submission=submission,
        link=link,
        info=assessment.assessment_info(db, link),
        learner=db.get(User, submission.learner_id),
        entries=frozen_entries(submission.snapshot, file_url),
        comments=assessment.comments_of(db, submission),
        history=assessment.history_of(db, link, db.get(User, submission.learner_id)),
        assessor_view=assessor_view,
        labels=_labels(),
        error=error,
    )
    return page, status


@bp.route("/submissions/<int:submission_id>")
@login_required
def show_submission(submission_id: int):
    return _submission_page(assessment.viewable_submission(get_session(), current_user, submission_id))


@bp.route("/submissions/<int:submission_id>/files/<int:position>/<int:index>")
@login_required
def submission_file(submission_id: int, position: int, index: int):
    submission = assessment.viewable_submission(get_session(), current_user, submission_id)
    entry = snapshot_file(submission.snapshot, position, index)
    if entry is None:
        raise NotFoundError(_("This file is not part of the submission."))
    if request.args.get("thumb") and entry.get("thumbnail_key"):
        return send_stored(current_file_store(), entry["thumbnail_key"], "thumbnail-" + entry["name"], "image/jpeg")
    return send_stored(current_file_store(), entry["key"], entry["name"], entry["content_type"])


def _assessor_action(submission_id: int, action):
    db = get_session()
    submission = assessment.assessable_submission(db, current_user, submission_id)
    try:
        message = action(db, submission)
    except AssessmentError as exc:
        db.rollback()
        submission = assessment.assessable_submission(db, current_user, submission_id)
        return _submission_page(submission, error=str(exc), status=400)
    db.commit()
    flash(message)
    return redirect(url_for("assessment.show_submission", submission_id=submission_id))


@bp.route("/submissions/<int:submission_id>/comments", methods=["POST"])
@login_required
def comment(submission_id: int):
    raw = request.form.get("position", "")

    def add(db, submission):
        position = int(raw) if raw.isdigit() else None
        assessment.comment_on(db, current_user, submission, item_position=position, body=request.form.get("body", ""))
        return _("Comment added.")

    return _assessor_action(submission_id, add)


@bp.route("/submissions/<int:submission_id>/grade", methods=["POST"])
@login_required
def grade(submission_id: int):
    def give_grade(db, submission):
        maximum = submission.score_maximum or assessment.DEFAULT_SCORE_MAXIMUM
        score = assessment.parse_score(request.form.get("score"), maximum)
        feedback = assessment.clean_feedback(request.form.get("feedback"))
        if assessment.grade_submission(db, current_user, submission, score=score, feedback=feedback):
            return _("Graded. The grade is on its way to the course gradebook.")
        return _("Graded. This activity has no gradebook column, so the grade stays in Leerpaspoort.")

    return _assessor_action(submission_id, give_grade)


@bp.route("/submissions/<int:submission_id>/return", methods=["POST"])
@login_required
def return_for_revision(submission_id: int):
    def send_back(db, submission):
        feedback = assessment.clean_feedback(request.form.get("feedback"))
        assessment.return_submission(db, current_user, submission, feedback=feedback)
        return _("Returned for revision. The learner can change the collection and submit it again.")

    return _assessor_action(submission_id, send_back)
