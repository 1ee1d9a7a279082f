"""The timeline searches the words of descriptions and reflections, not their stored HTML or JSON:
"R&D" finds `R&amp;D`, and "strong" or "task" find no markup or STARR part names."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import text

from lti_tool import migrate
from lti_tool.portfolio.models import Evidence, Reflection
from lti_tool.richtext import searchable_text
from tests.portfolio.conftest import make_evidence, make_reflection, post_evidence
from tests.portfolio.test_timeline import titles

STARR = {
    "situation": "<p>Overleg met de afdeling R&amp;D over het budget.</p>",
    "task": "<p>Ik moest de cijfers&nbsp;uitleggen.</p>",
    "action": "<ul><li>Eerst de totalen</li><li>Dan de posten</li></ul>",
    "result": "<p>Ze <strong>begrepen</strong> het.</p>",
    "reflection": '<p>Een <a href="https://example.org/handleiding">handleiding</a> hielp.</p>',
}


@pytest.fixture
def described(learner, db):
    make_evidence(db, learner, title="Notitie", occurred_on=date(2026, 1, 1),
                  description="<p>Les over <em>R&amp;D</em> &lt;intern&gt;.</p><p>Einde.</p><p>Begin</p>")
    make_reflection(db, learner, title="Gesprek", method="starr", content=STARR)
    return learner


@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=r%26d", ["Gesprek", "Notitie"]),
        ("q=R%26D+over", ["Gesprek"]),
        ("q=%3Cintern%3E", ["Notitie"]),
        ("q=einde.+begin", ["Notitie"]),
        ("q=cijfers+uitleggen", ["Gesprek"]),
        ("q=totalen+dan", ["Gesprek"]),
        ("q=handleiding+hielp", ["Gesprek"]),
        # Markup, addresses and the STARR parts' names are not words of the text.
        ("q=strong", []),
        ("q=href", []),
        ("q=example.org", []),
        ("q=amp", []),
        ("q=nbsp", []),
        ("q=task", []),
        ("q=situation", []),
        ("q=%3Cp%3E", []),
        ("q=eindebegin", []),
    ],
)
def test_search_looks_in_the_words(described, query, expected):
    assert titles(described.get(f"/portfolio?{query}")) == expected


def test_a_description_typed_in_the_form_is_found_by_its_words(learner, db):
    response = post_evidence(learner, title="Werkoverleg", description="Afspraken met R&D\n\nVolgende stap")
    assert response.status_code == 302
    assert titles(learner.get("/portfolio?q=r%26d+volgende+stap")) == ["Werkoverleg"]
    assert titles(learner.get("/portfolio?q=amp")) == []


def test_a_saved_reflection_is_found_by_its_words_and_its_draft_is_not(learner, db):
    saved = {"method": "free", "course": "0", "title": "Vrij", "body": "Over R&D", "save": "1"}
    assert learner.post("/portfolio/reflections/new", saved).status_code == 302
    reflection = db.query(Reflection).filter_by(portfolio_id=learner.portfolio_id).one()
    draft = {"title": "Vrij", "body": "Nog niet bewaard", "base_revision": str(reflection.revision), "save_draft": "1"}
    assert learner.post(f"/portfolio/reflections/{reflection.id}/edit", draft).status_code == 302

    assert titles(learner.get("/portfolio?q=r%26d")) == ["Vrij"]
    assert titles(learner.get("/portfolio?q=bewaard")) == []


def test_editing_a_description_keeps_its_words_in_step(learner, db):
    item = make_evidence(db, learner, title="Notitie", description="<p>Oud</p>")
    item.description = "<p>Nieuw &amp; beter</p>"
    db.commit()
    assert titles(learner.get("/portfolio?q=oud")) == []
    assert titles(learner.get("/portfolio?q=nieuw+%26+beter")) == ["Notitie"]


def test_the_migration_fills_the_words_of_rows_written_before(learner, db, database_url):
    evidence = make_evidence(db, learner, title="Notitie", description="<p>Les over R&amp;D</p>")
    reflection = make_reflection(db, learner, title="Gesprek", method="starr", content=STARR)
    evidence_id, reflection_id = evidence.id, reflection.id
    db.close()

    command.downgrade(migrate.alembic_config(database_url), "0022_json_text_unescaped")
    migrate.upgrade(database_url)

    assert db.get(Evidence, evidence_id).search_text == "Les over R&D"
    assert db.get(Reflection, reflection_id).search_text == searchable_text_of(STARR)
    assert titles(learner.get("/portfolio?q=r%26d")) == ["Gesprek", "Notitie"]
    assert titles(learner.get("/portfolio?q=task")) == []


def test_the_migration_leaves_rows_without_text_empty(learner, db, database_url):
    empty = make_evidence(db, learner, title="Leeg")
    evidence_id = empty.id
    db.close()
    command.downgrade(migrate.alembic_config(database_url), "0022_json_text_unescaped")
    migrate.upgrade(database_url)
    stored = db.execute(text("SELECT search_text FROM evidence WHERE id = :id"), {"id": evidence_id}).scalar_one()
    assert stored == ""


def searchable_text_of(content: dict[str, str]) -> str:
    return " ".join(searchable_text(part) for part in content.values())


@pytest.mark.parametrize(
    "html, words",
    [
        (None, ""),
        ("", ""),
        ("<p>R&amp;D</p>", "R&D"),
        ("<p>a</p><p>b</p>", "a b"),
        ("<p>een<br>twee</p>", "een twee"),
        ("<p>Sam<strong>en</strong>werken</p>", "Samenwerken"),
        ("<p>twee&nbsp;woorden\n\n en  meer</p>", "twee woorden en meer"),
        ('<a href="https://x.example/">link</a>', "link"),
        ("<p>&lt;script&gt;</p>", "<script>"),
        ("<p>half a pair: \ud800.</p>", "half a pair: ."),
    ],
)
def test_searchable_text(html, words):
    assert searchable_text(html) == words
