"""Context (Data 2.4.6): registration, instructor, team, contextActivities, revision/platform, language, statement."""

from __future__ import annotations

import pytest

from tests.xapi.unit import OTHER_ID, assert_rejected, statement_with
from xapi.validation import validate_statement

PARENT = {"id": "https://leerpaspoort.example/courses/bouw", "objectType": "Activity"}
CMI5_CATEGORY = {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5", "objectType": "Activity"}


@pytest.mark.parametrize(
    "context",
    [
        {},
        {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"},
        {"registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7"},
        {"contextActivities": {"parent": [PARENT], "grouping": [PARENT], "category": [CMI5_CATEGORY], "other": []}},
        {"contextActivities": {"parent": PARENT}},
        {"contextActivities": {"category": {"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}}},
        {"contextActivities": {"other": [{"id": "http://example.com/a", "definition": {"name": {"en": "A"}}}]}},
        {"revision": "2", "platform": "Moodle 4.5"},
        {"revision": ""},
        {"language": "nl-NL"},
        {"language": "de"},
        {"language": "cmn"},
        {"language": "tlh"},
        {"statement": {"objectType": "StatementRef", "id": OTHER_ID}},
        {"extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "abc", "http://example.com/null": None}},
        {"instructor": {"mbox": "mailto:docent@example.nl"}},
        {"team": {"objectType": "Group", "mbox": "mailto:team@example.nl"}},
    ],
)
def test_valid_contexts_are_accepted(context):
    validate_statement(statement_with("context", context))


@pytest.mark.parametrize(
    "context, path, fragment",
    [
        ("course", "statement.context", "Context object"),
        (None, "statement.context", "Context object"),
        ({"registration": None}, "statement.context.registration", "UUID"),
        ({"registration": 12345}, "statement.context.registration", "UUID"),
        ({"registration": {"key": "should fail"}}, "statement.context.registration", "UUID"),
        ({"registration": "AA97B177-9383-4934-8543-0F91A7A028368"}, "statement.context.registration", "UUID"),
        ({"registration": "MA97B177-9383-4934-8543-0F91A7A02836"}, "statement.context.registration", "UUID"),
        ({"registration": ""}, "statement.context.registration", "UUID"),
        ({"contextActivities": []}, "statement.context.contextActivities", "contextActivities object"),
        ({"contextActivities": "should fail"}, "statement.context.contextActivities", "contextActivities object"),
        ({"contextActivities": {}}, "statement.context.contextActivities", "at least one of parent"),
        ({"contextActivities": {"parents": [PARENT]}}, "statement.context.contextActivities.parents", "unknown property"),
        ({"contextActivities": {"Parent": [PARENT]}}, "statement.context.contextActivities.Parent", "case-sensitive"),
        ({"contextActivities": {"parent": "https://x.example/a"}}, "statement.context.contextActivities.parent", "Activity object or an array"),
        ({"contextActivities": {"parent": None}}, "statement.context.contextActivities.parent", "Activity object or an array"),
        ({"contextActivities": {"parent": [{"id": "no iri"}]}}, "statement.context.contextActivities.parent[0].id", "IRI"),
        ({"contextActivities": {"grouping": [PARENT, {}]}}, "statement.context.contextActivities.grouping[1].id", "requires the 'id'"),
        (
            {"contextActivities": {"category": [{"id": "http://x.example/a", "objectType": "Agent"}]}},
            "statement.context.contextActivities.category[0].objectType",
            "must be 'Activity'",
        ),
        ({"contextActivities": {"other": {"id": "http://x.example/a", "definition": {"type": "t"}}}}, "statement.context.contextActivities.other.definition.type", "IRI"),
        ({"revision": 2}, "statement.context.revision", "string"),
        ({"platform": None}, "statement.context.platform", "string"),
        ({"language": "something"}, "statement.context.language", "language tag"),
        ({"language": "de-419-DE"}, "statement.context.language", "language tag"),
        ({"language": ["nl"]}, "statement.context.language", "language tag"),
        ({"statement": {"id": OTHER_ID}}, "statement.context.statement.objectType", "requires the 'objectType'"),
        ({"statement": {"objectType": "Statement", "id": OTHER_ID}}, "statement.context.statement.objectType", "'StatementRef'"),
        ({"statement": {"objectType": "StatementRef", "id": 12345}}, "statement.context.statement.id", "UUID"),
        ({"statement": {"objectType": "StatementRef", "id": "AA97B177-9383-4934-8543-0F91A7A028368"}}, "statement.context.statement.id", "UUID"),
        ({"statement": {"objectType": "StatementRef"}}, "statement.context.statement.id", "requires the 'id'"),
        ({"statement": {"objectType": "StatementRef", "id": OTHER_ID, "verb": {}}}, "statement.context.statement.verb", "unknown property"),
        ({"statement": OTHER_ID}, "statement.context.statement", "StatementRef object"),
        ({"extensions": {"sessionid": "abc"}}, "statement.context.extensions.sessionid", "extension key must be an IRI"),
        ({"extensions": "abc"}, "statement.context.extensions", "extensions object"),
        ({"conText": 1}, "statement.context.conText", "unknown property"),
        ({"Registration": OTHER_ID}, "statement.context.Registration", "case-sensitive"),
        ({"contextAgents": []}, "statement.context.contextAgents", "only in xAPI 2.0"),
        ({"contextGroups": []}, "statement.context.contextGroups", "only in xAPI 2.0"),
    ],
)
def test_invalid_contexts_are_rejected(context, path, fragment):
    assert_rejected(statement_with("context", context), path, fragment)


AGENT_OBJECT = {"objectType": "Agent", "mbox": "mailto:coach@example.nl"}
REF_OBJECT = {"objectType": "StatementRef", "id": OTHER_ID}
SUB_OBJECT = {
    "objectType": "SubStatement",
    "actor": {"mbox": "mailto:a@example.nl"},
    "verb": {"id": "http://example.com/planned"},
    "object": {"id": "http://example.com/a"},
}


@pytest.mark.parametrize("obj", [AGENT_OBJECT, REF_OBJECT, SUB_OBJECT, {"objectType": "Group", "member": [AGENT_OBJECT]}])
@pytest.mark.parametrize("key", ["revision", "platform"])
def test_revision_and_platform_are_only_allowed_for_activity_objects(obj, key):
    statement = statement_with("object", obj)
    statement["context"] = {key: "x"}
    assert_rejected(statement, f"statement.context.{key}", "only allowed when the statement's object is an Activity")


def test_revision_and_platform_inside_a_substatement_follow_the_substatement_object():
    allowed = dict(SUB_OBJECT, context={"revision": "1", "platform": "Rise"})
    validate_statement(statement_with("object", allowed))
    refused = dict(SUB_OBJECT, object=REF_OBJECT, context={"platform": "Rise"})
    assert_rejected(statement_with("object", refused), "statement.object.context.platform", "only allowed")
