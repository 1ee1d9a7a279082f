"""Voiding (Data 2.3.2, Communication 2.1.3): hidden from queries, found by voidedStatementId."""

from __future__ import annotations

from tests.xapi.conftest import make_statement, new_id

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def voiding(target: str, **overrides) -> dict:
    return make_statement(verb={"id": VOIDED, "display": {"en-US": "voided"}}, object={"objectType": "StatementRef", "id": target}, **overrides)


def post(lrs, statement) -> str:
    response = lrs.post("statements", json_body=statement)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()[0]


def listed(lrs) -> list[str]:
    return [s["id"] for s in lrs.get("statements").get_json()["statements"]]


def test_voided_statement_is_only_found_by_voided_statement_id(lrs):
    target = post(lrs, make_statement(id=new_id()))
    voider = post(lrs, voiding(target))
    assert lrs.get(f"statements?statementId={target}").status_code == 404
    found = lrs.get(f"statements?voidedStatementId={target}")
    assert found.status_code == 200 and found.get_json()["id"] == target
    assert listed(lrs) == [voider]


def test_voided_statement_id_of_a_statement_that_is_not_voided_is_404(lrs):
    target = post(lrs, make_statement(id=new_id()))
    assert lrs.get(f"statements?voidedStatementId={target}").status_code == 404


def test_voiding_statement_is_returned_by_normal_queries(lrs):
    target = post(lrs, make_statement(id=new_id()))
    voider = post(lrs, voiding(target))
    assert lrs.get(f"statements?statementId={voider}").status_code == 200


def test_voiding_a_voiding_statement_is_400_and_stores_nothing(lrs):
    target = post(lrs, make_statement(id=new_id()))
    voider = post(lrs, voiding(target))
    response = lrs.post("statements", json_body=voiding(voider))
    assert response.status_code == 400
    assert response.get_json()["error"]["rule"] == "a voiding statement cannot be voided"
    assert lrs.get(f"statements?statementId={voider}").status_code == 200
    assert len(listed(lrs)) == 1


def test_voiding_a_voiding_statement_in_the_same_batch_is_400(lrs):
    target = post(lrs, make_statement(id=new_id()))
    first_voider = new_id()
    response = lrs.post("statements", json_body=[voiding(target, id=first_voider), voiding(first_voider)])
    assert response.status_code == 400
    assert lrs.get(f"statements?statementId={target}").status_code == 200


def test_target_in_the_same_batch_is_voided(lrs):
    target = new_id()
    lrs.post("statements", json_body=[make_statement(id=target), voiding(target)])
    assert lrs.get(f"statements?statementId={target}").status_code == 404
    assert lrs.get(f"statements?voidedStatementId={target}").status_code == 200


def test_target_arriving_after_its_voiding_statement_is_voided_on_arrival(lrs):
    target = new_id()
    post(lrs, voiding(target))
    post(lrs, make_statement(id=target))
    assert lrs.get(f"statements?statementId={target}").status_code == 404
    assert lrs.get(f"statements?voidedStatementId={target}").status_code == 200


def test_targets_arriving_in_a_batch_after_their_voiding_statements_are_voided_on_arrival(lrs):
    early, late, untouched = new_id(), new_id(), new_id()
    post(lrs, [voiding(early), voiding(late)])
    response = lrs.post("statements", json_body=[make_statement(id=early), make_statement(id=untouched), make_statement(id=late)])
    assert response.status_code == 200
    assert lrs.get(f"statements?voidedStatementId={early}").status_code == 200
    assert lrs.get(f"statements?voidedStatementId={late}").status_code == 200
    assert lrs.get(f"statements?statementId={untouched}").status_code == 200


def test_voiding_without_statement_ref_is_400(lrs):
    response = lrs.post("statements", json_body=make_statement(verb={"id": VOIDED}))
    assert response.status_code == 400


def test_voided_statements_are_left_out_of_filtered_queries(lrs):
    target = post(lrs, make_statement(id=new_id(), verb={"id": "http://adlnet.gov/expapi/verbs/passed"}))
    post(lrs, voiding(target))
    body = lrs.get("statements?verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fpassed").get_json()
    assert target not in [s["id"] for s in body["statements"]]
