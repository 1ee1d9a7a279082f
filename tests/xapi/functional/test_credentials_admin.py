"""The administrator page for LRS credentials: admins only, CSRF, secret shown once, tenant-scoped."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.xapi.conftest import LRSClient, make_statement
from lti_tool.lti.models import Platform
from xapi.models import CredentialRecord

PAGE = "/admin/lrs/credentials"


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def admin(launcher):
    launcher.enter("launch-site-admin-resource-link")
    return launcher.client


def create(client, name="Storyline course", scopes=("statements/write", "statements/read")):
    token = csrf(client.get(PAGE).get_data(as_text=True))
    return client.post(PAGE, data={"csrf_token": token, "name": name, "scope": list(scopes)})


def test_anonymous_visitors_cannot_open_the_page(client):
    response = client.get(PAGE)
    assert response.status_code in (302, 401, 403)


def test_learners_are_refused(launcher, db):
    launcher.enter("launch-learner-resource-link")
    assert launcher.client.get(PAGE).status_code == 403
    assert db.scalars(select(CredentialRecord)).all() == []


def test_admin_creates_a_credential_and_sees_the_secret_once(admin, db, platform):
    response = create(admin)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    key = re.search(r"<code data-key>([^<]+)</code>", html).group(1)
    secret = re.search(r"<code data-secret>([^<]+)</code>", html).group(1)
    record = db.scalars(select(CredentialRecord)).one()
    assert record.key == key and record.scopes == "statements/write statements/read"
    assert record.tenant_id == db.scalars(select(Platform.id)).one()
    assert secret not in admin.get(PAGE).get_data(as_text=True)
    lrs = LRSClient(admin, key, secret)
    assert lrs.post("statements", json_body=make_statement()).status_code == 200


def test_create_without_csrf_token_is_refused(admin, db):
    response = admin.post(PAGE, data={"name": "x", "scope": ["all"]})
    assert response.status_code == 400
    assert db.scalars(select(CredentialRecord)).all() == []


def test_create_with_an_empty_name_explains_the_problem(admin, db):
    response = create(admin, name="  ")
    assert response.status_code == 400
    assert "name" in response.get_data(as_text=True)
    assert db.scalars(select(CredentialRecord)).all() == []


def test_admin_revokes_a_credential(admin, db):
    create(admin)
    record = db.scalars(select(CredentialRecord)).one()
    token = csrf(admin.get(PAGE).get_data(as_text=True))
    response = admin.post(f"{PAGE}/{record.key}/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    db.expire_all()
    assert db.scalars(select(CredentialRecord)).one().revoked_at is not None
    assert 'data-status="revoked"' in admin.get(PAGE).get_data(as_text=True)


def test_admin_sees_and_revokes_only_credentials_of_their_own_platform(admin, db, make_credential):
    foreign = make_credential(tenant_id=9999, name="Other platform's module")
    page = admin.get(PAGE).get_data(as_text=True)
    assert foreign.key not in page
    token = csrf(page)
    assert admin.post(f"{PAGE}/{foreign.key}/revoke", data={"csrf_token": token}).status_code == 404
    db.expire_all()
    assert db.scalars(select(CredentialRecord).where(CredentialRecord.key == foreign.key)).one().revoked_at is None
