"""Showcase pages: private, for granted coaches, or by a revocable secret link; print and PDF."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.wrappers import Response

from tests.portfolio.test_collections_support import (
    PNG,
    add_to_collection,
    create_collection,
    make_evidence,
    make_reflection,
)
from tests.support.platform import LocalServer


def _collection(db, collection_id):
    from lti_tool.collections.models import Collection

    db.expire_all()
    return db.get(Collection, collection_id)


@pytest.fixture
def showcase(app, db, learner):
    """A collection with a photo and a reflection; another item stays outside it."""
    photo = make_evidence(
        app, db, learner, "Poster op de open dag", description="<p>Ontwerp van mij</p>",
        files=[("poster.png", PNG, "image/png")],
    )
    reflection = make_reflection(db, learner, "Wat het me leerde", "<p>Plannen loont</p>")
    outside = make_evidence(
        app, db, learner, "Niet gedeeld dagboek", files=[("dagboek.png", PNG, "image/png")]
    )
    collection_id = create_collection(learner, "Mijn showcase", "<p>Welkom op mijn pagina</p>")
    add_to_collection(learner, collection_id, evidence=[photo.id], reflections=[reflection.id])
    return {"id": collection_id, "photo": photo, "reflection": reflection, "outside": outside}


def _create_link(person, collection_id) -> str:
    response = person.post(f"/portfolio/collections/{collection_id}/link")
    assert response.status_code == 200
    link = re.search(r'value="(http[^"]+/showcase/s/([^"]+))" data-testid="secret-link"', response.get_data(as_text=True))
    assert link
    return link.group(2)


def _grant(person, coach_user_id, permission="view"):
    return person.post("/portfolio/coaches", {"coach": str(coach_user_id), "permission": permission})


# --- the owner ---------------------------------------------------------------------------


def test_owner_sees_the_showcase_with_its_items_and_nothing_else(learner, showcase):
    response = learner.get(f"/showcase/{showcase['id']}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Mijn showcase" in page and "Poster op de open dag" in page and "Plannen loont" in page
    assert "Niet gedeeld dagboek" not in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "showcase.css" in page


def test_items_moved_to_the_trash_disappear_from_the_showcase(db, learner, showcase):
    from lti_tool.db import utcnow
    from lti_tool.portfolio.models import Evidence

    db.get(Evidence, showcase["photo"].id).deleted_at = utcnow()
    db.commit()
    page = learner.get(f"/showcase/{showcase['id']}").get_data(as_text=True)
    assert "Poster op de open dag" not in page and "Wat het me leerde" in page


def test_print_styles_hide_navigation_and_forms(app):
    text = (Path(app.static_folder) / "css" / "showcase.css").read_text(encoding="utf-8")
    assert "@media print" in text and ".topbar" in text and "@page" in text


# --- coaches -----------------------------------------------------------------------------


def test_a_granted_coach_sees_only_showcases_shared_with_coaches(learner, second_learner, showcase):
    collection_id = showcase["id"]
    assert _grant(learner, second_learner.user_id).status_code == 302
    # Still private: the coach sees nothing.
    assert second_learner.get(f"/showcase/{collection_id}").status_code == 404
    assert "Mijn showcase" not in second_learner.get("/portfolio/coaches").get_data(as_text=True)

    assert learner.post(f"/portfolio/collections/{collection_id}/visibility", {"visibility": "coaches"}).status_code == 302
    page = second_learner.get(f"/showcase/{collection_id}")
    assert page.status_code == 200 and "Poster op de open dag" in page.get_data(as_text=True)
    assert "Mijn showcase" in second_learner.get("/portfolio/coaches").get_data(as_text=True)
    photo_file = showcase["photo"].files[0].id
    assert second_learner.get(f"/showcase/{collection_id}/files/{photo_file}").data == PNG
    assert second_learner.get(f"/showcase/{collection_id}/pdf").data.startswith(b"%PDF")


def test_revoking_a_coach_ends_their_access(db, learner, second_learner, showcase):
    from lti_tool.coaching.models import CoachGrant

    collection_id = showcase["id"]
    _grant(learner, second_learner.user_id)
    learner.post(f"/portfolio/collections/{collection_id}/visibility", {"visibility": "coaches"})
    assert second_learner.get(f"/showcase/{collection_id}").status_code == 200
    grant = db.scalars(select(CoachGrant)).one()
    assert learner.post(f"/portfolio/coaches/{grant.id}/revoke").status_code == 302
    assert second_learner.get(f"/showcase/{collection_id}").status_code == 404
    db.expire_all()
    assert db.get(CoachGrant, grant.id).revoked_at is not None  # kept as history


def test_only_a_coach_with_comment_access_can_comment(db, learner, second_learner, showcase):
    from lti_tool.collections.models import ShowcaseComment

    collection_id = showcase["id"]
    learner.post(f"/portfolio/collections/{collection_id}/visibility", {"visibility": "coaches"})
    _grant(learner, second_learner.user_id, "view")
    assert second_learner.post(f"/showcase/{collection_id}/comments", {"body": "Mag niet"}).status_code == 404
    _grant(learner, second_learner.user_id, "comment")  # the same grant, now with comments
    assert second_learner.post(f"/showcase/{collection_id}/comments", {"body": "Sterke poster!"}).status_code == 302
    assert learner.post(f"/showcase/{collection_id}/comments", {"body": "Eigen"}).status_code == 404
    db.expire_all()
    assert [c.body for c in db.scalars(select(ShowcaseComment))] == ["Sterke poster!"]
    assert "Sterke poster!" in learner.get(f"/showcase/{collection_id}").get_data(as_text=True)


def test_coach_access_can_only_go_to_people_from_ones_courses(db, learner, foreign_learner, platform, app):
    from lti_tool.coaching.models import CoachGrant
    from tests.portfolio.conftest import LEARNER_LAUNCH, launch_person

    def other_course(body):
        body["sub"] = "98"
        body["https://purl.imsglobal.org/spec/lti/claim/context"] = {"id": "ander", "title": "Ander vak"}
        return body

    stranger = launch_person(app, db, platform, LEARNER_LAUNCH, other_course)
    for user_id in (foreign_learner.user_id, stranger.user_id, learner.user_id, 999999):
        assert _grant(learner, user_id).status_code == 404
    assert _grant(learner, "abc").status_code == 400
    assert db.scalars(select(CoachGrant)).first() is None


def test_someone_elses_grant_cannot_be_revoked(db, learner, second_learner, instructor):
    from lti_tool.coaching.models import CoachGrant

    _grant(learner, instructor.user_id)
    grant = db.scalars(select(CoachGrant)).one()
    assert second_learner.post(f"/portfolio/coaches/{grant.id}/revoke").status_code == 404
    db.expire_all()
    assert db.get(CoachGrant, grant.id).revoked_at is None


# --- the secret link ---------------------------------------------------------------------


def test_secret_link_opens_the_showcase_logged_out_without_leaking(db, learner, anonymous, showcase):
    token = _create_link(learner, showcase["id"])
    response = anonymous.get(f"/showcase/s/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Poster op de open dag" in page and "Plannen loont" in page and "Welkom op mijn pagina" in page
    assert "Niet gedeeld dagboek" not in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    photo_file = showcase["photo"].files[0].id
    image = anonymous.get(f"/showcase/s/{token}/files/{photo_file}")
    assert image.status_code == 200 and image.data == PNG
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    # A file of an item outside the collection is not reachable through the link.
    outside_file = showcase["outside"].files[0].id
    assert anonymous.get(f"/showcase/s/{token}/files/{outside_file}").status_code == 404


def test_the_token_is_stored_only_as_a_hash(db, learner, showcase):
    token = _create_link(learner, showcase["id"])
    collection = _collection(db, showcase["id"])
    assert collection.share_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(collection.__dict__)
    assert len(token) >= 40  # 32 random bytes


def test_revoking_the_link_stops_it_everywhere(learner, anonymous, showcase):
    token = _create_link(learner, showcase["id"])
    assert anonymous.get(f"/showcase/s/{token}").status_code == 200
    assert learner.post(f"/portfolio/collections/{showcase['id']}/link/revoke").status_code == 302
    photo_file = showcase["photo"].files[0].id
    for path in (f"/showcase/s/{token}", f"/showcase/s/{token}/pdf", f"/showcase/s/{token}/files/{photo_file}"):
        response = anonymous.get(path)
        assert response.status_code == 404
        assert b"Poster" not in response.data and not response.data.startswith(b"%PDF")


def test_a_new_link_replaces_the_old_one(learner, anonymous, showcase):
    old = _create_link(learner, showcase["id"])
    new = _create_link(learner, showcase["id"])
    assert old != new
    assert anonymous.get(f"/showcase/s/{old}").status_code == 404
    assert anonymous.get(f"/showcase/s/{new}").status_code == 200


def test_making_the_showcase_private_also_closes_the_link(db, learner, anonymous, showcase):
    token = _create_link(learner, showcase["id"])
    learner.post(f"/portfolio/collections/{showcase['id']}/visibility", {"visibility": "private"})
    assert anonymous.get(f"/showcase/s/{token}").status_code == 404
    assert _collection(db, showcase["id"]).share_token_hash is None


def test_guessed_tokens_find_nothing(learner, anonymous, showcase):
    _create_link(learner, showcase["id"])
    for token in ("x", "A" * 43, "A" * 500, "..%2F..%2Fetc"):
        assert anonymous.get(f"/showcase/s/{token}").status_code == 404, token


def test_visibility_accepts_only_known_values(db, learner, showcase):
    response = learner.post(f"/portfolio/collections/{showcase['id']}/visibility", {"visibility": "public"})
    assert response.status_code == 400
    assert _collection(db, showcase["id"]).visibility == "private"


@pytest.mark.parametrize("who", ["second_learner", "foreign_learner", "instructor", "anonymous"])
def test_without_grant_or_link_nobody_else_sees_a_showcase(request, showcase, who):
    person = request.getfixturevalue(who)
    client = getattr(person, "client", person)
    photo_file = showcase["photo"].files[0].id
    for path in (f"/showcase/{showcase['id']}", f"/showcase/{showcase['id']}/pdf", f"/showcase/{showcase['id']}/files/{photo_file}"):
        response = client.get(path)
        assert response.status_code in (401, 403, 404)
        assert b"Poster" not in response.data and not response.data.startswith((b"%PDF", b"\x89PNG"))


def test_a_coach_of_another_tenant_never_sees_it_even_when_shared(db, learner, foreign_learner, showcase):
    from lti_tool.coaching.models import CoachGrant

    learner.post(f"/portfolio/collections/{showcase['id']}/visibility", {"visibility": "coaches"})
    # Even a grant row forged across tenants gives nothing: every check compares platforms.
    db.add(CoachGrant(platform_id=learner.platform_id, portfolio_id=learner.portfolio_id, coach_id=foreign_learner.user_id))
    db.commit()
    assert foreign_learner.get(f"/showcase/{showcase['id']}").status_code == 404


# --- PDF ---------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_download_has_the_title_items_and_image(learner, showcase):
    response = learner.get(f"/portfolio/collections/{showcase['id']}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.metadata.title == "Mijn showcase"
    text = _pdf_text(response.data)
    assert "Mijn showcase" in text and "Poster op de open dag" in text and "Plannen loont" in text
    assert "Niet gedeeld dagboek" not in text
    assert sum(len(page.images) for page in reader.pages) == 1  # the poster, fetched from our store


def test_pdf_through_the_secret_link_logged_out(learner, anonymous, showcase):
    token = _create_link(learner, showcase["id"])
    response = anonymous.get(f"/showcase/s/{token}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "Poster op de open dag" in _pdf_text(response.data)


def test_pdf_rendering_never_fetches_a_remote_url(app, db, learner):
    hits = []
    with LocalServer(lambda request: hits.append(request.path) or Response(PNG, mimetype="image/png")) as server:
        remote = server.base_url
        evidence = make_evidence(
            app, db, learner, "Met links",
            description=f'<p><img src="{remote}/img.png"><a href="{remote}/page">link</a></p>'
            f'<p style="background:url({remote}/bg.png)">x</p>',
        )
        evidence.url = f"{remote}/evidence-link"
        db.commit()
        collection_id = create_collection(
            learner, "Remote", f'<p><img src="{remote}/intro.png">Intro <a href="{remote}/intro">a</a></p>'
        )
        add_to_collection(learner, collection_id, evidence=[evidence.id])
        response = learner.get(f"/portfolio/collections/{collection_id}/pdf")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert hits == [] and server.requests == []


def test_the_pdf_fetcher_refuses_everything_but_our_static_files_and_the_pages_files(app):
    from lti_tool.collections.pdf import ShowcaseFetcher, render_pdf

    hits = []
    with LocalServer(lambda request: hits.append(request.path) or Response("body{}", mimetype="text/css")) as server:
        fetcher = ShowcaseFetcher(app.static_folder, lambda ref: (PNG, "image/png") if ref == "1" else None)
        html = (
            f'<html><head><title>t</title><link rel="stylesheet" href="{server.base_url}/x.css">'
            '<link rel="stylesheet" href="lp-static:css/showcase.css"></head><body><h1>Hallo</h1>'
            f'<img src="{server.base_url}/a.png"><img src="file:///etc/passwd"><img src="lp-static:../pyproject.toml">'
            '<img src="lp-file:2"><img src="lp-file:1"></body></html>'
        )
        pdf = render_pdf(html, fetcher)
    assert pdf.startswith(b"%PDF")
    assert hits == []
    assert set(fetcher.refused) == {
        f"{server.base_url}/x.css", f"{server.base_url}/a.png", "file:///etc/passwd", "lp-static:../pyproject.toml", "lp-file:2",
    }
    assert sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages) == 1


def test_secret_link_and_visibility_posts_need_csrf(db, learner, showcase):
    for path, data in (
        (f"/portfolio/collections/{showcase['id']}/link", {}),
        (f"/portfolio/collections/{showcase['id']}/visibility", {"visibility": "coaches"}),
    ):
        assert learner.client.post(path, data=data).status_code == 400
    collection = _collection(db, showcase["id"])
    assert collection.share_token_hash is None and collection.visibility == "private"


def test_sharing_with_coaches_keeps_an_active_link_working(db, learner, anonymous, showcase):
    token = _create_link(learner, showcase["id"])
    learner.post(f"/portfolio/collections/{showcase['id']}/visibility", {"visibility": "coaches"})
    assert anonymous.get(f"/showcase/s/{token}").status_code == 200
    assert "A secret link is active" in learner.get(f"/portfolio/collections/{showcase['id']}").get_data(as_text=True)


def test_learner_text_never_becomes_markup_on_the_public_page(app, db, learner, anonymous):
    evidence = make_evidence(
        app, db, learner, '<script>alert("t")</script>',
        description='<p onmouseover="alert(1)">ok<img src=x onerror=alert(2)><a href="javascript:alert(3)">x</a></p>',
    )
    evidence.url = "javascript:alert(4)"
    evidence.issuer = '"><svg onload=alert(5)>'
    db.commit()
    collection_id = create_collection(learner, '<b onclick="alert(6)">Titel</b>')
    add_to_collection(learner, collection_id, evidence=[evidence.id])
    token = _create_link(learner, collection_id)
    page = anonymous.get(f"/showcase/s/{token}").get_data(as_text=True)
    for executable in ("<script>alert", "onmouseover", "onerror", 'href="javascript:', "<svg", "onclick"):
        assert executable not in page, executable
    assert "&lt;script&gt;" in page
