"""Adding, changing, deleting and restoring evidence, through the pages a learner uses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lti_tool.competencies.models import EvidenceCompetency
from lti_tool.portfolio.models import Evidence, EvidenceFile
from tests.portfolio.conftest import (
    jpeg_bytes,
    make_evidence,
    make_framework,
    make_reflection,
    pdf_bytes,
    post_evidence,
    stored_files,
)


def _count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def _only_evidence(db) -> Evidence:
    db.expire_all()
    return db.scalars(select(Evidence)).one()


# -- adding ------------------------------------------------------------------------------------


def test_the_form_preselects_the_course_the_learner_launched_from(learner):
    page = learner.get("/portfolio/evidence/new?type=photo").get_data(as_text=True)
    assert f'<option selected value="{learner.context_id}">E-Portfolio 101</option>' in page
    assert '<option selected value="photo">' in page


def test_learner_adds_a_note_with_tags_in_their_course(learner, db):
    response = post_evidence(learner, course=str(learner.context_id), tags="teamwork, EHBO, Teamwork")
    assert response.status_code == 302
    evidence = _only_evidence(db)
    assert (evidence.kind, evidence.type, evidence.source) == ("informal", "note", "learner")
    assert evidence.context_id == learner.context_id
    assert evidence.portfolio_id == learner.portfolio_id and evidence.platform_id == learner.platform_id
    assert [t.tag for t in evidence.tags] == ["EHBO", "teamwork"]
    assert response.headers["Location"] == f"/portfolio/evidence/{evidence.id}"


def test_description_is_sanitised_before_it_is_stored(learner, db):
    post_evidence(
        learner,
        description='<p onclick="steal()">Did <strong>this</strong><script>alert(1)</script>'
        '<a href="javascript:alert(2)">x</a><img src=x onerror=alert(3)></p>',
    )
    stored = _only_evidence(db).description
    assert "<strong>this</strong>" in stored
    for bad in ("script", "onclick", "javascript:", "onerror", "<img"):
        assert bad not in stored


def test_a_diploma_needs_its_issuer_and_an_expiry_after_the_date_of_issue(learner, db):
    missing = post_evidence(learner, type="diploma", title="MBO diploma", issuer="")
    assert missing.status_code == 400
    assert "Fill in who issued" in missing.get_data(as_text=True)
    backwards = post_evidence(
        learner, type="licence", title="Forklift", issuer="CBR", occurred_on="2026-05-01", expires_on="2026-04-01"
    )
    assert backwards.status_code == 400
    assert "expiry date must come after" in backwards.get_data(as_text=True)
    assert _count(db, Evidence) == 0
    ok = post_evidence(
        learner, type="certificate", title="BHV", issuer="NIBHV", occurred_on="2026-05-01", expires_on="2027-05-01",
        files=[(pdf_bytes(), "bhv.pdf")],
    )
    assert ok.status_code == 302
    evidence = _only_evidence(db)
    assert (evidence.kind, evidence.issuer, evidence.expires_on) == ("formal", "NIBHV", date(2027, 5, 1))


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/x", "example.org", ""])
def test_a_link_needs_a_web_address(learner, db, url):
    response = post_evidence(learner, type="link", url=url)
    assert response.status_code == 400
    assert "starts with https://" in response.get_data(as_text=True)
    assert _count(db, Evidence) == 0


def test_a_link_keeps_its_address_and_other_types_drop_one(learner, db):
    post_evidence(learner, type="link", url="https://example.org/project")
    post_evidence(learner, type="note", url="https://example.org/ignored")
    urls = sorted(str(e.url) for e in db.scalars(select(Evidence)))
    assert urls == ["None", "https://example.org/project"]


def test_a_photo_needs_a_file(learner, db):
    response = post_evidence(learner, type="photo")
    assert response.status_code == 400
    assert "Add at least one file" in response.get_data(as_text=True)
    assert _count(db, Evidence) == 0


def test_dates_in_the_future_and_nonsense_are_refused(learner, db):
    future = (date.today() + timedelta(days=10)).isoformat()
    assert post_evidence(learner, occurred_on=future).status_code == 400
    assert post_evidence(learner, occurred_on="yesterday").status_code == 400
    assert post_evidence(learner, type="module").status_code == 400
    assert post_evidence(learner, title="   ").status_code == 400
    assert _count(db, Evidence) == 0


def test_a_course_the_learner_is_not_enrolled_in_is_refused(learner, foreign_learner, db):
    response = post_evidence(learner, course=str(foreign_learner.context_id))
    assert response.status_code == 400
    assert _count(db, Evidence) == 0


def test_competencies_come_from_the_learners_own_platform(learner, foreign_learner, db):
    own = make_framework(db, learner.platform_id)
    other = make_framework(db, foreign_learner.platform_id, name="Elsewhere")
    form_page = learner.get("/portfolio/evidence/new").get_data(as_text=True)
    assert "Competency C1" in form_page and "Elsewhere" not in form_page
    refused = post_evidence(learner, competencies=str(other.competencies[0].id))
    assert refused.status_code == 400
    assert _count(db, Evidence) == 0
    accepted = post_evidence(learner, competencies=[str(own.competencies[0].id), str(own.competencies[1].id)])
    assert accepted.status_code == 302
    linked = set(db.scalars(select(EvidenceCompetency.competency_id)))
    assert linked == {own.competencies[0].id, own.competencies[1].id}


def test_posting_without_a_csrf_token_is_refused_and_stores_nothing(learner, app, db):
    response = learner.client.post(
        "/portfolio/evidence/new", data={"type": "note", "title": "x", "occurred_on": "2026-01-01", "course": ""}
    )
    assert response.status_code == 400
    assert _count(db, Evidence) == 0
    assert stored_files(app) == []


def test_the_detail_page_lists_the_owners_reflections_on_the_item(learner, second_learner, db):
    evidence = make_evidence(db, learner, title="Shift report")
    make_reflection(db, learner, title="Looking back on the shift", evidence_id=evidence.id)
    make_reflection(db, learner, title="Thrown away", evidence_id=evidence.id, deleted_at=_days_ago(1))
    make_reflection(db, second_learner, title="Someone elses thoughts", evidence_id=evidence.id)
    page = learner.get(f"/portfolio/evidence/{evidence.id}").get_data(as_text=True)
    assert "Looking back on the shift" in page
    assert "Thrown away" not in page and "Someone elses thoughts" not in page


# -- changing ----------------------------------------------------------------------------------


def test_learner_changes_fields_tags_and_competencies(learner, db):
    framework = make_framework(db, learner.platform_id)
    first, second = (c.id for c in framework.competencies)
    post_evidence(learner, tags="a, b", competencies=str(first))
    evidence = _only_evidence(db)
    edit_page = learner.get(f"/portfolio/evidence/{evidence.id}/edit").get_data(as_text=True)
    assert 'value="a, b"' in edit_page
    response = post_evidence(
        learner, f"/portfolio/evidence/{evidence.id}/edit", title="Renamed", tags="b, c", competencies=str(second)
    )
    assert response.status_code == 302
    changed = _only_evidence(db)
    assert changed.title == "Renamed"
    assert [t.tag for t in changed.tags] == ["b", "c"]
    assert set(db.scalars(select(EvidenceCompetency.competency_id))) == {second}


def test_removing_a_file_deletes_it_from_the_store_after_the_commit(learner, app, db):
    post_evidence(learner, type="document", files=[(pdf_bytes(), "a.pdf"), (b"plain words\n", "b.txt")])
    evidence = _only_evidence(db)
    assert len(stored_files(app)) == 2
    pdf = next(f for f in evidence.files if f.original_name == "a.pdf")
    response = post_evidence(learner, f"/portfolio/evidence/{evidence.id}/edit", type="document", remove_files=str(pdf.id))
    assert response.status_code == 302
    assert [f.original_name for f in _only_evidence(db).files] == ["b.txt"]
    assert len(stored_files(app)) == 1


def test_the_last_file_of_a_document_cannot_be_removed(learner, app, db):
    post_evidence(learner, type="document", files=[(pdf_bytes(), "a.pdf")])
    evidence = _only_evidence(db)
    response = post_evidence(
        learner, f"/portfolio/evidence/{evidence.id}/edit", type="document", remove_files=str(evidence.files[0].id)
    )
    assert response.status_code == 400
    assert len(_only_evidence(db).files) == 1
    assert len(stored_files(app)) == 1


def test_the_kind_cannot_change_to_one_its_files_do_not_fit(learner, db):
    post_evidence(learner, type="photo", files=[(jpeg_bytes(), "p.jpg")])
    evidence = _only_evidence(db)
    response = post_evidence(learner, f"/portfolio/evidence/{evidence.id}/edit", type="audio")
    assert response.status_code == 400
    assert "do not fit" in response.get_data(as_text=True)
    assert _only_evidence(db).type == "photo"
    assert post_evidence(learner, f"/portfolio/evidence/{evidence.id}/edit", type="note").status_code == 302


def test_evidence_from_a_module_cannot_be_changed_by_hand(learner, db):
    evidence = make_evidence(db, learner, kind="formal", type="module", source="xapi", title="Module passed")
    assert learner.get(f"/portfolio/evidence/{evidence.id}/edit").status_code == 404
    assert post_evidence(learner, f"/portfolio/evidence/{evidence.id}/edit", title="Forged").status_code == 404
    db.expire_all()
    assert db.get(Evidence, evidence.id).title == "Module passed"
    detail = learner.get(f"/portfolio/evidence/{evidence.id}").get_data(as_text=True)
    assert "Reported by an e-learning module" in detail and f"/portfolio/evidence/{evidence.id}/edit" not in detail


# -- trash -------------------------------------------------------------------------------------


def test_delete_asks_for_confirmation_then_moves_to_the_trash(learner, db):
    evidence = make_evidence(db, learner, title="To be deleted")
    page = learner.get(f"/portfolio/evidence/{evidence.id}/delete")
    assert page.status_code == 200 and "Move to trash" in page.get_data(as_text=True)
    db.expire_all()
    assert db.get(Evidence, evidence.id).deleted_at is None
    unconfirmed = learner.client.post(f"/portfolio/evidence/{evidence.id}/delete")
    assert unconfirmed.status_code == 400
    db.expire_all()
    assert db.get(Evidence, evidence.id).deleted_at is None
    assert learner.post(f"/portfolio/evidence/{evidence.id}/delete").status_code == 302
    db.expire_all()
    assert db.get(Evidence, evidence.id).deleted_at is not None
    learner.get("/portfolio")  # shows (and uses up) the notice that names it
    assert "To be deleted" not in learner.get("/portfolio").get_data(as_text=True)
    assert learner.get(f"/portfolio/evidence/{evidence.id}").status_code == 404
    trash = learner.get("/portfolio/trash").get_data(as_text=True)
    assert "To be deleted" in trash


def test_restore_brings_an_item_back_from_the_trash(learner, db):
    evidence = make_evidence(db, learner, title="Comes back", deleted_at=_days_ago(3))
    assert learner.post(f"/portfolio/trash/{evidence.id}/restore").status_code == 302
    db.expire_all()
    assert db.get(Evidence, evidence.id).deleted_at is None
    assert 'data-testid="timeline-evidence"' in learner.get("/portfolio").get_data(as_text=True)


def test_purge_deletes_the_item_and_its_files_for_good(learner, app, db):
    post_evidence(learner, type="photo", files=[(jpeg_bytes(), "p.jpg")])
    evidence = _only_evidence(db)
    assert len(stored_files(app)) == 2  # the picture and its thumbnail
    assert learner.post(f"/portfolio/trash/{evidence.id}/purge").status_code == 404  # not in the trash yet
    learner.post(f"/portfolio/evidence/{evidence.id}/delete")
    assert learner.post(f"/portfolio/trash/{evidence.id}/purge").status_code == 302
    assert _count(db, Evidence) == 0 and _count(db, EvidenceFile) == 0
    assert stored_files(app) == []


def _days_ago(days: int):
    from lti_tool.db import utcnow

    return utcnow() - timedelta(days=days)


def test_housekeeping_purges_only_what_has_been_in_the_trash_for_30_days(app, learner, db):
    from lti_tool import current_settings
    from lti_tool.housekeeping import run_housekeeping

    old = make_evidence(db, learner, title="Old", deleted_at=_days_ago(31))
    recent = make_evidence(db, learner, title="Recent", deleted_at=_days_ago(29))
    live = make_evidence(db, learner, title="Live")
    with app.app_context():
        counts = run_housekeeping(db, current_settings())
        db.commit()
    assert counts["evidence_purged"] == 1
    db.expire_all()
    assert db.get(Evidence, old.id) is None
    assert db.get(Evidence, recent.id) is not None and db.get(Evidence, live.id) is not None


# -- who may do what ---------------------------------------------------------------------------


def _routes(evidence_id: int, file_id: int):
    return [
        ("GET", f"/portfolio/evidence/{evidence_id}"),
        ("GET", f"/portfolio/evidence/{evidence_id}/edit"),
        ("POST", f"/portfolio/evidence/{evidence_id}/edit"),
        ("GET", f"/portfolio/evidence/{evidence_id}/delete"),
        ("POST", f"/portfolio/evidence/{evidence_id}/delete"),
        ("POST", f"/portfolio/trash/{evidence_id}/restore"),
        ("POST", f"/portfolio/trash/{evidence_id}/purge"),
        ("GET", f"/portfolio/files/{file_id}"),
        ("GET", f"/portfolio/files/{file_id}/thumbnail"),
    ]


@pytest.fixture
def sams_photo(learner, db):
    post_evidence(learner, type="photo", title="Sams secret photo", files=[(jpeg_bytes(), "secret.jpg")])
    return _only_evidence(db)


@pytest.mark.parametrize("intruder", ["second_learner", "foreign_learner", "instructor"])
def test_nobody_else_reaches_a_learners_evidence_or_files(request, sams_photo, db, app, intruder):
    person = request.getfixturevalue(intruder)
    file_id = sams_photo.files[0].id
    for method, path in _routes(sams_photo.id, file_id):
        if method == "GET":
            response = person.get(path)
        else:
            response = person.post(path, {"type": "note", "title": "Hijacked", "occurred_on": "2026-01-01", "course": ""})
        assert response.status_code in (403, 404), (method, path, response.status_code)
        body = response.get_data()
        assert b"Sams secret photo" not in body and b"secret.jpg" not in body
        assert b"\xff\xd8" not in body[:2]
    db.expire_all()
    still = db.get(Evidence, sams_photo.id)
    assert still.title == "Sams secret photo" and still.deleted_at is None
    assert len(stored_files(app)) == 2
    # Nor does it show up on their own pages.
    for page in ("/portfolio", "/home", "/portfolio/trash"):
        assert "Sams secret photo" not in person.get(page).get_data(as_text=True)


def test_nobody_else_reaches_items_in_the_trash(sams_photo, learner, second_learner, db):
    learner.post(f"/portfolio/evidence/{sams_photo.id}/delete")
    assert second_learner.post(f"/portfolio/trash/{sams_photo.id}/restore").status_code == 404
    assert second_learner.post(f"/portfolio/trash/{sams_photo.id}/purge").status_code == 404
    db.expire_all()
    assert db.get(Evidence, sams_photo.id).deleted_at is not None


def test_anonymous_visitors_get_nothing(sams_photo, anonymous):
    paths = [path for _, path in _routes(sams_photo.id, sams_photo.files[0].id)]
    paths += ["/portfolio", "/portfolio/evidence/new", "/portfolio/trash", "/portfolio/courses/1"]
    for path in paths:
        response = anonymous.get(path)
        assert response.status_code in (401, 405), (path, response.status_code)
        assert b"Sams secret photo" not in response.get_data()
    assert anonymous.post("/portfolio/evidence/new").status_code in (400, 401)
