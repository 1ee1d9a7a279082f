"""The timeline: one list of evidence and reflections, newest first, filtered and searched in SQL."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from lti_tool.competencies.models import EvidenceCompetency
from lti_tool.portfolio.timeline import TimelineFilter, timeline
from tests.portfolio.conftest import make_evidence, make_framework, make_reflection

_TITLE = re.compile(r'class="pf-entry-title">(?:<a [^>]*>)?([^<]+)<')


def titles(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return _TITLE.findall(response.get_data(as_text=True))


@pytest.fixture
def mixed(learner, db):
    """Formal and informal evidence and reflections, in and out of the course, on several days."""
    course = learner.context_id
    make_evidence(db, learner, title="Oldest note", occurred_on=date(2025, 1, 5), tags=["teamwork"])
    make_evidence(db, learner, kind="formal", type="diploma", title="MBO diploma", issuer="ROC Utrecht",
                  occurred_on=date(2025, 7, 1))
    make_evidence(db, learner, kind="formal", type="module", source="xapi", title="Hygiene module passed",
                  occurred_on=date(2026, 2, 1), context_id=course, outcome={"score": 0.9})
    make_evidence(db, learner, type="photo", title="Wound care photo", occurred_on=date(2026, 3, 1),
                  context_id=course, tags=["Wondzorg", "teamwork"], description="<p>Dressing a leg wound</p>")
    make_evidence(db, learner, title="Deleted note", occurred_on=date(2026, 3, 2), deleted_at=_now())
    from lti_tool.db import utcnow

    make_reflection(db, learner, title="What I learned about hygiene", context_id=course,
                    created_at=utcnow() - timedelta(days=1), content={"body": "<p>Wash hands 100% of the time</p>"})
    return learner


def _now():
    from lti_tool.db import utcnow

    return utcnow()


def test_timeline_shows_evidence_and_reflections_newest_first(mixed):
    assert titles(mixed.get("/portfolio")) == [
        "What I learned about hygiene",
        "Wound care photo",
        "Hygiene module passed",
        "MBO diploma",
        "Oldest note",
    ]


def test_formal_evidence_from_a_module_is_marked(mixed):
    page = mixed.get("/portfolio").get_data(as_text=True)
    assert "from an e-learning module" in page
    assert "ROC Utrecht" in page


@pytest.mark.parametrize(
    "query, expected",
    [
        ("kind=formal", ["Hygiene module passed", "MBO diploma"]),
        ("kind=informal", ["Wound care photo", "Oldest note"]),
        ("kind=reflection", ["What I learned about hygiene"]),
        ("type=photo", ["Wound care photo"]),
        ("type=diploma", ["MBO diploma"]),
        ("tag=teamwork", ["Wound care photo", "Oldest note"]),
        ("tag=WONDZORG", ["Wound care photo"]),
        ("q=hygiene", ["What I learned about hygiene", "Hygiene module passed"]),
        ("q=leg+wound", ["Wound care photo"]),
        ("q=utrecht", ["MBO diploma"]),
        ("q=wondzorg", ["Wound care photo"]),
        ("q=100%25", ["What I learned about hygiene"]),
        ("q=%25", ["What I learned about hygiene"]),
        ("q=_", []),
        ("q=deleted", []),
        ("kind=formal&q=diploma", ["MBO diploma"]),
        ("kind=nonsense", ["What I learned about hygiene", "Wound care photo", "Hygiene module passed",
                           "MBO diploma", "Oldest note"]),
    ],
)
def test_filters_and_search(mixed, query, expected):
    assert titles(mixed.get(f"/portfolio?{query}")) == expected


@pytest.mark.parametrize("query", ["q=één+dag", "q=ÉÉN", "q=HAUPTSTRAßE", "tag=ÉÉNDAAGS", "tag=ééndaags", "tag=Straße"])
def test_search_and_tags_ignore_case_beyond_a_to_z(learner, db, query):
    # SQLite's own lower() folds only A-Z; PostgreSQL's folds every letter. Both must find these.
    make_evidence(db, learner, title="ÉÉN DAG meelopen op de IC", occurred_on=date(2026, 1, 1), tags=["Ééndaags"])
    make_evidence(db, learner, title="Stage in de Hauptstraße", occurred_on=date(2026, 1, 2), tags=["Straße"])
    make_evidence(db, learner, title="Een andere notitie", occurred_on=date(2026, 1, 3))
    expected = "Stage in de Hauptstraße" if "stra" in query.lower() else "ÉÉN DAG meelopen op de IC"
    assert titles(learner.get(f"/portfolio?{query}")) == [expected]


def test_course_filter_keeps_what_belongs_to_the_course(mixed):
    assert titles(mixed.get(f"/portfolio?course={mixed.context_id}")) == [
        "What I learned about hygiene",
        "Wound care photo",
        "Hygiene module passed",
    ]


def test_competency_filter(mixed, db):
    framework = make_framework(db, mixed.platform_id)
    photo = make_evidence(db, mixed, title="Linked photo", type="photo", occurred_on=date(2024, 1, 1))
    db.add(EvidenceCompetency(evidence_id=photo.id, competency_id=framework.competencies[1].id))
    db.commit()
    page = mixed.get("/portfolio")
    assert "Competency C2" in page.get_data(as_text=True)  # offered as a filter
    assert titles(mixed.get(f"/portfolio?competency={framework.competencies[1].id}")) == ["Linked photo"]
    assert titles(mixed.get(f"/portfolio?competency={framework.competencies[0].id}")) == []


def test_nothing_of_another_learner_or_tenant_appears(mixed, second_learner, foreign_learner, db):
    make_evidence(db, second_learner, title="Kims private note")
    make_evidence(db, foreign_learner, title="Other tenant note")
    make_reflection(db, second_learner, title="Kims reflection")
    assert "Kims" not in " ".join(titles(mixed.get("/portfolio")))
    assert "Other tenant" not in " ".join(titles(mixed.get("/portfolio?q=note")))
    assert titles(second_learner.get("/portfolio")) == ["Kims reflection", "Kims private note"]
    assert titles(foreign_learner.get("/portfolio")) == ["Other tenant note"]
    # Filtering on someone else's course or competency reveals nothing either.
    assert titles(foreign_learner.get(f"/portfolio?course={mixed.context_id}")) == []


def test_pages_of_twenty_five(learner, db):
    for day in range(30):
        make_evidence(db, learner, title=f"Item {day:02d}", occurred_on=date(2026, 1, 1) + timedelta(days=day))
    first = learner.get("/portfolio")
    assert titles(first) == [f"Item {d:02d}" for d in range(29, 4, -1)]
    assert 'rel="next" href="/portfolio?page=2"' in first.get_data(as_text=True)
    second = learner.get("/portfolio?page=2")
    assert titles(second) == [f"Item {d:02d}" for d in range(4, -1, -1)]
    assert 'rel="next"' not in second.get_data(as_text=True)
    assert titles(learner.get("/portfolio?page=99")) == []


def test_pagination_keeps_the_filters(learner, db):
    for day in range(27):
        make_evidence(db, learner, title=f"Tagged {day}", tags=["x"], occurred_on=date(2026, 1, 1) + timedelta(days=day))
    page = learner.get("/portfolio?tag=x").get_data(as_text=True)
    assert 'href="/portfolio?tag=x&amp;page=2"' in page


def _count_queries(app, run) -> int:
    engine = app.extensions["leerpaspoort.engine"]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        # The frame-ancestors header reads the platforms now and then (a 5 s cache): not ours.
        if "FROM platforms" not in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_the_page(app, learner, db):
    def add(n, offset):
        for i in range(n):
            make_evidence(db, learner, title=f"E{offset + i}", type="photo", tags=["a", "b"],
                          context_id=learner.context_id)
            make_reflection(db, learner, title=f"R{offset + i}", context_id=learner.context_id)

    add(2, 0)
    few = _count_queries(app, lambda: learner.get("/portfolio"))
    add(20, 100)
    many = _count_queries(app, lambda: learner.get("/portfolio"))
    assert many == few


def test_timeline_service_returns_entries_with_their_course(learner, db):
    make_evidence(db, learner, title="In course", context_id=learner.context_id)
    page = timeline(db, learner.portfolio_id, TimelineFilter())
    assert [(e.kind, e.evidence.title, e.course.title) for e in page.entries] == [("evidence", "In course", "E-Portfolio 101")]
    assert not page.has_next


# -- the course view ---------------------------------------------------------------------------


def test_the_course_view_shows_the_course_part_with_add_buttons(mixed):
    response = mixed.get(f"/portfolio/courses/{mixed.context_id}")
    assert titles(response) == ["What I learned about hygiene", "Wound care photo", "Hygiene module passed"]
    html = response.get_data(as_text=True)
    assert f'href="/portfolio/evidence/new?type=photo&amp;course={mixed.context_id}"' in html
    assert "See your whole portfolio" in html


def test_home_after_a_course_launch_shows_that_course_first(mixed):
    response = mixed.get("/home")
    html = response.get_data(as_text=True)
    assert "Sam Student" in html and "E-Portfolio 101" in html
    assert titles(response) == ["What I learned about hygiene", "Wound care photo", "Hygiene module passed"]


def test_the_course_view_is_only_for_enrolled_learners(mixed, foreign_learner, second_learner, db):
    assert foreign_learner.get(f"/portfolio/courses/{mixed.context_id}").status_code == 404
    assert mixed.get(f"/portfolio/courses/{foreign_learner.context_id}").status_code == 404
    # A classmate sees the course, but only their own part of it.
    assert titles(second_learner.get(f"/portfolio/courses/{mixed.context_id}")) == []


def test_the_timeline_survives_hostile_titles(learner, db):
    make_evidence(db, learner, title='<script>alert(1)</script><img src=x onerror=alert(2)>', tags=['"><svg onload=alert(3)>'])
    html = learner.get("/portfolio").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<svg onload" not in html and "<img src=x" not in html


def test_an_evidence_card_shows_its_first_thumbnail_its_file_count_and_its_tags_in_order(learner, db):
    from lti_tool.portfolio.models import EvidenceFile

    def stored(evidence_id, name, thumbnail):
        return EvidenceFile(evidence_id=evidence_id, storage_key=f"evidence/{name}", original_name=name,
                            thumbnail_key=f"evidence/{name}-thumb" if thumbnail else None,
                            content_type="image/jpeg", size=10, sha256=name.ljust(64, "0"))

    with_files = make_evidence(db, learner, type="photo", title="Photos", tags=["zorg", "Avond", "EHBO"])
    make_evidence(db, learner, title="Plain note", occurred_on=date(2025, 1, 1))
    other = make_evidence(db, learner, type="photo", title="Other photo", occurred_on=date(2024, 1, 1))
    files = [stored(with_files.id, "scan", False), stored(with_files.id, "first", True), stored(with_files.id, "second", True),
             stored(other.id, "other", True)]
    db.add_all(files)
    db.commit()

    page = learner.get("/portfolio").get_data(as_text=True)
    cards = {}
    for card in re.findall(r'data-testid="timeline-evidence">(.*?)</div>\s*</li>', page, re.S):
        cards[re.search(r'pf-entry-title"><a [^>]*>([^<]+)<', card).group(1)] = card

    assert f'src="/portfolio/files/{files[1].id}/thumbnail"' in cards["Photos"]
    assert "3 files" in cards["Photos"]
    assert re.findall(r"<li>([^<]+)</li>", cards["Photos"]) == ["Avond", "EHBO", "zorg"]
    assert f'src="/portfolio/files/{files[3].id}/thumbnail"' in cards["Other photo"] and "1 file" in cards["Other photo"]
    assert "pf-thumb" not in cards["Plain note"] and "file" not in cards["Plain note"].split("</h3>")[1]
    assert "pf-tags" not in cards["Plain note"]
