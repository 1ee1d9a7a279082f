"""Reflections through HTTP: writing (STARR and free), autosave with conflicts, versions, trash, access."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from lti_tool.portfolio.models import Evidence, Reflection, ReflectionRevision

STARR_TEXT = {
    "title": "Eerste klantgesprek",
    "situation": "<p>Een klant belde met een klacht.</p>",
    "task": "<p>Ik moest het gesprek voeren.</p>",
    "action": "<p>Ik luisterde en vatte samen.</p>",
    "result": "<p>De klant was tevreden.</p>",
    "reflection": "<p>Volgende keer vraag ik eerder door.</p>",
}


def _new_starr(person, **overrides):
    data = {"method": "starr", "course": str(person.context_id), **STARR_TEXT, "save": "1", **overrides}
    return person.post("/portfolio/reflections/new", data)


def _only_reflection(db, person) -> Reflection:
    db.expire_all()
    return db.scalars(select(Reflection).where(Reflection.portfolio_id == person.portfolio_id)).one()


def _evidence(db, person, **values) -> Evidence:
    item = Evidence(
        portfolio_id=person.portfolio_id,
        platform_id=person.platform_id,
        kind=values.pop("kind", "informal"),
        type=values.pop("type", "note"),
        title=values.pop("title", "Stageverslag"),
        occurred_on=date(2026, 10, 1),
        **values,
    )
    db.add(item)
    db.commit()
    return item


def _autosave(person, path: str, body: dict, token: str | None = None):
    headers = {"X-CSRFToken": token if token is not None else person.csrf_token()}
    return person.client.post(path, json=body, headers=headers)


# --- writing -----------------------------------------------------------------------------------


def test_saving_a_starr_reflection_stores_the_first_version_in_the_course(learner, db):
    response = _new_starr(learner)

    assert response.status_code == 302
    reflection = _only_reflection(db, learner)
    assert reflection.method == "starr"
    assert reflection.status == "saved"
    assert reflection.context_id == learner.context_id
    assert reflection.title == "Eerste klantgesprek"
    assert reflection.content["action"] == "<p>Ik luisterde en vatte samen.</p>"
    versions = db.scalars(select(ReflectionRevision).where(ReflectionRevision.reflection_id == reflection.id)).all()
    assert [(v.number, v.submitted) for v in versions] == [(1, False)]


def test_a_free_text_reflection_keeps_only_its_body(learner, db):
    response = learner.post(
        "/portfolio/reflections/new",
        {"method": "free", "course": "0", "title": "Vrij", "body": "Eerste alinea\n\nTweede", "situation": "x", "save": "1"},
    )

    assert response.status_code == 302
    reflection = _only_reflection(db, learner)
    assert reflection.content == {"body": "<p>Eerste alinea</p><p>Tweede</p>"}
    assert reflection.context_id is None


def test_saving_an_incomplete_reflection_is_refused_and_stores_nothing(learner, db):
    response = _new_starr(learner, result="")

    assert response.status_code == 400
    assert "Fill in the title and every part" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Reflection)) == 0


def test_save_draft_keeps_text_apart_from_the_saved_version(learner, db):
    _new_starr(learner)
    reflection = _only_reflection(db, learner)
    response = learner.post(
        f"/portfolio/reflections/{reflection.id}/edit",
        {**STARR_TEXT, "title": "Nieuwe titel", "base_revision": str(reflection.revision), "save_draft": "1"},
    )

    assert response.status_code == 302
    reflection = _only_reflection(db, learner)
    assert reflection.title == "Eerste klantgesprek"
    assert reflection.draft_title == "Nieuwe titel"
    edit = learner.get(f"/portfolio/reflections/{reflection.id}/edit").get_data(as_text=True)
    assert 'value="Nieuwe titel"' in edit
    assert "unsaved draft" in edit


def test_a_reflection_next_to_evidence_defaults_to_the_evidence_course(learner, db):
    item = _evidence(db, learner, context_id=learner.context_id)

    page = learner.get(f"/portfolio/reflections/new?evidence={item.id}")
    assert page.status_code == 200
    assert "Stageverslag" in page.get_data(as_text=True)
    response = learner.post(
        f"/portfolio/reflections/new?evidence={item.id}",
        {"method": "free", "course": str(learner.context_id), "title": "Over mijn verslag", "body": "Goed", "save": "1"},
    )

    assert response.status_code == 302
    reflection = _only_reflection(db, learner)
    assert (reflection.evidence_id, reflection.context_id) == (item.id, learner.context_id)


def test_a_reflection_on_someone_elses_evidence_is_not_found(learner, second_learner, db):
    item = _evidence(db, second_learner)

    assert learner.get(f"/portfolio/reflections/new?evidence={item.id}").status_code == 404
    response = learner.post(
        f"/portfolio/reflections/new?evidence={item.id}",
        {"method": "free", "course": "0", "title": "x", "body": "y", "save": "1"},
    )
    assert response.status_code == 404
    assert db.scalar(select(func.count()).select_from(Reflection)) == 0


def test_a_course_the_learner_is_not_in_is_refused(learner, foreign_learner, db):
    response = _new_starr(learner, course=str(foreign_learner.context_id))

    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(Reflection)) == 0


def test_a_form_post_without_csrf_token_is_refused(learner, db):
    response = learner.client.post(
        "/portfolio/reflections/new", data={"method": "free", "title": "x", "body": "y", "save": "1"}
    )

    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(Reflection)) == 0


# --- sanitising --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attack, forbidden",
    [
        ("<p>hi</p><script>alert(1)</script>", "<script"),
        ('<p onclick="alert(1)">hi</p>', "onclick"),
        ('<img src=x onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">link</a>', "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">link</a>', "avascript"),
        ('<svg><script>alert(1)</script></svg>', "<svg"),
        ('<iframe src="https://evil.example"></iframe>', "<iframe"),
        ('<p style="background:url(javascript:alert(1))">x</p>', "style="),
    ],
)
def test_stored_text_is_sanitised(learner, db, attack, forbidden):
    _new_starr(learner, situation=attack + "<p>rest</p>", title="<b>Titel</b><script>x</script>")

    reflection = _only_reflection(db, learner)
    assert forbidden.lower() not in reflection.content["situation"].lower()
    assert reflection.title == "Titel"
    page = learner.get(f"/portfolio/reflections/{reflection.id}").get_data(as_text=True)
    assert forbidden.lower() not in page.lower().split("<main", 1)[1]


def test_safe_formatting_and_links_survive(learner, db):
    _new_starr(learner, situation='<p><strong>vet</strong> <em>schuin</em></p><ul><li>een</li></ul><a href="https://example.nl">bron</a>')

    content = _only_reflection(db, learner).content["situation"]
    assert "<strong>vet</strong>" in content and "<em>schuin</em>" in content and "<li>een</li>" in content
    assert 'href="https://example.nl"' in content and 'rel="noopener noreferrer nofollow"' in content


# --- autosave ----------------------------------------------------------------------------------


def test_the_first_autosave_creates_a_draft_and_later_ones_need_the_latest_revision(learner, db):
    token = learner.csrf_token()
    created = _autosave(
        learner, "/portfolio/reflections/autosave",
        {"method": "free", "course": learner.context_id, "title": "Concept", "fields": {"body": "<p>eerste</p>"}}, token,
    )
    assert created.status_code == 201
    body = created.get_json()
    reflection = _only_reflection(db, learner)
    assert (reflection.status, reflection.title, reflection.draft_content) == ("draft", "", {"body": "<p>eerste</p>"})

    second = _autosave(learner, body["autosave_url"], {"base_revision": body["revision"], "title": "Concept", "fields": {"body": "<p>tweede</p>"}}, token)
    assert second.status_code == 200
    assert second.get_json()["revision"] == body["revision"] + 1
    assert _only_reflection(db, learner).draft_content == {"body": "<p>tweede</p>"}


def test_an_autosave_from_a_stale_window_is_a_conflict_and_changes_nothing(learner, db):
    token = learner.csrf_token()
    body = _autosave(learner, "/portfolio/reflections/autosave", {"method": "free", "fields": {"body": "a"}}, token).get_json()
    _autosave(learner, body["autosave_url"], {"base_revision": body["revision"], "fields": {"body": "<p>tab one</p>"}}, token)

    stale = _autosave(learner, body["autosave_url"], {"base_revision": body["revision"], "fields": {"body": "<p>tab two</p>"}}, token)

    assert stale.status_code == 409
    assert stale.get_json()["revision"] == body["revision"] + 1
    assert "another window" in stale.get_json()["error"]
    assert _only_reflection(db, learner).draft_content == {"body": "<p>tab one</p>"}


def test_an_autosave_without_a_revision_is_a_conflict(learner, db):
    _new_starr(learner)
    reflection = _only_reflection(db, learner)

    response = _autosave(learner, f"/portfolio/reflections/{reflection.id}/autosave", {"title": "x", "fields": {}})

    assert response.status_code == 409
    assert _only_reflection(db, learner).draft_title is None


def test_an_autosave_without_csrf_token_is_refused(learner, db):
    response = learner.client.post("/portfolio/reflections/autosave", json={"method": "free", "fields": {"body": "x"}})

    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(Reflection)) == 0


def test_an_autosave_that_is_not_a_json_object_is_refused(learner, db):
    response = _autosave(learner, "/portfolio/reflections/autosave", ["not", "an", "object"])

    assert response.status_code == 400
    assert "JSON object" in response.get_json()["error"]
    assert db.scalar(select(func.count()).select_from(Reflection)) == 0


def test_a_stale_form_save_keeps_the_typed_text_and_offers_to_replace(learner, db):
    _new_starr(learner)
    reflection = _only_reflection(db, learner)
    old_revision = reflection.revision
    _autosave(learner, f"/portfolio/reflections/{reflection.id}/autosave", {"base_revision": old_revision, "title": "Andere tab", "fields": {}})

    response = learner.post(
        f"/portfolio/reflections/{reflection.id}/edit",
        {**STARR_TEXT, "title": "Mijn nieuwe titel", "base_revision": str(old_revision), "save": "1"},
    )

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'value="Mijn nieuwe titel"' in page
    assert f'value="{old_revision + 1}"' in page
    assert _only_reflection(db, learner).title == "Eerste klantgesprek"
    again = learner.post(
        f"/portfolio/reflections/{reflection.id}/edit",
        {**STARR_TEXT, "title": "Mijn nieuwe titel", "base_revision": str(old_revision + 1), "save": "1"},
    )
    assert again.status_code == 302
    assert _only_reflection(db, learner).title == "Mijn nieuwe titel"


# --- versions ----------------------------------------------------------------------------------


def test_each_save_adds_a_version_and_an_old_one_can_be_made_current_again(learner, db):
    _new_starr(learner)
    reflection = _only_reflection(db, learner)
    learner.post(
        f"/portfolio/reflections/{reflection.id}/edit",
        {**STARR_TEXT, "title": "Tweede versie", "base_revision": str(reflection.revision), "save": "1"},
    )
    history = learner.get(f"/portfolio/reflections/{reflection.id}/history").get_data(as_text=True)
    assert "View version 1" in history and "View version 2" in history
    first = learner.get(f"/portfolio/reflections/{reflection.id}/history/1").get_data(as_text=True)
    assert "Eerste klantgesprek" in first

    reflection = _only_reflection(db, learner)
    response = learner.post(
        f"/portfolio/reflections/{reflection.id}/history/1/restore", {"base_revision": str(reflection.revision)}
    )

    assert response.status_code == 302
    reflection = _only_reflection(db, learner)
    assert reflection.title == "Eerste klantgesprek"
    numbers = db.scalars(
        select(ReflectionRevision.number).where(ReflectionRevision.reflection_id == reflection.id).order_by(ReflectionRevision.number)
    ).all()
    assert numbers == [1, 2, 3]


def test_an_unknown_version_is_not_found(learner, db):
    _new_starr(learner)
    reflection = _only_reflection(db, learner)

    assert learner.get(f"/portfolio/reflections/{reflection.id}/history/9").status_code == 404


def test_discarding_the_draft_returns_to_the_saved_version(learner, db):
    _new_starr(learner)
    reflection = _only_reflection(db, learner)
    _autosave(learner, f"/portfolio/reflections/{reflection.id}/autosave", {"base_revision": reflection.revision, "title": "Weg", "fields": {}})
    reflection = _only_reflection(db, learner)

    response = learner.post(f"/portfolio/reflections/{reflection.id}/discard", {"base_revision": str(reflection.revision)})

    assert response.status_code == 302
    reflection = _only_reflection(db, learner)
    assert (reflection.draft_title, reflection.draft_content, reflection.title) == (None, None, "Eerste klantgesprek")


# --- trash -------------------------------------------------------------------------------------


def test_delete_asks_first_then_moves_to_the_trash_and_restores(learner, db):
    _new_starr(learner)
    reflection = _only_reflection(db, learner)
    confirm = learner.get(f"/portfolio/reflections/{reflection.id}/delete")
    assert confirm.status_code == 200 and "Move this reflection to the trash?" in confirm.get_data(as_text=True)
    assert _only_reflection(db, learner).deleted_at is None

    assert learner.post(f"/portfolio/reflections/{reflection.id}/delete").status_code == 302
    assert _only_reflection(db, learner).deleted_at is not None
    assert learner.get(f"/portfolio/reflections/{reflection.id}").status_code == 404
    assert "Eerste klantgesprek" in learner.get("/portfolio/trash").get_data(as_text=True)
    # The reflections' own trash address leads to the portfolio's one trash.
    moved = learner.get("/portfolio/reflections/trash")
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/portfolio/trash")
    assert "Eerste klantgesprek" not in learner.get("/portfolio/reflections/").get_data(as_text=True)

    assert learner.post(f"/portfolio/reflections/{reflection.id}/restore").status_code == 302
    assert _only_reflection(db, learner).deleted_at is None


def test_the_portfolio_trash_lists_deleted_reflections_next_to_evidence_and_restores_them(learner, db):
    _new_starr(learner)
    reflection = _only_reflection(db, learner)
    assert "Eerste klantgesprek" not in learner.get("/portfolio/trash").get_data(as_text=True)
    learner.post(f"/portfolio/reflections/{reflection.id}/delete")

    trash = learner.get("/portfolio/trash").get_data(as_text=True)
    assert 'data-testid="trash-reflection"' in trash and "Eerste klantgesprek" in trash
    assert f"/portfolio/reflections/{reflection.id}/restore" in trash
    assert "The trash is empty." not in trash

    assert learner.post(f"/portfolio/reflections/{reflection.id}/restore").status_code == 302
    assert _only_reflection(db, learner).deleted_at is None
    assert "Eerste klantgesprek" not in learner.get("/portfolio/trash").get_data(as_text=True)


def test_a_reflection_is_deleted_for_good_only_from_the_trash_and_takes_its_versions(learner, db):
    _new_starr(learner)
    reflection_id = _only_reflection(db, learner).id

    assert learner.post(f"/portfolio/reflections/{reflection_id}/purge").status_code == 404
    assert _only_reflection(db, learner).deleted_at is None

    learner.post(f"/portfolio/reflections/{reflection_id}/delete")
    refused = learner.client.post(f"/portfolio/reflections/{reflection_id}/purge", data={})
    assert refused.status_code == 400
    assert _only_reflection(db, learner).deleted_at is not None

    response = learner.post(f"/portfolio/reflections/{reflection_id}/purge")
    assert response.status_code == 302 and response.headers["Location"].endswith("/portfolio/trash")
    db.expire_all()
    assert db.get(Reflection, reflection_id) is None
    count = select(func.count()).select_from(ReflectionRevision).where(ReflectionRevision.reflection_id == reflection_id)
    assert db.scalar(count) == 0


@pytest.mark.parametrize("who", ["second_learner", "foreign_learner", "instructor"])
def test_nobody_else_restores_or_purges_a_reflection_in_the_trash(request, learner, db, who):
    _new_starr(learner)
    reflection = _only_reflection(db, learner)
    learner.post(f"/portfolio/reflections/{reflection.id}/delete")
    other = request.getfixturevalue(who)

    assert "Eerste klantgesprek" not in other.get("/portfolio/trash").get_data(as_text=True)
    for action in ("restore", "purge"):
        assert other.post(f"/portfolio/reflections/{reflection.id}/{action}").status_code == 404
    assert _only_reflection(db, learner).deleted_at is not None


# --- access ------------------------------------------------------------------------------------

OWNER_ROUTES = [
    ("GET", "/portfolio/reflections/{id}"),
    ("GET", "/portfolio/reflections/{id}/edit"),
    ("POST", "/portfolio/reflections/{id}/edit"),
    ("POST", "/portfolio/reflections/{id}/autosave"),
    ("POST", "/portfolio/reflections/{id}/discard"),
    ("GET", "/portfolio/reflections/{id}/history"),
    ("GET", "/portfolio/reflections/{id}/history/1"),
    ("POST", "/portfolio/reflections/{id}/history/1/restore"),
    ("GET", "/portfolio/reflections/{id}/delete"),
    ("POST", "/portfolio/reflections/{id}/delete"),
    ("POST", "/portfolio/reflections/{id}/restore"),
    ("POST", "/portfolio/reflections/{id}/purge"),
]


@pytest.mark.parametrize("who", ["second_learner", "foreign_learner", "instructor", "anonymous"])
def test_nobody_else_reaches_a_reflection(request, learner, db, who):
    _new_starr(learner)
    reflection = _only_reflection(db, learner)
    before = (reflection.revision, reflection.title, reflection.deleted_at)
    other = request.getfixturevalue(who)

    for method, route in OWNER_ROUTES:
        path = route.format(id=reflection.id)
        if who == "anonymous":
            response = other.open(path, method=method, json={} if path.endswith("autosave") else None)
            # Unknown to the login (401), or refused by CSRF protection before that (400).
            expected = {401} if method == "GET" else {400, 401}
        elif method == "GET":
            response, expected = other.get(path), {404}
        elif path.endswith("autosave"):
            body = {"base_revision": reflection.revision, "title": "stolen", "fields": {}}
            response, expected = _autosave(other, path, body), {404}
        else:
            form = {**STARR_TEXT, "title": "stolen", "base_revision": str(reflection.revision), "save": "1"}
            response, expected = other.post(path, form), {404}
        assert response.status_code in expected, (method, path, response.status_code)
        assert "Eerste klantgesprek" not in response.get_data(as_text=True), path
    reflection = _only_reflection(db, learner)
    assert (reflection.revision, reflection.title, reflection.deleted_at) == before


@pytest.mark.parametrize("path", ["/portfolio/reflections/", "/portfolio/trash", "/portfolio/reflections/new"])
def test_lists_show_only_the_own_reflections(learner, second_learner, db, path):
    _new_starr(learner)
    reflection = _only_reflection(db, learner)

    page = second_learner.get(path)

    assert page.status_code == 200
    assert "Eerste klantgesprek" not in page.get_data(as_text=True)
    assert f"/portfolio/reflections/{reflection.id}" not in page.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/portfolio/reflections/", "/portfolio/reflections/trash", "/portfolio/reflections/new"])
def test_anonymous_visitors_get_no_list(anonymous, path):
    assert anonymous.get(path).status_code == 401
