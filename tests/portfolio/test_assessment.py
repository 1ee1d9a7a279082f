"""Assessment: submit a frozen copy, comment per item, grade into the gradebook, or return for revision."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.portfolio.test_collections_support import (
    LINEITEM,
    PNG,
    add_to_collection,
    assessment_link_id,
    create_collection,
    file_store,
    launch_into_assessment,
    make_evidence,
    make_reflection,
    place_assessment,
)


def _platform_row(db, platform):
    from lti_tool.lti.models import Platform

    return db.scalars(select(Platform).where(Platform.issuer == platform.issuer)).one()


@pytest.fixture
def placed(db, platform):
    return place_assessment(db, _platform_row(db, platform).id, score_maximum=10.0)


@pytest.fixture
def student(app, db, platform, placed):
    """A learner who opened the assessment from the course."""
    return launch_into_assessment(app, db, platform, placed.public_id)


@pytest.fixture
def assessor(app, db, platform, placed):
    return launch_into_assessment(app, db, platform, placed.public_id, instructor=True)


@pytest.fixture
def built(app, db, student):
    """A collection with a photo (with a file) and a reflection."""
    photo = make_evidence(
        app, db, student, "Foto van de stand", description="<p>Origineel</p>", files=[("stand.png", PNG, "image/png")]
    )
    reflection = make_reflection(db, student, "Terugblik", "<p>Ik leerde veel</p>")
    collection_id = create_collection(student, "Eindportfolio", "<p>Inleiding</p>")
    add_to_collection(student, collection_id, evidence=[photo.id], reflections=[reflection.id])
    return collection_id, photo, reflection


def _submit(student, db, collection_id):
    link_id = assessment_link_id(db)
    response = student.post(f"/assessments/{link_id}/submit", {"collection": str(collection_id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return int(re.search(r"/assessments/submissions/(\d+)", response.headers["Location"]).group(1))


def _submission(db, submission_id):
    from lti_tool.collections.models import Submission

    db.expire_all()
    return db.get(Submission, submission_id)


def _outbox(db):
    from lti_tool.outbox.models import OutboxMessage

    db.expire_all()
    return db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_the_picker_offers_the_assessment_with_a_gradebook_column_on_two_scales(db, platform):
    from lti_tool.collections.assessment import assessment_offers
    from lti_tool.lti.deep_linking import offers_for

    offers = {offer.key: offer for offer in offers_for(db, _fake_request(db, platform))}
    assert offers["assessment"].kind == "assessment" and offers["assessment"].score_maximum == 100
    assert offers["assessment-10"].score_maximum == 10 and offers["assessment-10"].has_prompt
    assert assessment_offers in __import__("lti_tool.lti.deep_linking", fromlist=["_PROVIDERS"])._PROVIDERS


def _fake_request(db, platform):
    from lti_tool.lti.deep_linking import DeepLinkRequest

    return DeepLinkRequest(
        launch_id="x", platform=_platform_row(db, platform), user_id=1, deployment_id="1",
        return_url="http://127.0.0.1/return", accept_types=["ltiResourceLink"], accept_multiple=True,
        presentations=[], has_data=False, data=None, context_id=None,
    )


def test_an_assessment_launch_lands_learners_on_the_submit_page(student):
    page = student.landing.get_data(as_text=True)
    assert "Eindbeoordeling portfolio" in page
    assert "Laat je groei zien" in page
    assert "Submit a collection" in page


def test_an_assessment_launch_lands_instructors_on_the_submissions(assessor):
    page = assessor.landing.get_data(as_text=True)
    assert "Submissions" in page and "Nothing submitted yet." in page


def test_submitting_freezes_a_copy_that_later_edits_do_not_change(app, db, student, assessor, built):
    from lti_tool.portfolio.models import Evidence, Reflection

    collection_id, photo, reflection = built
    submission_id = _submit(student, db, collection_id)

    # The learner changes everything afterwards: texts, the collection, and deletes the file.
    evidence = db.get(Evidence, photo.id)
    evidence.title = "Veranderd"
    evidence.description = "<p>Nieuw</p>"
    store = file_store(app)
    store.delete(evidence.files[0].storage_key)
    db.get(Reflection, reflection.id).content = {"body": "<p>Herschreven</p>"}
    db.commit()
    student.post(f"/portfolio/collections/{collection_id}", {"title": "Andere titel", "description": ""})

    snapshot = _submission(db, submission_id).snapshot
    assert snapshot["title"] == "Eindportfolio"
    assert [i["title"] for i in snapshot["items"]] == ["Foto van de stand", "Terugblik"]
    assert snapshot["items"][0]["description"] == "<p>Origineel</p>"
    assert snapshot["items"][1]["content"] == {"body": "<p>Ik leerde veel</p>"}

    page = assessor.get(f"/assessments/submissions/{submission_id}").get_data(as_text=True)
    assert "Foto van de stand" in page and "Origineel" in page and "Ik leerde veel" in page
    assert "Veranderd" not in page and "Herschreven" not in page
    # The file is still there for the assessor: the submission holds its own copy.
    file_response = assessor.get(f"/assessments/submissions/{submission_id}/files/1/0")
    assert file_response.status_code == 200
    assert file_response.data == PNG
    assert file_response.headers["X-Content-Type-Options"] == "nosniff"
    assert file_response.headers["Content-Disposition"].startswith("inline")


def test_an_empty_collection_cannot_be_submitted(db, student):
    collection_id = create_collection(student, "Leeg")
    response = student.post(f"/assessments/{assessment_link_id(db)}/submit", {"collection": str(collection_id)})
    assert response.status_code == 400
    assert "empty" in response.get_data(as_text=True)
    assert _count_submissions(db) == 0


def _count_submissions(db):
    from lti_tool.collections.models import Submission

    db.expire_all()
    return db.scalar(select(func.count()).select_from(Submission))


def test_a_second_submission_while_waiting_is_refused(db, student, built):
    collection_id, _photo, _reflection = built
    _submit(student, db, collection_id)
    response = student.post(f"/assessments/{assessment_link_id(db)}/submit", {"collection": str(collection_id)})
    assert response.status_code == 400
    assert "already submitted" in response.get_data(as_text=True)
    assert _count_submissions(db) == 1


def test_the_database_refuses_two_active_submissions(db, student, built):
    from sqlalchemy.exc import IntegrityError

    from lti_tool.collections.models import Submission

    collection_id, _photo, _reflection = built
    submission_id = _submit(student, db, collection_id)
    first = _submission(db, submission_id)
    db.add(
        Submission(
            collection_id=first.collection_id, platform_id=first.platform_id, resource_link_id=first.resource_link_id,
            learner_id=first.learner_id, snapshot={}, status="submitted", feedback="",
        )
    )
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_grading_writes_exactly_one_outbox_row_with_the_score(db, student, assessor, built):
    collection_id, _photo, _reflection = built
    submission_id = _submit(student, db, collection_id)
    before = len(_outbox(db))
    response = assessor.post(
        f"/assessments/submissions/{submission_id}/grade", {"score": "7,5", "feedback": "Mooi werk"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    submission = _submission(db, submission_id)
    assert (submission.status, submission.score, submission.score_maximum) == ("graded", 7.5, 10.0)
    assert submission.feedback == "Mooi werk"
    rows = _outbox(db)
    assert len(rows) == before + 1
    payload = rows[-1].payload
    assert rows[-1].target_url.startswith(LINEITEM.split("?")[0] + "/scores")
    assert payload["scoreGiven"] == 7.5 and payload["scoreMaximum"] == 10.0
    assert payload["gradingProgress"] == "FullyGraded" and payload["activityProgress"] == "Completed"
    assert payload["userId"] == "4"
    learner_view = student.get(f"/assessments/submissions/{submission_id}").get_data(as_text=True)
    assert "7.5 / 10" in learner_view and "Mooi werk" in learner_view


def test_an_invalid_score_changes_nothing(db, student, assessor, built):
    collection_id, _photo, _reflection = built
    submission_id = _submit(student, db, collection_id)
    before = len(_outbox(db))
    for score in ("11", "-1", "abc", "", "nan", "inf", "1e400"):
        response = assessor.post(f"/assessments/submissions/{submission_id}/grade", {"score": score, "feedback": ""})
        assert response.status_code == 400, score
        assert "The score must be" in response.get_data(as_text=True) or "Enter the score" in response.get_data(as_text=True)
    assert _submission(db, submission_id).status == "submitted"
    assert len(_outbox(db)) == before


def test_without_a_gradebook_column_the_grade_is_kept_and_nothing_is_queued(app, db, platform):
    placed = place_assessment(db, _platform_row(db, platform).id)
    student = launch_into_assessment(app, db, platform, placed.public_id, lineitem=None)
    assessor = launch_into_assessment(app, db, platform, placed.public_id, instructor=True, lineitem=None)
    evidence = make_evidence(app, db, student, "Iets")
    collection_id = create_collection(student)
    add_to_collection(student, collection_id, evidence=[evidence.id])
    submission_id = _submit(student, db, collection_id)
    before = len(_outbox(db))
    response = assessor.post(f"/assessments/submissions/{submission_id}/grade", {"score": "8", "feedback": ""})
    assert response.status_code == 302
    assert _submission(db, submission_id).score == 8
    assert len(_outbox(db)) == before


def test_return_for_revision_then_resubmit_keeps_the_history(app, db, student, assessor, built):
    collection_id, photo, _reflection = built
    first_id = _submit(student, db, collection_id)
    assessor.post(f"/assessments/submissions/{first_id}/comments", {"position": "1", "body": "Scherpere foto graag"})
    response = assessor.post(f"/assessments/submissions/{first_id}/return", {"feedback": "Voeg een reflectie op de stage toe"})
    assert response.status_code == 302
    first = _submission(db, first_id)
    assert first.status == "returned" and first.returned_at is not None

    # The learner sees why, changes the collection and submits again.
    page = student.get(f"/assessments/submissions/{first_id}").get_data(as_text=True)
    assert "Voeg een reflectie op de stage toe" in page and "Scherpere foto graag" in page
    extra = make_reflection(db, student, "Stagereflectie", "<p>Nieuw inzicht</p>")
    add_to_collection(student, collection_id, reflections=[extra.id])
    second_id = _submit(student, db, collection_id)
    assert second_id != first_id
    assert [i["title"] for i in _submission(db, second_id).snapshot["items"]][-1] == "Stagereflectie"
    assert len(_submission(db, first_id).snapshot["items"]) == 2  # the returned copy is unchanged

    landing = student.get(f"/assessments/{assessment_link_id(db)}").get_data(as_text=True)
    assert "Returned for revision" in landing and "Waiting for assessment" in landing
    # A returned copy can no longer be graded.
    assert assessor.post(f"/assessments/submissions/{first_id}/grade", {"score": "5"}).status_code == 400


def test_returning_needs_a_reason(db, student, assessor, built):
    collection_id, _photo, _reflection = built
    submission_id = _submit(student, db, collection_id)
    response = assessor.post(f"/assessments/submissions/{submission_id}/return", {"feedback": "  "})
    assert response.status_code == 400
    assert _submission(db, submission_id).status == "submitted"


def test_comments_per_item_are_shown_with_that_item(db, student, assessor, built):
    from lti_tool.collections.models import SubmissionComment

    collection_id, _photo, _reflection = built
    submission_id = _submit(student, db, collection_id)
    assert assessor.post(f"/assessments/submissions/{submission_id}/comments", {"position": "2", "body": "Goede terugblik"}).status_code == 302
    assert assessor.post(f"/assessments/submissions/{submission_id}/comments", {"body": "In het algemeen: sterk"}).status_code == 302
    bad = assessor.post(f"/assessments/submissions/{submission_id}/comments", {"position": "9", "body": "Nergens"})
    assert bad.status_code == 400
    db.expire_all()
    stored = db.scalars(select(SubmissionComment).order_by(SubmissionComment.id)).all()
    assert [(c.item_position, c.body) for c in stored] == [(2, "Goede terugblik"), (None, "In het algemeen: sterk")]


def test_learners_cannot_grade_return_or_comment_on_their_own_work(db, student, built):
    collection_id, _photo, _reflection = built
    submission_id = _submit(student, db, collection_id)
    for action, data in (("grade", {"score": "10"}), ("return", {"feedback": "x"}), ("comments", {"body": "x"})):
        response = student.post(f"/assessments/submissions/{submission_id}/{action}", data)
        assert response.status_code == 403
    assert _submission(db, submission_id).status == "submitted"
    assert len(_outbox(db)) == 0


@pytest.mark.parametrize("who", ["second_learner", "foreign_learner", "anonymous"])
def test_other_people_see_nothing_of_a_submission(request, db, student, built, who):
    collection_id, _photo, _reflection = built
    submission_id = _submit(student, db, collection_id)
    person = request.getfixturevalue(who)
    client = getattr(person, "client", person)
    for path in (
        f"/assessments/submissions/{submission_id}",
        f"/assessments/submissions/{submission_id}/files/1/0",
    ):
        response = client.get(path)
        assert response.status_code in (401, 403, 404), path
        assert b"Foto van de stand" not in response.data and not response.data.startswith(b"\x89PNG")
    if who != "anonymous":
        for action, data in (("grade", {"score": "10"}), ("return", {"feedback": "x"}), ("comments", {"body": "x"})):
            assert person.post(f"/assessments/submissions/{submission_id}/{action}", data).status_code in (403, 404)
    assert _submission(db, submission_id).status == "submitted"


def test_an_instructor_of_another_tenant_cannot_assess(app, db, student, built, other_platform):
    from tests.portfolio.conftest import INSTRUCTOR_LAUNCH, launch_person

    collection_id, _photo, _reflection = built
    submission_id = _submit(student, db, collection_id)
    stranger = launch_person(app, db, other_platform, INSTRUCTOR_LAUNCH)
    assert stranger.get(f"/assessments/submissions/{submission_id}").status_code == 404
    assert stranger.post(f"/assessments/submissions/{submission_id}/grade", {"score": "1"}).status_code == 404
    assert stranger.get(f"/assessments/{assessment_link_id(db)}").status_code == 404


def test_a_learner_cannot_submit_someone_elses_collection(app, db, student, second_learner):
    evidence = make_evidence(app, db, second_learner, "Van Kim")
    theirs = create_collection(second_learner, "Kims collectie")
    add_to_collection(second_learner, theirs, evidence=[evidence.id])
    response = student.post(f"/assessments/{assessment_link_id(db)}/submit", {"collection": str(theirs)})
    assert response.status_code == 404
    assert _count_submissions(db) == 0


def test_a_learner_outside_the_course_cannot_open_or_submit(app, db, student, platform, built):
    from tests.portfolio.conftest import LEARNER_LAUNCH, launch_person

    def other_course(body):
        body["sub"] = "99"
        body["https://purl.imsglobal.org/spec/lti/claim/context"] = {"id": "elsewhere", "title": "Ander vak"}
        return body

    outsider = launch_person(app, db, platform, LEARNER_LAUNCH, other_course)
    link_id = assessment_link_id(db)
    assert outsider.get(f"/assessments/{link_id}").status_code == 404
    evidence = make_evidence(app, db, outsider, "Van buiten")
    collection_id = create_collection(outsider)
    add_to_collection(outsider, collection_id, evidence=[evidence.id])
    assert outsider.post(f"/assessments/{link_id}/submit", {"collection": str(collection_id)}).status_code == 404
    assert _count_submissions(db) == 0


def test_a_submitted_collection_cannot_be_deleted(db, student, built):
    from lti_tool.collections.models import Collection

    collection_id, _photo, _reflection = built
    _submit(student, db, collection_id)
    response = student.post(f"/portfolio/collections/{collection_id}/delete")
    assert response.status_code == 400
    db.expire_all()
    assert db.get(Collection, collection_id) is not None


def test_grade_and_submit_posts_need_a_csrf_token(db, student, assessor, built):
    collection_id, _photo, _reflection = built
    link_id = assessment_link_id(db)
    assert student.client.post(f"/assessments/{link_id}/submit", data={"collection": str(collection_id)}).status_code == 400
    assert _count_submissions(db) == 0
    submission_id = _submit(student, db, collection_id)
    assert assessor.client.post(f"/assessments/submissions/{submission_id}/grade", data={"score": "5"}).status_code == 400
    assert _submission(db, submission_id).status == "submitted"
