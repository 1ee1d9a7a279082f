"""What runs while statements are stored must look them up, never walk a tenant's whole log.

On SQLite, an ORDER BY seq next to `statement_id IN (...)` made the planner walk the tenant's
(tenant_id, seq) index: every POST then cost time in proportion to all statements ever stored.
This reads the plan of every query run while a batch is stored, projected, tracked and forwarded.
"""

from __future__ import annotations

import base64
import json
import re
import uuid

import pytest
from sqlalchemy import event, select

from lti_tool.lti.models import Platform
from lti_tool.outbox.worker import OutboxWorker
from tests.support.remote_lrs import (  # noqa: F401  (fixtures)
    faulty_proxy,
    remote_database_url,
    remote_lrs,
    remote_migrated_database,
)
from xapi.auth import credential_pepper
from xapi.credentials import create_credential

# A plan step that reads all statements, or a tenant's by tenant alone (through any index that
# starts with tenant_id: an OR the planner could not split once chose the credential index).
WALKS_THE_LOG = re.compile(r"SCAN xapi_statements\b|SEARCH xapi_statements USING (COVERING )?INDEX \w+ \(tenant_id=\?\)$")


@pytest.fixture
def settings_overrides(settings_overrides, faulty_proxy, remote_lrs):
    return {**settings_overrides, "lrs_forward_endpoint": faulty_proxy.endpoint(),
            "lrs_forward_key": remote_lrs.key, "lrs_forward_secret": remote_lrs.secret}


def _statement(n: int) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:learner{n % 7}@example.nl"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/" + ("completed" if n % 3 == 0 else "experienced")},
        "object": {"objectType": "Activity", "id": f"https://leerpaspoort.example/modules/{n % 5}"},
        "context": {"registration": str(uuid.UUID(int=n % 4 + 1, version=4))},
        "result": {"completion": True} if n % 3 == 0 else {},
    }


def test_storing_projecting_tracking_and_forwarding_look_statements_up(app, client, db, platform):
    engine = app.extensions["leerpaspoort.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("the plans read here are SQLite's; PostgreSQL plans by its statistics")
    tenant = db.scalars(select(Platform).where(Platform.issuer == platform.issuer)).one()
    made = create_credential(db, tenant_id=tenant.id, name="module", scopes=("all",), pepper=credential_pepper(app))
    db.commit()
    headers = {"Authorization": "Basic " + base64.b64encode(f"{made.key}:{made.secret}".encode()).decode(),
               "X-Experience-API-Version": "1.0.3"}

    def post(statements):
        response = client.post("/xapi/statements", data=json.dumps(statements), headers=headers, content_type="application/json")
        assert response.status_code == 200, response.get_data(as_text=True)

    post([_statement(n) for n in range(200)])  # a log to walk
    queries: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            queries.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        post([_statement(n) for n in range(200, 250)])
        post([_statement(250)])
        OutboxWorker(app).drain()
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert any("xapi_statements" in statement for statement, _ in queries)
    walking = []
    with engine.connect() as connection:
        for statement, parameters in queries:
            for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters):
                if WALKS_THE_LOG.search(row[-1]):
                    walking.append(f"{row[-1]}\n  in: {' '.join(statement.split())[:300]}")
    assert not walking, "queries that walk a tenant's whole statement log:\n" + "\n".join(walking)
