"""Uploads: the type comes from the bytes, images are re-encoded, limits hold, and a refused
upload leaves no row and no file behind."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from sqlalchemy import func, select

from lti_tool.portfolio.models import Evidence, EvidenceFile
from tests.portfolio.conftest import jpeg_bytes, pdf_bytes, png_bytes, post_evidence, stored_files


def _nothing_left(app, db) -> None:
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Evidence)) == 0
    assert db.scalar(select(func.count()).select_from(EvidenceFile)) == 0
    assert stored_files(app) == []


def _only_file(db) -> EvidenceFile:
    db.expire_all()
    return db.scalars(select(EvidenceFile)).one()


def _stored_bytes(app, key: str) -> bytes:
    with app.extensions["leerpaspoort.storage"].open(key) as handle:
        return handle.read()


def _exif_with_gps_and_rotation() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "SpyCam Inc."  # camera make
    exif[0x8825] = {1: "N", 2: (52.0, 5.0, 0.0)}  # GPS latitude
    return exif.tobytes()


# -- refused uploads leave nothing behind ------------------------------------------------------


def test_html_named_like_a_photo_is_refused(learner, app, db):
    page = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
    response = post_evidence(learner, type="photo", files=[(page, "holiday.jpg")])
    assert response.status_code == 400
    assert "text/html" in response.get_data(as_text=True)
    _nothing_left(app, db)


def test_html_named_like_a_text_file_is_refused(learner, app, db):
    response = post_evidence(learner, type="document", files=[(b"<script>alert(1)</script> just text\n", "notes.txt")])
    assert response.status_code == 400
    _nothing_left(app, db)


def test_a_pdf_is_not_a_photo(learner, app, db):
    response = post_evidence(learner, type="photo", files=[(pdf_bytes(), "scan.jpg")])
    assert response.status_code == 400
    _nothing_left(app, db)


def test_svg_is_refused_even_with_an_image_name(learner, app, db):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    for evidence_type in ("photo", "document", "note"):
        response = post_evidence(learner, type=evidence_type, files=[(svg, "drawing.png")])
        assert response.status_code == 400
        assert "SVG" in response.get_data(as_text=True)
    _nothing_left(app, db)


@pytest.fixture
def small_limits(settings_overrides):
    settings_overrides.update(uploads_max_file_size=4096, uploads_quota_per_learner=10000)
    return settings_overrides


def test_a_file_over_the_size_limit_is_refused(small_limits, learner, app, db):
    big = b"x" * 5000 + b"\n"
    response = post_evidence(learner, type="document", files=[(big, "big.txt")])
    assert response.status_code == 400
    assert "larger than" in response.get_data(as_text=True)
    _nothing_left(app, db)


def test_the_quota_per_learner_holds_and_a_refusal_keeps_earlier_files(small_limits, learner, app, db):
    first = b"a" * 4000 + b"\n"
    assert post_evidence(learner, type="document", title="First", files=[(first, "a.txt")]).status_code == 302
    assert post_evidence(learner, type="document", title="Second", files=[(b"b" * 4000 + b"\n", "b.txt")]).status_code == 302
    before = stored_files(app)
    refused = post_evidence(learner, type="document", title="Third", files=[(b"c" * 4000 + b"\n", "c.txt")])
    assert refused.status_code == 413
    assert "do not fit" in refused.get_data(as_text=True)
    db.expire_all()
    assert sorted(db.scalars(select(Evidence.title))) == ["First", "Second"]
    assert stored_files(app) == before


def test_the_quota_is_per_learner(small_limits, learner, second_learner, app, db):
    for person in (learner, second_learner):
        for n in range(2):
            body = bytes([65 + n]) * 4000 + str(person.portfolio_id).encode() + b"\n"
            assert post_evidence(person, type="document", files=[(body, "f.txt")]).status_code == 302


def test_a_decompression_bomb_is_refused_before_it_is_decoded(learner, app, db):
    out = io.BytesIO()
    Image.new("1", (12000, 12000)).save(out, "PNG")  # 144 megapixels in a few kilobytes
    assert len(out.getvalue()) < 100_000
    response = post_evidence(learner, type="photo", files=[(out.getvalue(), "bomb.png")])
    assert response.status_code == 400
    assert "too many pixels" in response.get_data(as_text=True)
    _nothing_left(app, db)


def test_a_corrupt_image_is_refused(learner, app, db):
    broken = jpeg_bytes()[:200] + b"\x00garbage" * 50
    response = post_evidence(learner, type="photo", files=[(broken, "broken.jpg")])
    assert response.status_code == 400
    assert "could not be read" in response.get_data(as_text=True)
    _nothing_left(app, db)


def test_one_bad_file_refuses_the_whole_item(learner, app, db):
    response = post_evidence(
        learner, type="photo", files=[(jpeg_bytes(), "good.jpg"), (b"MZ\x90\x00" + b"\x00" * 200, "evil.jpg")]
    )
    assert response.status_code == 400
    _nothing_left(app, db)


def test_a_failed_transaction_removes_the_files_it_wrote(app, db):
    from lti_tool.storage import content_key, put_content_in_transaction

    store = app.extensions["leerpaspoort.storage"]
    key = content_key("evidence/1", "ab" * 32, extension="txt")
    put_content_in_transaction(db, store, key, b"written then rolled back")
    assert store.exists(key)
    db.rollback()
    assert not store.exists(key)
    assert stored_files(app) == []


def test_a_rollback_never_removes_a_file_that_was_already_stored(app, db):
    from lti_tool.storage import content_key, put_content_in_transaction

    store = app.extensions["leerpaspoort.storage"]
    key = content_key("evidence/1", "cd" * 32, extension="txt")
    store.put(key, b"committed earlier")
    put_content_in_transaction(db, store, key, b"committed earlier")
    db.rollback()
    assert store.exists(key)


# -- accepted uploads --------------------------------------------------------------------------


def test_photos_lose_exif_and_are_turned_upright(learner, app, db):
    original = jpeg_bytes(size=(80, 40), exif=_exif_with_gps_and_rotation())
    assert b"SpyCam" in original
    assert post_evidence(learner, type="photo", files=[(original, "IMG_0001.JPG")]).status_code == 302
    stored = _only_file(db)
    data = _stored_bytes(app, stored.storage_key)
    assert b"SpyCam" not in data and b"Exif" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (40, 80)  # rotated as the camera said
        assert not image.getexif()
    assert (stored.width, stored.height, stored.content_type) == (40, 80, "image/jpeg")
    thumbnail = _stored_bytes(app, stored.thumbnail_key)
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert image.format == "JPEG" and max(image.size) <= 480
        assert not image.getexif()


def test_a_polyglot_image_is_reduced_to_pixels(learner, app, db):
    polyglot = jpeg_bytes() + b"<html><script>alert(document.domain)</script></html>"
    assert post_evidence(learner, type="photo", files=[(polyglot, "poly.jpg")]).status_code == 302
    stored = _only_file(db)
    assert b"<script" not in _stored_bytes(app, stored.storage_key)


def test_transparent_images_stay_png(learner, db):
    assert post_evidence(learner, type="photo", files=[(png_bytes(), "logo.png")]).status_code == 302
    assert _only_file(db).content_type == "image/png"


def test_office_documents_are_recognised_from_their_contents(learner, db):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert post_evidence(learner, type="document", files=[(out.getvalue(), "report.bin")]).status_code == 302
    assert _only_file(db).content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_a_plain_zip_is_not_a_document(learner, app, db):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.exe", "MZ")
    assert post_evidence(learner, type="document", files=[(out.getvalue(), "report.docx")]).status_code == 400
    _nothing_left(app, db)


def test_the_same_file_twice_is_stored_once_and_kept_until_its_last_item_goes(learner, app, db):
    photo = jpeg_bytes(color="blue")
    post_evidence(learner, type="photo", title="One", files=[(photo, "a.jpg")])
    post_evidence(learner, type="photo", title="Two", files=[(photo, "b.jpg")])
    assert len(stored_files(app)) == 2  # one picture and one thumbnail, shared
    first, second = db.scalars(select(Evidence).order_by(Evidence.id)).all()
    learner.post(f"/portfolio/evidence/{first.id}/delete")
    learner.post(f"/portfolio/trash/{first.id}/purge")
    assert len(stored_files(app)) == 2
    assert learner.get(f"/portfolio/files/{second.files[0].id}").status_code == 200
    learner.post(f"/portfolio/evidence/{second.id}/delete")
    learner.post(f"/portfolio/trash/{second.id}/purge")
    assert stored_files(app) == []


def test_orphan_sweep_removes_old_unreferenced_files_only(learner, app, db):
    from datetime import timedelta

    from lti_tool.db import utcnow
    from lti_tool.portfolio.evidence import sweep_orphan_files

    post_evidence(learner, type="document", files=[(pdf_bytes(), "kept.pdf")])
    store = app.extensions["leerpaspoort.storage"]
    store.put("evidence/99/ff/" + "f" * 64 + ".txt", b"left by a crash")
    assert sweep_orphan_files(db, store) == 0  # too young: could belong to a running request
    assert sweep_orphan_files(db, store, now=utcnow() + timedelta(days=2)) == 1
    assert [f.split("/")[-1] for f in stored_files(app)] == [_only_file(db).storage_key.split("/")[-1]]


# -- serving -----------------------------------------------------------------------------------


def test_images_are_served_inline_with_safe_headers(learner, db):
    post_evidence(learner, type="photo", files=[(jpeg_bytes(), "me.jpg")])
    stored = _only_file(db)
    for path in (f"/portfolio/files/{stored.id}", f"/portfolio/files/{stored.id}/thumbnail"):
        response = learner.get(path)
        assert response.status_code == 200
        assert response.mimetype == "image/jpeg"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"].startswith("private")


def test_documents_are_served_as_downloads(learner, db):
    post_evidence(learner, type="document", files=[(b"Meeting notes\nsecond line\n", "notes.txt")])
    stored = _only_file(db)
    assert stored.content_type == "text/plain"
    response = learner.get(f"/portfolio/files/{stored.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert 'filename=notes.txt' in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_a_file_name_cannot_break_out_of_the_header_or_the_store(learner, app, db):
    name = '../../etc/passwd"\r\nX-Injected: yes.txt'
    assert post_evidence(learner, type="document", files=[(b"plain\n", name)]).status_code == 302
    stored = _only_file(db)
    assert "/" not in stored.original_name and "\n" not in stored.original_name
    assert stored.storage_key.startswith(f"evidence/{learner.portfolio_id}/")
    response = learner.get(f"/portfolio/files/{stored.id}")
    assert "X-Injected" not in response.headers


def test_files_of_trashed_items_are_not_served(learner, db):
    post_evidence(learner, type="photo", files=[(jpeg_bytes(), "me.jpg")])
    stored = _only_file(db)
    learner.post(f"/portfolio/evidence/{stored.evidence_id}/delete")
    assert learner.get(f"/portfolio/files/{stored.id}").status_code == 404
    assert learner.get(f"/portfolio/files/{stored.id}/thumbnail").status_code == 404
