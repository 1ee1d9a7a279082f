"""The statement as a whole: properties, id, object types, SubStatements, voiding, timestamps, version, batches."""

from __future__ import annotations

import copy

import pytest

from tests.support.xapi_statements import SPEC_MINIMAL
from tests.xapi.unit import DELETE, OTHER_ID, STATEMENT_ID, assert_rejected, base_statement, statement_with
from xapi.validation import VOIDED_VERB, StatementValidationError, validate_statement, validate_statements

SUBSTATEMENT = {
    "objectType": "SubStatement",
    "actor": {"objectType": "Agent", "mbox": "mailto:agent@example.com"},
    "verb": {"id": "http://example.com/confirmed", "display": {"en": "confirmed"}},
    "object": {"objectType": "StatementRef", "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"},
}


def test_the_minimal_statement_from_the_specification_is_accepted():
    validate_statement(copy.deepcopy(SPEC_MINIMAL))


@pytest.mark.parametrize("required", ["actor", "verb", "object"])
def test_required_properties_must_be_present(required):
    assert_rejected(statement_with(required, DELETE), f"statement.{required}", f"requires the '{required}'")


def test_statement_without_id_is_accepted():
    validate_statement(statement_with("id", DELETE))


@pytest.mark.parametrize(
    "key, value, fragment",
    [
        ("iD", OTHER_ID, "use 'id'"),
        ("Actor", {"mbox": "mailto:a@example.nl"}, "use 'actor'"),
        ("veRb", {"id": "http://example.com/v"}, "use 'verb'"),
        ("oBject", {"id": "http://example.com/a"}, "use 'object'"),
        ("RESULT", {}, "use 'result'"),
        ("conText", {}, "use 'context'"),
        ("timeStamp", "2013-05-18T05:32:34.804Z", "use 'timestamp'"),
        ("STOred", "2013-05-18T05:32:34.804Z", "use 'stored'"),
        ("auTHORity", {"mbox": "mailto:a@example.nl"}, "use 'authority'"),
        ("Version", "1.0.3", "use 'version'"),
        ("attachmentS", [], "use 'attachments'"),
        ("objectType", "Statement", "unknown property"),
        ("extensions", {}, "unknown property"),
        ("signature", "abc", "unknown property"),
    ],
)
def test_unknown_and_miscased_statement_properties_are_rejected(key, value, fragment):
    assert_rejected(statement_with(key, value), f"statement.{key}", fragment)


def test_property_names_that_are_not_plain_words_are_quoted_in_the_path():
    assert_rejected(statement_with("my key", 1), 'statement["my key"]', "unknown property")


@pytest.mark.parametrize(
    "value",
    [12345, {"key": "should fail"}, None, "", "AA97B177-9383-4934-8543-0F91A7A028368", "MA97B177-9383-4934-8543-0F91A7A02836", "not-a-uuid"],
)
def test_statement_id_must_be_a_uuid(value):
    assert_rejected(statement_with("id", value), "statement.id", "UUID")


@pytest.mark.parametrize("value", ["should fail", "01/011/2015", "2008-09-15T15:53:00.601-00", "2008-09-15T15:53:00.601-0000", "2008-09-15T15:53:00.601-00:00", 1368855154, None])
@pytest.mark.parametrize("place", ["timestamp", "object.timestamp"])
def test_invalid_timestamps_are_rejected_in_statements_and_substatements(value, place):
    if place == "timestamp":
        statement = statement_with("timestamp", value)
    else:
        statement = statement_with("object", {**SUBSTATEMENT, "timestamp": value})
    assert_rejected(statement, f"statement.{place}", "timestamp")


@pytest.mark.parametrize("value", ["2013-05-18T05:32:34.804Z", "2013-05-18T05:32:34.804+00:00", "2013-05-18T05:32:34+02:00", "2013-05-18T05:32:34"])
def test_valid_timestamps_are_accepted(value):
    validate_statement(statement_with("timestamp", value))
    validate_statement(statement_with("stored", value))


def test_stored_must_be_a_timestamp():
    assert_rejected(statement_with("stored", "yesterday"), "statement.stored", "ISO 8601")


@pytest.mark.parametrize("value", ["1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.9"])
def test_version_1_0_x_is_accepted(value):
    validate_statement(statement_with("version", value))


@pytest.mark.parametrize("value", ["should fail", "0.9.9", "0.95", "1.1.0", "2.0.0", "1", "", 1.0, None])
def test_other_versions_are_rejected(value):
    assert_rejected(statement_with("version", value), "statement.version", "version must be")


@pytest.mark.parametrize(
    "verb, path, fragment",
    [
        ({"display": {"en-US": "completed"}}, "statement.verb.id", "requires the 'id'"),
        ({"id": "completed"}, "statement.verb.id", "Verb id IRI"),
        ({"id": ""}, "statement.verb.id", "Verb id IRI"),
        ({"id": None}, "statement.verb.id", "Verb id IRI"),
        ({"id": "http://example.com/v", "display": "completed"}, "statement.verb.display", "language map"),
        ({"id": "http://example.com/v", "display": {"en-US": None}}, 'statement.verb.display["en-US"]', "must be a string"),
        ({"id": "http://example.com/v", "display": {"de-419-DE": "besucht"}}, 'statement.verb.display["de-419-DE"]', "language tag"),
        ({"id": "http://example.com/v", "display": {"something": "besucht"}}, "statement.verb.display.something", "language tag"),
        ({"id": "http://example.com/v", "Display": {}}, "statement.verb.Display", "case-sensitive"),
        ({"id": "http://example.com/v", "name": {}}, "statement.verb.name", "unknown property"),
        ({"id": "http://example.com/v", "display": {}}, "statement.verb.display", "at least one entry"),
        ("http://example.com/v", "statement.verb", "Verb object"),
    ],
)
def test_invalid_verbs_are_rejected(verb, path, fragment):
    assert_rejected(statement_with("verb", verb), path, fragment)


@pytest.mark.parametrize("display", [{"de": "besucht"}, {"i-enochian": "x"}, {"zh-cmn-Hans-CN": "x"}, {"x-whatever": "x"}])
def test_valid_verb_displays_are_accepted(display):
    validate_statement(statement_with("verb.display", display))


def test_statement_ref_object_is_accepted():
    validate_statement(statement_with("object", {"objectType": "StatementRef", "id": OTHER_ID}))


@pytest.mark.parametrize(
    "obj, path, fragment",
    [
        ({"objectType": "StatementRef"}, "statement.object.id", "requires the 'id'"),
        ({"objectType": "StatementRef", "id": 12345}, "statement.object.id", "UUID"),
        ({"objectType": "StatementRef", "id": "AA97B177-9383-4934-8543-0F91A7A028368"}, "statement.object.id", "UUID"),
        ({"objectType": "StatementRef", "id": OTHER_ID, "definition": {}}, "statement.object.definition", "unknown property"),
        ({"objectType": "statementref", "id": OTHER_ID}, "statement.object.objectType", "must be one of"),
        ({"objectType": "Statement", "id": OTHER_ID}, "statement.object.objectType", "must be one of"),
        ({"objectType": None, "id": OTHER_ID}, "statement.object.objectType", "must be one of"),
        ("http://example.com/activity", "statement.object", "Activity, Agent, Group, StatementRef or SubStatement"),
    ],
)
def test_invalid_objects_are_rejected(obj, path, fragment):
    assert_rejected(statement_with("object", obj), path, fragment)


def test_substatement_from_the_specification_is_accepted():
    validate_statement(statement_with("object", SUBSTATEMENT))


@pytest.mark.parametrize(
    "extra",
    [
        {"result": {"success": True, "duration": "PT1M"}},
        {"context": {"registration": OTHER_ID, "contextActivities": {"parent": [{"id": "http://example.com/p"}]}}},
        {"timestamp": "2013-05-18T05:32:34.804Z"},
        {"object": {"id": "http://example.com/a", "definition": {"extensions": {"http://example.com/null": None}}}},
        {"object": {"objectType": "Agent", "mbox": "mailto:x@example.com"}},
        {"object": {"objectType": "Group", "member": [{"mbox": "mailto:x@example.com"}]}},
        {"actor": {"objectType": "Group", "account": {"homePage": "https://m.example.nl", "name": "g"}}},
    ],
)
def test_substatements_may_carry_result_context_timestamp_and_any_object_but_a_substatement(extra):
    validate_statement(statement_with("object", {**SUBSTATEMENT, **extra}))


@pytest.mark.parametrize(
    "key, value",
    [("id", OTHER_ID), ("stored", "2013-05-18T05:32:34.804Z"), ("version", "1.0.0"), ("authority", {"mbox": "mailto:a@example.nl"})],
)
def test_substatements_must_not_have_id_stored_version_or_authority(key, value):
    assert_rejected(statement_with("object", {**SUBSTATEMENT, key: value}), f"statement.object.{key}", f"must not have '{key}'")


def test_substatements_cannot_be_nested():
    nested = {**SUBSTATEMENT, "object": dict(SUBSTATEMENT)}
    assert_rejected(statement_with("object", nested), "statement.object.object.objectType", "cannot contain another SubStatement")


@pytest.mark.parametrize(
    "dotted, value, path, fragment",
    [
        ("actor", {"mbox": "bad"}, "statement.object.actor.mbox", "mailto"),
        ("verb", {"id": "bad"}, "statement.object.verb.id", "IRI"),
        ("verb", {"id": "http://example.com/v", "display": {"de-419-DE": "x"}}, 'statement.object.verb.display["de-419-DE"]', "language tag"),
        ("object", {"objectType": "StatementRef", "id": "MA97B177-9383-4934-8543-0F91A7A02836"}, "statement.object.object.id", "UUID"),
        ("object", {"id": "http://example.com/a", "definition": {"name": {"zh-z-aaa-z-bbb-c-ccc": "x"}}}, 'statement.object.object.definition.name["zh-z-aaa-z-bbb-c-ccc"]', "language tag"),
        ("result", {"duration": "should fail"}, "statement.object.result.duration", "duration"),
        ("context", {"language": "something"}, "statement.object.context.language", "language tag"),
        ("context", {"statement": {"objectType": "StatementRef", "id": {"key": "x"}}}, "statement.object.context.statement.id", "UUID"),
        ("context", {"instructor": {"account": {"homePage": "https://m.example.nl", "name": {"k": 1}}}}, "statement.object.context.instructor.account.name", "string"),
        ("objectType", "substatement", "statement.object.objectType", "must be one of"),
        ("Actor", {}, "statement.object.Actor", "case-sensitive"),
        ("actor", DELETE, "statement.object.actor", "a SubStatement requires the 'actor'"),
        ("verb", DELETE, "statement.object.verb", "requires the 'verb'"),
        ("object", DELETE, "statement.object.object", "requires the 'object'"),
    ],
)
def test_substatement_parts_are_validated_like_statement_parts(dotted, value, path, fragment):
    sub = dict(SUBSTATEMENT)
    if value is DELETE:
        del sub[dotted]
    else:
        sub[dotted] = value
    assert_rejected(statement_with("object", sub), path, fragment)


def test_a_voiding_statement_with_a_statement_ref_is_accepted():
    statement = statement_with("verb", {"id": VOIDED_VERB, "display": {"en-US": "voided"}})
    statement["object"] = {"objectType": "StatementRef", "id": OTHER_ID}
    validate_statement(statement)


@pytest.mark.parametrize(
    "obj",
    [
        {"id": "http://example.com/activity"},
        {"objectType": "Agent", "mbox": "mailto:a@example.nl"},
        {**SUBSTATEMENT},
    ],
)
def test_a_voiding_statement_must_target_a_statement_ref(obj):
    statement = statement_with("verb", {"id": VOIDED_VERB})
    statement["object"] = obj
    assert_rejected(statement, "statement.object", "voiding statement")


def test_the_voided_verb_inside_a_substatement_is_not_a_voiding_statement():
    sub = {**SUBSTATEMENT, "verb": {"id": VOIDED_VERB}, "object": {"id": "http://example.com/a"}}
    validate_statement(statement_with("object", sub))


@pytest.mark.parametrize("payload", ["statement", 42, None, True])
def test_statements_payload_must_be_an_object_or_array(payload):
    with pytest.raises(StatementValidationError) as caught:
        validate_statements(payload)
    assert caught.value.path == "statements"
    assert "statement object or a non-empty array" in caught.value.rule


def test_an_empty_statements_array_is_rejected():
    with pytest.raises(StatementValidationError, match="at least one"):
        validate_statements([])


def test_validate_statements_returns_a_list_in_order():
    first, second = base_statement(), statement_with("id", OTHER_ID)
    assert validate_statements(first) == [first]
    assert validate_statements([first, second]) == [first, second]


def test_batch_errors_name_the_statement_index():
    batch = [base_statement(), statement_with("id", OTHER_ID), statement_with("verb.id", "nope")]
    batch[2]["id"] = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(StatementValidationError) as caught:
        validate_statements(batch)
    assert caught.value.path == "statements[2].verb.id"
    assert str(caught.value).startswith("statements[2].verb.id: ")


def test_batch_elements_must_be_objects():
    with pytest.raises(StatementValidationError) as caught:
        validate_statements([base_statement(), "x"])
    assert caught.value.path == "statements[1]"


def test_the_same_id_twice_in_one_batch_is_rejected():
    duplicate = statement_with("id", STATEMENT_ID.upper())
    with pytest.raises(StatementValidationError) as caught:
        validate_statements([base_statement(), duplicate])
    assert caught.value.path == "statements[1].id"
    assert "appears twice" in caught.value.rule


def test_statements_without_ids_may_repeat_in_a_batch():
    statement = statement_with("id", DELETE)
    validate_statements([statement, statement])


def test_first_problem_is_reported_in_property_order():
    statement = statement_with("actor", {"mbox": "bad"})
    statement["verb"] = {"id": "bad"}
    assert_rejected(statement, "statement.actor.mbox", "mailto")


def test_deeply_invalid_extension_values_are_not_validated():
    statement = statement_with("result", {"extensions": {"http://example.com/x": {"nested": [None, {"Any": "thing"}]}}})
    validate_statement(statement)
