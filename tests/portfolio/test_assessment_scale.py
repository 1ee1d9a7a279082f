"""The maximum score an instructor chooses for an assessment: picker, line item, grade form, AGS score."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from lti_tool.lti.deep_linking import PlacedItem
from lti_tool.lti.models import LaunchRecord
from tests.functional.test_deep_linking import CONTENT_ITEMS, DL_FIXTURE, _response_jwt, _submit, _verified
from tests.portfolio.test_collections_support import (
    add_to_collection,
    assessment_link_id,
    create_collection,
    launch_into_assessment,
    make_evidence,
    place_assessment,
)


def _open_picker(launcher):
    page = launcher.enter(DL_FIXTURE)
    return page.get_data(as_text=True), page.request.path


def _place(client, picker_html, path, **fields):
    return _submit(client, path, picker_html, item="assessment", action="place", **fields)


def _placed_count(db) -> int:
    return db.scalar(select(func.count()).select_from(PlacedItem))


def test_the_picker_asks_for_the_maximum_of_the_points_assessment_only(launcher):
    picker, _path = _open_picker(launcher)

    field = re.search(r'<input id="score-maximum-assessment"[^>]*>', picker)
    assert field, "no maximum score field for the assessment"
    assert 'type="number"' in field.group(0) and 'min="1"' in field.group(0) and 'max="1000"' in field.group(0)
    assert 'value="100"' in field.group(0)
    # The grade out of 10 and the reflection activity keep their fixed scales.
    assert 'id="score-maximum-assessment-10"' not in picker
    assert 'id="score-maximum-reflection"' not in picker


def test_the_chosen_maximum_is_the_line_items_score_maximum(launcher, client, platform, db):
    picker, path = _open_picker(launcher)

    answer = _place(client, picker, path, **{"score-maximum-assessment": "40", "title-assessment": "Eindportfolio"})

    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    (item,) = _verified(client, _response_jwt(answer.get_data(as_text=True)), platform)[CONTENT_ITEMS]
    placed = db.scalars(select(PlacedItem)).one()
    assert item["lineItem"]["scoreMaximum"] == 40
    assert item["lineItem"]["label"] == "Eindportfolio"
    assert item["custom"]["leerpaspoort_kind"] == "assessment"
    assert placed.score_maximum == 40


def test_without_a_maximum_the_assessment_is_out_of_100(launcher, client, platform, db):
    picker, path = _open_picker(launcher)

    answer = _place(client, picker, path, **{"score-maximum-assessment": "  "})

    (item,) = _verified(client, _response_jwt(answer.get_data(as_text=True)), platform)[CONTENT_ITEMS]
    assert item["lineItem"]["scoreMaximum"] == 100
    assert db.scalars(select(PlacedItem.score_maximum)).one() == 100


def test_the_grade_out_of_10_ignores_a_maximum_sent_for_it(launcher, client, platform, db):
    picker, path = _open_picker(launcher)

    answer = _submit(client, path, picker, item="assessment-10", action="place", **{"score-maximum-assessment-10": "55"})

    (item,) = _verified(client, _response_jwt(answer.get_data(as_text=True)), platform)[CONTENT_ITEMS]
    assert item["lineItem"]["scoreMaximum"] == 10


@pytest.mark.parametrize("value", ["0", "1001", "7.5", "-3", "abc", "1e3", "١٠"])
def test_a_maximum_outside_1_to_1000_is_refused_and_places_nothing(launcher, client, db, value):
    picker, path = _open_picker(launcher)

    response = _place(client, picker, path, **{"score-maximum-assessment": value})

    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "The maximum score must be a whole number from 1 to 1000." in text
    assert 'name="JWT"' not in text
    # What the instructor typed stays in the form to be corrected.
    assert f'name="score-maximum-assessment" type="number" min="1" max="1000" step="1" value="{value}"' in text
    assert _placed_count(db) == 0
    db.expire_all()
    assert db.scalars(select(LaunchRecord.message_type)).one() == "LtiDeepLinkingRequest"


# --- grading against the chosen maximum ----------------------------------------------------------


@pytest.fixture
def graded_setup(app, db, platform):
    """An assessment placed out of 40, a learner's submission to it, and the course's assessor."""
    from lti_tool.lti.models import Platform

    platform_id = db.scalars(select(Platform.id).where(Platform.issuer == platform.issuer)).one()
    placed = place_assessment(db, platform_id, score_maximum=40.0)
    student = launch_into_assessment(app, db, platform, placed.public_id)
    assessor = launch_into_assessment(app, db, platform, placed.public_id, instructor=True)
    evidence = make_evidence(app, db, student, "Verslag")
    collection_id = create_collection(student)
    add_to_collection(student, collection_id, evidence=[evidence.id])
    response = student.post(f"/assessments/{assessment_link_id(db)}/submit", {"collection": str(collection_id)})
    submission_id = int(re.search(r"/assessments/submissions/(\d+)", response.headers["Location"]).group(1))
    return assessor, submission_id


def _state(db, submission_id):
    from lti_tool.collections.models import Submission
    from lti_tool.outbox.models import OutboxMessage

    db.expire_all()
    submission = db.get(Submission, submission_id)
    outbox = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return submission, outbox


def test_the_grade_form_names_the_chosen_maximum(db, graded_setup):
    assessor, submission_id = graded_setup
    submission, _outbox = _state(db, submission_id)
    assert submission.score_maximum == 40

    page = assessor.get(f"/assessments/submissions/{submission_id}").get_data(as_text=True)

    assert "Score (0 to 40)" in page


@pytest.mark.parametrize("score", ["40.5", "41", "100", "-0.5"])
def test_a_grade_above_the_chosen_maximum_is_refused_and_changes_nothing(db, graded_setup, score):
    assessor, submission_id = graded_setup
    _before, outbox_before = _state(db, submission_id)

    response = assessor.post(f"/assessments/submissions/{submission_id}/grade", {"score": score, "feedback": "x"})

    assert response.status_code == 400
    assert "The score must be between 0 and 40." in response.get_data(as_text=True)
    submission, outbox = _state(db, submission_id)
    assert (submission.status, submission.score, submission.feedback) == ("submitted", None, "")
    assert len(outbox) == len(outbox_before)


def test_the_ags_score_carries_the_grade_and_the_chosen_maximum(db, graded_setup):
    assessor, submission_id = graded_setup
    _before, outbox_before = _state(db, submission_id)

    response = assessor.post(f"/assessments/submissions/{submission_id}/grade", {"score": "32,5", "feedback": ""})

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    submission, outbox = _state(db, submission_id)
    assert (submission.status, submission.score, submission.score_maximum) == ("graded", 32.5, 40)
    (message,) = outbox[len(outbox_before):]
    assert message.payload["scoreGiven"] == 32.5
    assert message.payload["scoreMaximum"] == 40
    assert message.payload["gradingProgress"] == "FullyGraded"
