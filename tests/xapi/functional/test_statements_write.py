"""Storing statements: POST (one or many, all or nothing), PUT, conflicts, what the LRS sets."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from tests.xapi.conftest import make_statement, new_id
from xapi.models import Statement


def count_statements(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Statement))


def stored(lrs, statement_id):
    response = lrs.get(f"statements?statementId={statement_id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_post_without_credentials_is_401_and_stores_nothing(lrs, db):
    response = lrs.without_auth().post("statements", json_body=make_statement())
    assert response.status_code == 401
    assert count_statements(db) == 0


def test_post_single_statement_returns_its_new_id(lrs):
    response = lrs.post("statements", json_body=make_statement())
    assert response.status_code == 200
    ids = response.get_json()
    assert len(ids) == 1 and uuid.UUID(ids[0])


def test_post_array_returns_ids_in_request_order(lrs):
    given = [new_id(), None, new_id()]
    statements = [make_statement(id=statement_id) if statement_id else make_statement() for statement_id in given]
    ids = lrs.post("statements", json_body=statements).get_json()
    assert ids[0] == given[0] and ids[2] == given[2]
    assert ids[1] not in given and uuid.UUID(ids[1])


def test_post_array_with_one_invalid_statement_stores_none(lrs, db):
    statements = [make_statement(id=new_id()), make_statement(verb={"id": "not an iri"}), make_statement(id=new_id())]
    response = lrs.post("statements", json_body=statements)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["property"].startswith("statements[1].verb")
    assert error["rule"]
    assert count_statements(db) == 0


def test_post_array_with_a_conflicting_id_stores_none(lrs, db):
    taken = new_id()
    assert lrs.post("statements", json_body=make_statement(id=taken)).status_code == 200
    batch = [make_statement(id=new_id()), make_statement(id=taken, verb={"id": "http://adlnet.gov/expapi/verbs/failed"})]
    response = lrs.post("statements", json_body=batch)
    assert response.status_code == 409
    assert response.get_json()["error"]["property"] == "statements[1].id"
    assert count_statements(db) == 1


def test_post_with_the_same_id_twice_in_one_array_is_400(lrs, db):
    statement_id = new_id()
    response = lrs.post("statements", json_body=[make_statement(id=statement_id), make_statement(id=statement_id.upper())])
    assert response.status_code == 400
    assert count_statements(db) == 0


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("{not json", "application/json"),
        ("", "application/json"),
        ("[]", "application/json"),
        ('"a string"', "application/json"),
        (json.dumps(make_statement()), "text/plain"),
    ],
)
def test_malformed_bodies_are_400_with_a_reason(lrs, db, body, content_type):
    response = lrs.post("statements", data=body, content_type=content_type)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["property"] and error["rule"] and error["message"]
    assert count_statements(db) == 0


@pytest.mark.parametrize(
    "mutation",
    [
        {"actor": {"objectType": "Agent", "mbox": "sanne@example.nl"}},  # mbox without mailto:
        {"actor": {"mbox": "mailto:a@example.nl", "openid": "http://example.nl/a"}},  # two IFIs
        {"verb": {"id": "http://adlnet.gov/expapi/verbs/x", "display": {"not a tag!": "x"}}},
        {"result": {"score": {"scaled": 1.5}}},
        {"unknownProperty": True},
        {"id": "not-a-uuid"},
        {"timestamp": "yesterday"},
    ],
)
def test_invalid_statements_are_rejected_with_400_naming_the_property(lrs, db, mutation):
    response = lrs.post("statements", json_body=make_statement(**mutation))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == 400
    assert error["property"].startswith("statement")
    assert count_statements(db) == 0


def test_lrs_sets_id_stored_authority_version_and_timestamp(lrs, lrs_credential):
    statement_id = lrs.post("statements", json_body=make_statement()).get_json()[0]
    statement = stored(lrs, statement_id)
    assert statement["id"] == statement_id
    assert statement["stored"].endswith("Z")
    assert statement["timestamp"] == statement["stored"]
    assert statement["version"] == "1.0.0"
    assert statement["authority"]["account"]["name"] == lrs_credential.key


def test_statement_is_returned_exactly_as_sent_apart_from_what_the_lrs_adds(lrs):
    statement_id = new_id().upper()
    sent = make_statement(
        id=statement_id,
        timestamp="2024-05-01T13:45:00.123+02:00",
        result={"score": {"raw": 7, "min": 0, "max": 10}, "duration": "PT1H0M0S", "extensions": {"http://x.nl/e": [1, 2.50]}},
        context={"registration": str(uuid.uuid4()), "language": "nl-NL"},
    )
    lrs.post("statements", json_body=sent)
    statement = stored(lrs, statement_id)
    for name in ("stored", "authority", "version"):
        statement.pop(name)
    assert statement == sent
    assert list(statement) == list(sent)


def test_sent_stored_is_replaced_by_the_lrs(lrs):
    statement_id = new_id()
    lrs.post("statements", json_body=make_statement(id=statement_id, stored="2001-01-01T00:00:00Z"))
    assert stored(lrs, statement_id)["stored"] != "2001-01-01T00:00:00Z"


def test_sent_authority_is_overwritten_for_ordinary_credentials(make_credential, lrs_client_for):
    writer = lrs_client_for(make_credential(["statements/write", "statements/read"]))
    forged = {"objectType": "Agent", "mbox": "mailto:boss@example.nl"}
    statement_id = new_id()
    writer.post("statements", json_body=make_statement(id=statement_id, authority=forged))
    assert stored(writer, statement_id)["authority"] != forged


def test_version_2_statements_get_version_2_0_0(lrs):
    client = lrs.as_version("2.0.0")
    statement_id = new_id()
    assert client.post("statements", json_body=make_statement(id=statement_id, timestamp="2024-05-01T13:45:00Z")).status_code == 200
    assert stored(client, statement_id)["version"] == "2.0.0"


def test_same_statement_again_is_a_no_op(lrs, db):
    statement = make_statement(id=new_id())
    first = lrs.post("statements", json_body=statement)
    again = lrs.post("statements", json_body=statement)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()
    assert count_statements(db) == 1


def test_same_statement_with_differences_the_spec_ignores_is_a_no_op(lrs, db):
    statement_id = new_id()
    lrs.post("statements", json_body=make_statement(id=statement_id, timestamp="2024-05-01T13:45:00Z"))
    equivalent = make_statement(
        id=statement_id.upper(),
        timestamp="2024-05-01T15:45:00+02:00",  # the same instant
        verb={"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"nl-NL": "beleefde"}},
        object={"objectType": "Activity", "id": "https://leerpaspoort.example/activities/intro"},
    )
    response = lrs.post("statements", json_body=equivalent)
    assert response.status_code == 200
    assert count_statements(db) == 1


def test_different_statement_with_a_used_id_is_409(lrs, db):
    statement_id = new_id()
    lrs.post("statements", json_body=make_statement(id=statement_id))
    changed = make_statement(id=statement_id, result={"completion": True})
    response = lrs.post("statements", json_body=changed)
    assert response.status_code == 409
    assert "already stored" in response.get_json()["error"]["message"]
    assert lrs.put(f"statements?statementId={statement_id}", json_body=changed).status_code == 409
    assert "result" not in stored(lrs, statement_id)


def test_ids_are_unique_per_tenant_not_globally(make_credential, lrs_client_for, db):
    statement_id = new_id()
    first = lrs_client_for(make_credential(tenant_id=1))
    second = lrs_client_for(make_credential(tenant_id=2))
    assert first.post("statements", json_body=make_statement(id=statement_id)).status_code == 200
    different = make_statement(id=statement_id, result={"success": True})
    assert second.post("statements", json_body=different).status_code == 200
    assert "result" not in stored(first, statement_id)
    assert stored(second, statement_id)["result"] == {"success": True}


# --- PUT -------------------------------------------------------------------------------------


def test_put_stores_under_statement_id_and_answers_204(lrs):
    statement_id = new_id()
    response = lrs.put(f"statements?statementId={statement_id}", json_body=make_statement())
    assert response.status_code == 204
    assert response.get_data() == b""
    assert stored(lrs, statement_id)["id"] == statement_id


def test_put_of_the_same_statement_again_is_204(lrs, db):
    statement_id = new_id()
    statement = make_statement(id=statement_id)
    assert lrs.put(f"statements?statementId={statement_id}", json_body=statement).status_code == 204
    assert lrs.put(f"statements?statementId={statement_id}", json_body=statement).status_code == 204
    assert count_statements(db) == 1


def test_put_without_statement_id_is_400(lrs, db):
    response = lrs.put("statements", json_body=make_statement())
    assert response.status_code == 400
    assert response.get_json()["error"]["property"] == "statementId"
    assert count_statements(db) == 0


def test_put_with_a_body_id_different_from_statement_id_is_400(lrs, db):
    response = lrs.put(f"statements?statementId={new_id()}", json_body=make_statement(id=new_id()))
    assert response.status_code == 400
    assert response.get_json()["error"]["property"] == "statement.id"
    assert count_statements(db) == 0


def test_put_with_an_invalid_statement_id_is_400(lrs, db):
    response = lrs.put("statements?statementId=not-a-uuid", json_body=make_statement())
    assert response.status_code == 400
    assert count_statements(db) == 0


def test_put_with_an_array_is_400(lrs, db):
    response = lrs.put(f"statements?statementId={new_id()}", json_body=[make_statement()])
    assert response.status_code == 400
    assert count_statements(db) == 0


def test_post_with_statement_id_parameter_is_400(lrs, db):
    response = lrs.post(f"statements?statementId={new_id()}", json_body=make_statement())
    assert response.status_code == 400
    assert count_statements(db) == 0


# --- limits ----------------------------------------------------------------------------------


def test_body_over_the_size_limit_is_413(app, lrs, db):
    app.config["XAPI_MAX_REQUEST_BYTES"] = 2000
    big = make_statement(result={"response": "x" * 3000})
    response = lrs.post("statements", json_body=big)
    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("application/json")
    assert count_statements(db) == 0


def test_too_many_statements_in_one_request_is_413(app, lrs, db):
    app.config["XAPI_MAX_STATEMENTS_PER_REQUEST"] = 3
    response = lrs.post("statements", json_body=[make_statement() for _ in range(4)])
    assert response.status_code == 413
    assert count_statements(db) == 0


def test_delete_on_statements_is_405_with_json(lrs):
    response = lrs.delete("statements")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == 405
