"""Who may read and write which statements: scopes, limited credentials, expiry, tenants."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.xapi.conftest import make_statement, new_id

LEARNER = {"objectType": "Agent", "mbox": "mailto:learner@example.nl"}
OTHER = {"objectType": "Agent", "mbox": "mailto:other@example.nl"}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [s["id"] for s in response.get_json()["statements"]]


def post(client, **overrides) -> str:
    statement_id = new_id()
    response = client.post("statements", json_body=make_statement(id=statement_id, **overrides))
    assert response.status_code == 200, response.get_data(as_text=True)
    return statement_id


@pytest.fixture
def client_with(make_credential, lrs_client_for):
    def build(scopes, **limits):
        return lrs_client_for(make_credential(scopes, **limits))

    return build


def test_write_only_credential_cannot_read(client_with):
    writer = client_with(["statements/write"])
    statement_id = post(writer)
    assert writer.get("statements").status_code == 403
    assert writer.get(f"statements?statementId={statement_id}").status_code == 403


def test_read_only_credential_cannot_write(client_with, db):
    reader = client_with(["statements/read"])
    assert reader.post("statements", json_body=make_statement()).status_code == 403
    assert reader.put(f"statements?statementId={new_id()}", json_body=make_statement()).status_code == 403


def test_all_read_reads_but_does_not_write(client_with, lrs):
    statement_id = post(lrs)
    reader = client_with(["all/read"])
    assert ids(reader.get("statements")) == [statement_id]
    assert reader.post("statements", json_body=make_statement()).status_code == 403


def test_state_scope_alone_gives_no_statement_access(client_with):
    assert client_with(["state"]).get("statements").status_code == 403


def test_read_mine_sees_only_what_the_credential_stored(client_with, lrs):
    others = post(lrs)
    mine_client = client_with(["statements/write", "statements/read/mine"])
    mine = post(mine_client)
    assert ids(mine_client.get("statements")) == [mine]
    assert mine_client.get(f"statements?statementId={others}").status_code == 404
    assert mine_client.get(f"statements?statementId={mine}").status_code == 200


def test_statements_read_sees_everything_of_the_tenant(client_with, lrs):
    first = post(lrs)
    reader = client_with(["statements/read"])
    assert ids(reader.get("statements")) == [first]


def test_actor_limited_credential_writes_only_its_actor(client_with, db):
    limited = client_with(["statements/write", "statements/read/mine"], actor=LEARNER)
    assert limited.post("statements", json_body=make_statement(actor={"mbox": "mailto:learner@example.nl", "name": "L"})).status_code == 200
    refused = limited.post("statements", json_body=[make_statement(actor=LEARNER), make_statement(actor=OTHER)])
    assert refused.status_code == 403
    assert "statements[1].actor" in refused.get_json()["error"]["message"]
    assert len(ids(limited.get("statements"))) == 1


def test_actor_limited_credential_reads_only_its_actor(client_with, lrs):
    about_learner = post(lrs, actor=LEARNER)
    about_other = post(lrs, actor=OTHER)
    limited = client_with(["statements/read"], actor=LEARNER)
    assert ids(limited.get("statements")) == [about_learner]
    assert limited.get(f"statements?statementId={about_other}").status_code == 404
    assert ids(limited.get("statements?agent=" + '{"mbox":"mailto:other@example.nl"}')) == []


def test_actor_limited_credential_cannot_void(client_with):
    limited = client_with(["statements/write", "statements/read/mine"], actor=LEARNER)
    target = post(limited, actor=LEARNER)
    voiding = make_statement(actor=LEARNER, verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target})
    assert limited.post("statements", json_body=voiding).status_code == 403
    assert limited.get(f"statements?statementId={target}").status_code == 200


def test_registration_limited_credential_writes_and_reads_only_its_registration(client_with, lrs):
    registration = str(uuid.uuid4())
    other_registration = post(lrs, actor=LEARNER, context={"registration": str(uuid.uuid4())})
    limited = client_with(["statements/write", "statements/read"], actor=LEARNER, registration=registration)
    assert limited.post("statements", json_body=make_statement(actor=LEARNER)).status_code == 403
    wrong = make_statement(actor=LEARNER, context={"registration": str(uuid.uuid4())})
    assert limited.post("statements", json_body=wrong).status_code == 403
    mine = post(limited, actor=LEARNER, context={"registration": registration})
    assert ids(limited.get("statements")) == [mine]
    assert limited.get(f"statements?statementId={other_registration}").status_code == 404


def test_expired_credential_is_401(make_credential, lrs_client_for, db):
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    expired = lrs_client_for(make_credential(expires_at=past + timedelta(minutes=30), now=past))
    response = expired.post("statements", json_body=make_statement())
    assert response.status_code == 401
    assert "expired" in response.get_json()["error"]["message"]


def test_revoked_credential_is_401(lrs, lrs_credential, db):
    from xapi.credentials import revoke_credential

    assert lrs.get("statements").status_code == 200
    revoke_credential(db, lrs_credential.key)
    db.commit()
    response = lrs.post("statements", json_body=make_statement())
    assert response.status_code == 401
    assert "revoked" in response.get_json()["error"]["message"]


def test_wrong_secret_is_401_with_a_basic_challenge(lrs):
    wrong = type(lrs)(lrs.client, lrs.key, "wrong-secret")
    response = wrong.get("statements")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_two_tenants_never_see_each_others_statements(client_with):
    first = client_with(["all"], tenant_id=1)
    second = client_with(["all"], tenant_id=2)
    first_id = post(first, actor=LEARNER)
    second_id = post(second, actor=LEARNER)
    assert ids(first.get("statements")) == [first_id]
    assert ids(second.get("statements")) == [second_id]
    assert second.get(f"statements?statementId={first_id}").status_code == 404
    assert ids(second.get("statements?agent=" + '{"mbox":"mailto:learner@example.nl"}')) == [second_id]
    voiding = make_statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": first_id})
    assert second.post("statements", json_body=voiding).status_code == 200
    assert first.get(f"statements?statementId={first_id}").status_code == 200
