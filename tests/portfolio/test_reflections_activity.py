"""Reflection activities: a deep-linked prompt, submission with completion and one AGS score, the roster."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lti_tool.lti.deep_linking import KIND_PARAM, KIND_REFLECTION, ITEM_PARAM, PlacedItem
from lti_tool.outbox.models import OutboxMessage
from lti_tool.people.models import ResourceLink
from lti_tool.portfolio.models import Reflection, ReflectionRevision
from tests.portfolio.conftest import INSTRUCTOR_LAUNCH, LEARNER_LAUNCH, launch_person

AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
LINK_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
LINEITEM = "http://127.0.0.1:8080/mod/lti/services.php/2/lineitems/9/lineitem?type_id=1"
PROMPT = "Wat heb je deze week geleerd over samenwerken?\nNoem een voorbeeld."
FREE_ANSWER = {"title": "Samenwerken", "body": "<p>Ik leerde afspraken vast te leggen.</p>"}


@pytest.fixture
def placed(db, platform):
    """A reflection activity as the deep-linking picker records it."""
    from lti_tool.lti.models import Platform

    tenant = db.scalars(select(Platform).where(Platform.issuer == platform.issuer)).one()
    item = PlacedItem(
        public_id="a" * 32, platform_id=tenant.id, kind=KIND_REFLECTION, title="Weekreflectie",
        prompt=PROMPT, score_maximum=10,
    )
    db.add(item)
    db.commit()
    return item


def _activity_claims(method: str | None = "free", with_score: bool = True, sub: str | None = None):
    def mutate(body):
        body[LINK_CLAIM] = {"id": "reflect-1", "title": "Weekreflectie"}
        custom = {KIND_PARAM: KIND_REFLECTION, ITEM_PARAM: "a" * 32}
        if method:
            custom["leerpaspoort_method"] = method
        body[CUSTOM_CLAIM] = custom
        scopes = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"]
        if with_score:
            scopes.append("https://purl.imsglobal.org/spec/lti-ags/scope/score")
        body[AGS_CLAIM] = {"scope": scopes, "lineitem": LINEITEM}
        if sub:
            body["sub"] = sub
            body["name"] = f"Learner {sub}"
        return body

    return mutate


@pytest.fixture
def activity_learner(app, db, platform, placed):
    return launch_person(app, db, platform, LEARNER_LAUNCH, _activity_claims())


@pytest.fixture
def activity_instructor(app, db, platform, placed):
    return launch_person(app, db, platform, INSTRUCTOR_LAUNCH, _activity_claims())


def _link(db) -> ResourceLink:
    db.expire_all()
    return db.scalars(select(ResourceLink).where(ResourceLink.resource_link_id == "reflect-1")).one()


def _outbox(db) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.scalars(select(OutboxMessage)))


def _submit(person, link_id: int, **extra):
    return person.post(f"/activities/reflection/{link_id}", {**FREE_ANSWER, "save": "1", **extra})


def test_a_learner_launch_lands_on_the_prompt_and_the_form(activity_learner, db):
    page = activity_learner.landing.get_data(as_text=True)

    assert "Wat heb je deze week geleerd over samenwerken?" in page
    assert 'name="body"' in page and 'name="situation"' not in page
    assert _link(db).kind == KIND_REFLECTION


def test_without_a_method_parameter_the_activity_asks_for_starr(app, db, platform, placed):
    person = launch_person(app, db, platform, LEARNER_LAUNCH, _activity_claims(method=None))

    page = person.landing.get_data(as_text=True)
    assert 'name="situation"' in page and 'name="reflection"' in page


def test_submitting_records_completion_and_queues_exactly_one_full_score(activity_learner, db):
    link = _link(db)

    response = _submit(activity_learner, link.id)

    assert response.status_code == 302
    reflection = db.scalars(select(Reflection)).one()
    assert reflection.status == "submitted" and reflection.submitted_at is not None
    assert reflection.resource_link_id == link.id and reflection.context_id == link.context_id
    assert db.scalars(select(ReflectionRevision.submitted)).all() == [True]
    messages = _outbox(db)
    assert len(messages) == 1
    payload = messages[0].payload
    assert messages[0].target_url.startswith("http://127.0.0.1:8080/mod/lti/services.php/2/lineitems/9/lineitem/scores")
    assert payload["userId"] == "4"
    assert (payload["scoreGiven"], payload["scoreMaximum"]) == (10, 10)
    assert (payload["activityProgress"], payload["gradingProgress"]) == ("Completed", "FullyGraded")


def test_submitting_again_updates_the_submission_without_a_second_score(activity_learner, db):
    link = _link(db)
    _submit(activity_learner, link.id)
    reflection = db.scalars(select(Reflection)).one()

    response = _submit(activity_learner, link.id, title="Herzien", base_revision=str(reflection.revision))

    assert response.status_code == 302
    assert len(_outbox(db)) == 1
    assert db.scalars(select(ReflectionRevision.number).order_by(ReflectionRevision.number)).all() == [1, 2]


def test_an_incomplete_submission_changes_nothing(activity_learner, db):
    link = _link(db)

    response = _submit(activity_learner, link.id, body="")

    assert response.status_code == 400
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Reflection)) == 0
    assert _outbox(db) == []


def test_without_the_score_scope_completion_is_recorded_and_nothing_is_queued(app, db, platform, placed):
    person = launch_person(app, db, platform, LEARNER_LAUNCH, _activity_claims(with_score=False))

    assert _submit(person, _link(db).id).status_code == 302

    assert db.scalars(select(Reflection.status)).one() == "submitted"
    assert _outbox(db) == []


def test_a_draft_on_the_activity_page_is_not_a_submission(activity_learner, db):
    link = _link(db)

    response = activity_learner.post(f"/activities/reflection/{link.id}", {**FREE_ANSWER, "save_draft": "1"})

    assert response.status_code == 302
    reflection = db.scalars(select(Reflection)).one()
    assert (reflection.status, reflection.draft_title) == ("draft", "Samenwerken")
    assert _outbox(db) == []


def test_the_first_autosave_on_the_activity_creates_the_one_reflection(activity_learner, db):
    link = _link(db)
    token = activity_learner.csrf_token()
    path = f"/activities/reflection/{link.id}/autosave"

    first = activity_learner.client.post(path, json={"title": "a", "fields": {"body": "x"}}, headers={"X-CSRFToken": token})
    second = activity_learner.client.post(path, json={"title": "b", "fields": {}}, headers={"X-CSRFToken": token})

    assert first.status_code == 201
    assert second.status_code == 409
    assert db.scalar(select(func.count()).select_from(Reflection)) == 1


def test_an_activity_reflection_cannot_go_to_the_trash(activity_learner, db):
    _submit(activity_learner, _link(db).id)
    reflection = db.scalars(select(Reflection)).one()

    response = activity_learner.post(f"/portfolio/reflections/{reflection.id}/delete")

    assert response.status_code == 400
    db.expire_all()
    assert db.get(Reflection, reflection.id).deleted_at is None


def test_the_instructor_sees_who_submitted_and_reads_the_submitted_version_only(activity_learner, app, db, platform, placed):
    link = _link(db)
    _submit(activity_learner, link.id)
    reflection = db.scalars(select(Reflection)).one()
    activity_learner.post(
        f"/activities/reflection/{link.id}",
        {"title": "Nog niet ingeleverd", "body": "<p>geheim concept</p>", "save_draft": "1", "base_revision": str(reflection.revision)},
    )
    launch_person(app, db, platform, LEARNER_LAUNCH, _activity_claims(sub="77"))
    teacher = launch_person(app, db, platform, INSTRUCTOR_LAUNCH, _activity_claims())

    roster = teacher.landing.get_data(as_text=True)
    assert "1 of 2 learners submitted." in roster
    assert "Learner 77" in roster and "Not started" in roster
    submission = teacher.get(f"/activities/reflection/{link.id}/submissions/{reflection.id}")
    assert submission.status_code == 200
    text = submission.get_data(as_text=True)
    assert "Ik leerde afspraken vast te leggen." in text
    assert "geheim concept" not in text
    # The owner's reflection page sends the instructor to the same submitted version.
    redirect = teacher.get(f"/portfolio/reflections/{reflection.id}")
    assert redirect.status_code == 302 and f"/submissions/{reflection.id}" in redirect.headers["Location"]


def test_an_unsubmitted_reflection_is_not_readable_by_the_instructor(activity_learner, activity_instructor, db):
    link = _link(db)
    activity_learner.post(f"/activities/reflection/{link.id}", {**FREE_ANSWER, "save_draft": "1"})
    reflection = db.scalars(select(Reflection)).one()

    assert activity_instructor.get(f"/activities/reflection/{link.id}/submissions/{reflection.id}").status_code == 404
    assert activity_instructor.get(f"/portfolio/reflections/{reflection.id}").status_code == 404


def test_other_learners_cannot_read_submissions(activity_learner, app, db, platform, placed):
    link = _link(db)
    _submit(activity_learner, link.id)
    reflection = db.scalars(select(Reflection)).one()
    classmate = launch_person(app, db, platform, LEARNER_LAUNCH, _activity_claims(sub="77"))

    assert classmate.get(f"/activities/reflection/{link.id}/submissions/{reflection.id}").status_code == 404
    assert classmate.get(f"/portfolio/reflections/{reflection.id}").status_code == 404
    assert "Ik leerde afspraken" not in classmate.get(f"/activities/reflection/{link.id}").get_data(as_text=True)


def test_another_tenant_does_not_find_the_activity(activity_learner, foreign_learner, db):
    link = _link(db)
    _submit(activity_learner, link.id)
    reflection = db.scalars(select(Reflection)).one()

    assert foreign_learner.get(f"/activities/reflection/{link.id}").status_code == 404
    assert foreign_learner.post(f"/activities/reflection/{link.id}", {**FREE_ANSWER, "save": "1"}).status_code == 404
    assert foreign_learner.get(f"/activities/reflection/{link.id}/submissions/{reflection.id}").status_code == 404
    assert len(_outbox(db)) == 1


def test_a_learner_outside_the_course_cannot_write_for_the_activity(activity_learner, learner, db):
    from lti_tool.people.models import Membership

    link = _link(db)
    db.execute(Membership.__table__.delete().where(Membership.user_id == learner.user_id))
    db.commit()

    assert learner.get(f"/activities/reflection/{link.id}").status_code == 403
    assert learner.post(f"/activities/reflection/{link.id}", {**FREE_ANSWER, "save": "1"}).status_code == 403
    assert db.scalar(select(func.count()).select_from(Reflection)) == 0


def test_anonymous_visitors_are_refused(activity_learner, anonymous, db):
    link = _link(db).id
    _submit(activity_learner, link)
    reflection = db.scalars(select(Reflection)).one()

    assert anonymous.get(f"/activities/reflection/{link}").status_code == 401
    submission = anonymous.get(f"/activities/reflection/{link}/submissions/{reflection.id}")
    assert submission.status_code == 401 and "afspraken" not in submission.get_data(as_text=True)
    # Without a session there is no CSRF token either: refused before the login check.
    assert anonymous.post(f"/activities/reflection/{link}", data={**FREE_ANSWER, "save": "1"}).status_code == 400
    assert anonymous.post(f"/activities/reflection/{link}/autosave", json=FREE_ANSWER).status_code == 400
    assert db.scalar(select(func.count()).select_from(ReflectionRevision)) == 1


def test_a_portfolio_link_is_not_a_reflection_activity(learner, db):
    link = db.scalars(select(ResourceLink)).one()

    assert link.kind == "portfolio"
    assert learner.get(f"/activities/reflection/{link.id}").status_code == 404


def test_the_prompt_is_shown_as_text_never_as_markup(app, db, platform, placed):
    placed.prompt = "<script>alert(1)</script><b>Vet?</b>"
    db.commit()

    person = launch_person(app, db, platform, LEARNER_LAUNCH, _activity_claims())

    page = person.landing.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;Vet?&lt;/b&gt;" in page
    assert "<script>alert(1)" not in page


def test_the_picker_offers_a_free_text_activity_that_asks_for_free_text(db, platform):
    from lti_tool.lti.deep_linking import DeepLinkRequest, offers_for
    from lti_tool.lti.models import Platform

    request = DeepLinkRequest(
        launch_id="x", platform=db.scalars(select(Platform)).one(), user_id=1, deployment_id="1",
        return_url="http://127.0.0.1/return", accept_types=["ltiResourceLink"], accept_multiple=True,
        presentations=["iframe"], has_data=False, data=None, context_id=None,
    )

    offers = {offer.key: offer for offer in offers_for(db, request)}

    free = offers["reflection-free"]
    assert free.kind == KIND_REFLECTION and free.has_prompt and free.score_maximum == 100
    assert free.custom == {"leerpaspoort_method": "free"}
