"""The module library: instructors and administrators upload packages; nobody else, nothing across tenants."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from lti_tool.modules.models import ModulePackage
from tests.support.platform import TestPlatform
from tests.unit.test_module_packages import TINCAN, make_zip

INSTRUCTOR = "launch-instructor-resource-link"
LEARNER = "launch-learner-resource-link"
ADMIN = "launch-site-admin-resource-link"


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _upload(client, data: bytes, *, with_token: bool = True, filename: str = "module.zip"):
    form = {"package": (io.BytesIO(data), filename)}
    if with_token:
        form["csrf_token"] = _csrf(client.get("/modules/").get_data(as_text=True))
    return client.post("/modules/", data=form, content_type="multipart/form-data")


def _package_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(ModulePackage))


@pytest.mark.parametrize("fixture", [INSTRUCTOR, ADMIN])
def test_instructors_and_administrators_upload_a_module(launcher, client, db, fixture):
    launcher.enter(fixture)
    response = _upload(client, make_zip({"tincan.xml": TINCAN, "index_lms.html": b"<p>hi</p>"}).getvalue())
    assert response.status_code == 303
    page = client.get("/modules/").get_data(as_text=True)
    assert "Safety at work" in page
    assert "was added with 1 unit(s)" in page
    assert _package_count(db) == 1


def test_the_navigation_offers_the_library_to_instructors_only(launcher, client):
    launcher.enter(INSTRUCTOR)
    assert 'href="/modules/"' in client.get("/home").get_data(as_text=True)


def test_learners_get_403_and_no_link(launcher, client, db):
    page = launcher.enter(LEARNER).get_data(as_text=True)
    assert 'href="/modules/"' not in page
    assert client.get("/modules/").status_code == 403
    form = {"package": (io.BytesIO(make_zip({"tincan.xml": TINCAN, "index_lms.html": b""}).getvalue()), "m.zip")}
    assert client.post("/modules/", data=form, content_type="multipart/form-data").status_code in (400, 403)
    assert _package_count(db) == 0


def test_anonymous_visitors_must_launch_first(client):
    assert client.get("/modules/").status_code == 401


def test_an_upload_without_csrf_token_is_refused(launcher, client, db):
    launcher.enter(INSTRUCTOR)
    response = _upload(client, make_zip({"tincan.xml": TINCAN, "index_lms.html": b""}).getvalue(), with_token=False)
    assert response.status_code == 400
    assert _package_count(db) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7 not a zip", "not a zip archive"),
        (make_zip({"index.html": b""}).getvalue(), "no tincan.xml or cmi5.xml"),
        (make_zip({"tincan.xml": b"<tincan><activities>", "index_lms.html": b""}).getvalue(), "tincan.xml"),
        (make_zip({"tincan.xml": TINCAN}).getvalue(), "index_lms.html"),
        (make_zip({"tincan.xml": TINCAN, "index_lms.html": b"", "../evil.html": b""}).getvalue(), "escapes it"),
    ],
    ids=["not-a-zip", "no-manifest", "malformed-manifest", "missing-launch-file", "zip-slip"],
)
def test_a_bad_package_is_explained_and_stores_nothing(launcher, client, db, app, data, message):
    launcher.enter(INSTRUCTOR)
    response = _upload(client, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _package_count(db) == 0
    modules = app.extensions["leerpaspoort.settings"].instance_path + "/modules"
    import os

    assert not os.path.isdir(modules) or os.listdir(modules) == []


def test_a_missing_file_gets_a_clear_message(launcher, client, db):
    launcher.enter(INSTRUCTOR)
    token = _csrf(client.get("/modules/").get_data(as_text=True))
    response = client.post("/modules/", data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a zip file" in response.get_data(as_text=True)


def test_packages_of_another_platform_are_not_listed(launcher, client, db):
    with TestPlatform(issuer="https://other-moodle.example") as other:
        other.register_in(db)
    from lti_tool.lti.models import Platform

    foreign = db.scalars(select(Platform).where(Platform.issuer == "https://other-moodle.example")).one()
    db.add(
        ModulePackage(
            platform_id=foreign.id, kind="tincan", course_activity_id="https://other.example/secret-module",
            title="Secret module of another tenant", content_key="f" * 32, total_bytes=1, file_count=1,
        )
    )
    db.commit()
    launcher.enter(INSTRUCTOR)
    assert "Secret module of another tenant" not in client.get("/modules/").get_data(as_text=True)
