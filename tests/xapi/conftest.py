"""Fixtures for the LRS: credentials of a tenant and an HTTP client that signs requests with them."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

import pytest

DEFAULT_TENANT = 1
DEFAULT_VERSION = "1.0.3"


class LRSClient:
    """The Flask test client aimed at /xapi/, sending Basic auth and the xAPI version header."""

    def __init__(self, client, key: str | None, secret: str | None, version: str | None = DEFAULT_VERSION):
        self.client = client
        self.key = key
        self.secret = secret
        self.version = version

    def headers(self, extra: dict | None = None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.key is not None:
            token = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        if self.version is not None:
            headers["X-Experience-API-Version"] = self.version
        headers.update(extra or {})
        return {name: value for name, value in headers.items() if value is not None}

    def open(self, method: str, path: str, *, json_body: Any = None, headers: dict | None = None, **kwargs):
        """Send a request to /xapi/<path>; `json_body` is serialised as application/json."""
        url = path if path.startswith("/") else "/xapi/" + path
        if json_body is not None:
            kwargs["data"] = json.dumps(json_body)
            kwargs.setdefault("content_type", "application/json")
        return self.client.open(url, method=method, headers=self.headers(headers), **kwargs)

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def head(self, path, **kwargs):
        return self.open("HEAD", path, **kwargs)

    def post(self, path, **kwargs):
        return self.open("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.open("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.open("DELETE", path, **kwargs)

    def as_version(self, version: str | None) -> "LRSClient":
        return LRSClient(self.client, self.key, self.secret, version)

    def without_auth(self) -> "LRSClient":
        return LRSClient(self.client, None, None, self.version)


@pytest.fixture
def make_credential(app, db):
    """Create a credential: make_credential(scopes=[...], tenant_id=1, actor=..., registration=..., expires_at=...)."""
    from xapi.auth import credential_pepper
    from xapi.credentials import create_credential

    def make(
        scopes=("all",),
        *,
        tenant_id: int = DEFAULT_TENANT,
        name: str = "test credential",
        actor: dict | None = None,
        registration: str | None = None,
        expires_at: datetime | None = None,
        now: datetime | None = None,
    ):
        created = create_credential(
            db,
            tenant_id=tenant_id,
            name=name,
            scopes=scopes,
            actor=actor,
            registration=registration,
            expires_at=expires_at,
            pepper=credential_pepper(app),
            now=now,
        )
        db.commit()
        return created

    return make


@pytest.fixture
def lrs_client_for(client):
    """Build an LRSClient for a credential made with make_credential."""

    def build(credential, version: str | None = DEFAULT_VERSION) -> LRSClient:
        return LRSClient(client, credential.key, credential.secret, version)

    return build


@pytest.fixture
def lrs_credential(make_credential):
    """A credential of tenant 1 with every scope."""
    return make_credential(("all",))


@pytest.fixture
def lrs(lrs_credential, lrs_client_for) -> LRSClient:
    """An LRS client of tenant 1 with every scope, speaking xAPI 1.0.3."""
    return lrs_client_for(lrs_credential)


def make_statement(**overrides) -> dict:
    """A small valid statement; keyword arguments replace top-level properties (None removes one)."""
    statement: dict[str, Any] = {
        "actor": {"objectType": "Agent", "name": "Sanne de Vries", "mbox": "mailto:sanne@example.nl"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
        "object": {
            "objectType": "Activity",
            "id": "https://leerpaspoort.example/activities/intro",
            "definition": {"name": {"en-US": "Introduction", "nl-NL": "Introductie"}},
        },
    }
    for name, value in overrides.items():
        if value is None:
            statement.pop(name, None)
        else:
            statement[name] = value
    return statement


@pytest.fixture
def statement_factory():
    """make_statement as a fixture: statement_factory(id=..., verb=...)."""
    return make_statement


def new_id() -> str:
    return str(uuid.uuid4())
