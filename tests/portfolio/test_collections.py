"""Collections: build, order and edit them; nobody but the owner can see or change one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.portfolio.test_collections_support import (
    add_to_collection,
    create_collection,
    item_ids,
    make_evidence,
    make_reflection,
)


def _collection(db, collection_id):
    from lti_tool.collections.models import Collection

    db.expire_all()
    return db.get(Collection, collection_id)


def test_learner_creates_a_collection_and_sees_it_listed(learner):
    collection_id = create_collection(learner, "Stageportfolio")
    listing = learner.get("/portfolio/collections/")
    assert listing.status_code == 200
    assert "Stageportfolio" in listing.get_data(as_text=True)
    page = learner.get(f"/portfolio/collections/{collection_id}")
    assert page.status_code == 200
    assert "Stageportfolio" in page.get_data(as_text=True)


def test_creating_without_a_title_is_refused_and_nothing_is_stored(learner, db):
    from lti_tool.collections.models import Collection

    response = learner.post("/portfolio/collections/", {"title": "   ", "description": "x"})
    assert response.status_code == 400
    assert db.scalars(select(Collection)).first() is None


def test_introduction_is_sanitised_rich_text(learner, db):
    collection_id = create_collection(
        learner,
        "Rich",
        '<p onclick="steal()">Hallo <strong>wereld</strong><script>alert(1)</script>'
        '<a href="javascript:alert(1)">x</a></p>',
    )
    stored = _collection(db, collection_id).description
    assert "<strong>wereld</strong>" in stored
    for bad in ("<script", "onclick", "javascript:"):
        assert bad not in stored
    page = learner.get(f"/showcase/{collection_id}").get_data(as_text=True)
    assert "<strong>wereld</strong>" in page and "alert(1)" not in page


def test_plain_text_introduction_becomes_paragraphs(learner, db):
    collection_id = create_collection(learner, "Plain", "Eerste alinea\n\n<Tweede> & derde")
    stored = _collection(db, collection_id).description
    assert stored.startswith("<p>Eerste alinea</p>")
    assert "&lt;Tweede&gt; &amp; derde" in stored


def test_items_are_added_in_order_and_only_once(app, db, learner):
    first = make_evidence(app, db, learner, "Foto van de presentatie")
    second = make_evidence(app, db, learner, "Verslag")
    reflection = make_reflection(db, learner, "Wat ik leerde", "<p>Veel</p>")
    collection_id = create_collection(learner)
    add_to_collection(learner, collection_id, evidence=[first.id, second.id], reflections=[reflection.id])
    add_to_collection(learner, collection_id, evidence=[first.id])  # already there: ignored
    from lti_tool.collections.models import CollectionItem

    items = db.scalars(
        select(CollectionItem).where(CollectionItem.collection_id == collection_id).order_by(CollectionItem.position)
    ).all()
    assert [(i.evidence_id, i.reflection_id) for i in items] == [
        (first.id, None),
        (second.id, None),
        (None, reflection.id),
    ]
    assert [i.position for i in items] == [0, 1, 2]


def test_moving_items_up_and_down_reorders_them(app, db, learner):
    a, b, c = (make_evidence(app, db, learner, title) for title in ("A", "B", "C"))
    collection_id = create_collection(learner)
    add_to_collection(learner, collection_id, evidence=[a.id, b.id, c.id])
    ia, ib, ic = item_ids(db, collection_id)

    response = learner.post(f"/portfolio/collections/{collection_id}/items/{ic}/move", {"direction": "up"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#item-{ic}")
    assert item_ids(db, collection_id) == [ia, ic, ib]

    learner.post(f"/portfolio/collections/{collection_id}/items/{ia}/move", {"direction": "down"})
    assert item_ids(db, collection_id) == [ic, ia, ib]
    # Moving the first item up, or the last down, changes nothing.
    learner.post(f"/portfolio/collections/{collection_id}/items/{ic}/move", {"direction": "up"})
    learner.post(f"/portfolio/collections/{collection_id}/items/{ib}/move", {"direction": "down"})
    assert item_ids(db, collection_id) == [ic, ia, ib]


def test_move_with_an_unknown_direction_is_refused(app, db, learner):
    a, b = (make_evidence(app, db, learner, title) for title in ("A", "B"))
    collection_id = create_collection(learner)
    add_to_collection(learner, collection_id, evidence=[a.id, b.id])
    ia, ib = item_ids(db, collection_id)
    response = learner.post(f"/portfolio/collections/{collection_id}/items/{ib}/move", {"direction": "sideways"})
    assert response.status_code == 400
    assert item_ids(db, collection_id) == [ia, ib]


def test_reorder_buttons_are_real_buttons_with_labels(app, db, learner):
    a, b = (make_evidence(app, db, learner, title) for title in ("Alpha", "Beta"))
    collection_id = create_collection(learner)
    add_to_collection(learner, collection_id, evidence=[a.id, b.id])
    page = learner.get(f"/portfolio/collections/{collection_id}").get_data(as_text=True)
    assert 'aria-label="Move Alpha down"' in page
    assert 'aria-label="Move Beta up"' in page
    assert "collections.js" in page


def test_removing_an_item_keeps_the_evidence_and_renumbers(app, db, learner):
    from lti_tool.collections.models import CollectionItem
    from lti_tool.portfolio.models import Evidence

    a, b, c = (make_evidence(app, db, learner, title) for title in ("A", "B", "C"))
    collection_id = create_collection(learner)
    add_to_collection(learner, collection_id, evidence=[a.id, b.id, c.id])
    ia, ib, ic = item_ids(db, collection_id)
    assert learner.post(f"/portfolio/collections/{collection_id}/items/{ib}/remove").status_code == 302
    assert item_ids(db, collection_id) == [ia, ic]
    positions = db.scalars(select(CollectionItem.position).where(CollectionItem.collection_id == collection_id)).all()
    assert sorted(positions) == [0, 1]
    assert db.get(Evidence, b.id) is not None


def test_editing_title_and_introduction(learner, db):
    collection_id = create_collection(learner, "Oud")
    response = learner.post(f"/portfolio/collections/{collection_id}", {"title": "Nieuw", "description": "Intro"})
    assert response.status_code == 302
    collection = _collection(db, collection_id)
    assert (collection.title, collection.description) == ("Nieuw", "<p>Intro</p>")


def test_deleting_a_collection_asks_first_then_deletes(app, db, learner):
    from lti_tool.portfolio.models import Evidence

    evidence = make_evidence(app, db, learner, "Blijft")
    collection_id = create_collection(learner)
    add_to_collection(learner, collection_id, evidence=[evidence.id])
    confirm = learner.get(f"/portfolio/collections/{collection_id}/delete")
    assert confirm.status_code == 200 and "Delete" in confirm.get_data(as_text=True)
    assert _collection(db, collection_id) is not None
    assert learner.post(f"/portfolio/collections/{collection_id}/delete").status_code == 302
    assert _collection(db, collection_id) is None
    assert db.get(Evidence, evidence.id) is not None


def test_someone_elses_items_cannot_be_added(app, db, learner, second_learner, foreign_learner):
    theirs = make_evidence(app, db, second_learner, "Van Kim")
    foreign = make_evidence(app, db, foreign_learner, "Andere school")
    their_reflection = make_reflection(db, second_learner, "Kims reflectie", "<p>geheim</p>")
    mine = make_evidence(app, db, learner, "Van mij")
    collection_id = create_collection(learner)
    for data in (
        {"evidence": [str(theirs.id)]},
        {"evidence": [str(mine.id), str(foreign.id)]},
        {"reflection": [str(their_reflection.id)]},
    ):
        response = learner.post(f"/portfolio/collections/{collection_id}/items", data)
        assert response.status_code == 404
    assert item_ids(db, collection_id) == []


def test_items_in_the_trash_and_unsaved_drafts_cannot_be_added(app, db, learner):
    trashed = make_evidence(app, db, learner, "Weg", deleted=True)
    draft = make_reflection(db, learner, "Concept", "", status="draft")
    collection_id = create_collection(learner)
    page = learner.get(f"/portfolio/collections/{collection_id}").get_data(as_text=True)
    assert "Weg" not in page and "Concept" not in page
    assert learner.post(f"/portfolio/collections/{collection_id}/items", {"evidence": [str(trashed.id)]}).status_code == 404
    assert learner.post(f"/portfolio/collections/{collection_id}/items", {"reflection": [str(draft.id)]}).status_code == 404


def test_adding_nothing_says_what_to_do(learner):
    collection_id = create_collection(learner)
    response = learner.post(f"/portfolio/collections/{collection_id}/items", {})
    assert response.status_code == 400
    assert "Choose at least one item" in response.get_data(as_text=True)


OWNER_ROUTES = [
    ("GET", "/portfolio/collections/{id}"),
    ("POST", "/portfolio/collections/{id}"),
    ("POST", "/portfolio/collections/{id}/items"),
    ("POST", "/portfolio/collections/{id}/items/{item}/remove"),
    ("POST", "/portfolio/collections/{id}/items/{item}/move"),
    ("GET", "/portfolio/collections/{id}/delete"),
    ("POST", "/portfolio/collections/{id}/delete"),
    ("POST", "/portfolio/collections/{id}/visibility"),
    ("POST", "/portfolio/collections/{id}/link"),
    ("POST", "/portfolio/collections/{id}/link/revoke"),
    ("GET", "/portfolio/collections/{id}/pdf"),
    ("GET", "/showcase/{id}"),
    ("GET", "/showcase/{id}/pdf"),
]


@pytest.fixture
def owned_collection(app, db, learner):
    evidence = make_evidence(app, db, learner, "Geheime titel", description="<p>Geheime inhoud</p>")
    collection_id = create_collection(learner, "Prive collectie")
    add_to_collection(learner, collection_id, evidence=[evidence.id])
    return collection_id, item_ids(db, collection_id)[0]


@pytest.mark.parametrize("who", ["second_learner", "foreign_learner", "instructor"])
def test_other_people_get_not_found_on_every_collection_route(request, db, owned_collection, who):
    person = request.getfixturevalue(who)
    collection_id, item_id = owned_collection
    data = {"title": "Gekaapt", "description": "x", "direction": "up", "evidence": [], "visibility": "coaches"}
    for method, route in OWNER_ROUTES:
        path = route.format(id=collection_id, item=item_id)
        response = person.get(path) if method == "GET" else person.post(path, data)
        assert response.status_code in (403, 404), (method, path, response.status_code)
        body = response.get_data(as_text=True)
        assert "Geheime" not in body and "Prive collectie" not in body, path
    collection = _collection(db, collection_id)
    assert collection is not None and collection.title == "Prive collectie"
    assert collection.visibility == "private" and collection.share_token_hash is None
    assert item_ids(db, collection_id) == [item_id]


def test_anonymous_visitors_are_refused_everywhere(anonymous, db, owned_collection):
    collection_id, item_id = owned_collection
    for method, route in OWNER_ROUTES + [("GET", "/portfolio/collections/"), ("POST", "/portfolio/collections/")]:
        path = route.format(id=collection_id, item=item_id)
        response = anonymous.get(path) if method == "GET" else anonymous.post(path, data={"title": "x"})
        assert response.status_code in (400, 401, 403, 404), (method, path, response.status_code)
        assert "Geheime" not in response.get_data(as_text=True), path
    assert _collection(db, collection_id).title == "Prive collectie"


def test_posts_without_csrf_token_are_refused(learner, db, owned_collection):
    collection_id, item_id = owned_collection
    for path in (
        f"/portfolio/collections/{collection_id}",
        f"/portfolio/collections/{collection_id}/items/{item_id}/remove",
        f"/portfolio/collections/{collection_id}/delete",
        f"/portfolio/collections/{collection_id}/link",
    ):
        response = learner.client.post(path, data={"title": "Zonder token"})
        assert response.status_code == 400, path
    collection = _collection(db, collection_id)
    assert collection.title == "Prive collectie" and collection.share_token_hash is None
    assert item_ids(db, collection_id) == [item_id]


def test_a_learner_sees_only_their_own_collections_listed(learner, second_learner):
    create_collection(learner, "Van Sam")
    create_collection(second_learner, "Van Kim")
    listing = second_learner.get("/portfolio/collections/").get_data(as_text=True)
    assert "Van Kim" in listing and "Van Sam" not in listing



def test_the_introduction_uses_the_rich_text_editor(learner):
    collection_id = create_collection(learner, "Rich", "Eerste alinea")
    page = learner.get(f"/portfolio/collections/{collection_id}").get_data(as_text=True)
    assert 'id="description"' in page and "data-richtext" in page
    assert "richtext-editor.js" in page and 'id="richtext-texts"' in page
    assert "&lt;p&gt;Eerste alinea&lt;/p&gt;</textarea>" in page  # HTML for the editor, escaped in the source
