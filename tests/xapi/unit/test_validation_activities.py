"""Activities, their definitions and interaction components (Data 2.4.4.1)."""

from __future__ import annotations

import pytest

from tests.xapi.unit import ACTIVITY, DELETE, assert_rejected, statement_with
from xapi.validation import StatementValidationError, validate_activity_id, validate_statement

CMI = "http://adlnet.gov/expapi/activities/cmi.interaction"


def components(*ids: str) -> list[dict]:
    return [{"id": component_id, "description": {"en-US": component_id.title()}} for component_id in ids]


VALID_INTERACTIONS = {
    "true-false": {"interactionType": "true-false", "correctResponsesPattern": ["true"]},
    "choice": {"interactionType": "choice", "correctResponsesPattern": ["golf[,]tetris"], "choices": components("golf", "tetris", "scrabble")},
    "fill-in": {"interactionType": "fill-in", "correctResponsesPattern": ["Bob's your uncle"]},
    "long-fill-in": {"interactionType": "long-fill-in", "correctResponsesPattern": ["{case_matters=false}{lang=en}To store learning."]},
    "matching": {
        "interactionType": "matching",
        "correctResponsesPattern": ["ben[.]3[,]chris[.]2"],
        "source": components("ben", "chris"),
        "target": components("2", "3"),
    },
    "performance": {"interactionType": "performance", "correctResponsesPattern": ["pong[.]1:[,]dg[.]:10"], "steps": components("pong", "dg")},
    "sequencing": {"interactionType": "sequencing", "correctResponsesPattern": ["tim[,]mike"], "choices": components("tim", "mike")},
    "likert": {"interactionType": "likert", "correctResponsesPattern": ["likert_3"], "scale": components("likert_0", "likert_3")},
    "numeric": {"interactionType": "numeric", "correctResponsesPattern": ["4[:]"]},
    "other": {"interactionType": "other", "correctResponsesPattern": ["(35.937432,-86.868896)"]},
    "likert without scale": {"interactionType": "likert"},
    "matching with source only": {"interactionType": "matching", "source": components("a")},
    "choice with no correct answer": {"interactionType": "choice", "correctResponsesPattern": [], "choices": []},
}


@pytest.mark.parametrize("definition", VALID_INTERACTIONS.values(), ids=VALID_INTERACTIONS.keys())
def test_valid_interaction_definitions_are_accepted(definition):
    validate_statement(statement_with("object.definition", {"type": CMI, "description": {"en-US": "Question"}, **definition}))


@pytest.mark.parametrize(
    "activity",
    [
        {"id": "http://example.com/activity"},
        {"objectType": "Activity", "id": "urn:example:activity:1"},
        {"id": "http://example.com/a", "definition": {}},
        {"id": "http://example.com/a", "definition": {"extensions": {"http://example.com/null": None}}},
        {"id": "http://example.com/a", "definition": {"extensions": {}}},
    ],
)
def test_valid_activities_are_accepted(activity):
    validate_statement(statement_with("object", activity))


@pytest.mark.parametrize(
    "dotted, value, path, fragment",
    [
        ("object.id", DELETE, "statement.object.id", "requires the 'id'"),
        ("object.id", "", "statement.object.id", "Activity id IRI"),
        ("object.id", "veilig-werken", "statement.object.id", "Activity id IRI"),
        ("object.id", 42, "statement.object.id", "Activity id IRI"),
        ("object.id", None, "statement.object.id", "Activity id IRI"),
        ("object.objectType", "activity", "statement.object.objectType", "must be one of"),
        ("object.objectType", "Course", "statement.object.objectType", "must be one of"),
        ("object.Definition", {}, "statement.object.Definition", "case-sensitive"),
        ("object.url", "http://example.com", "statement.object.url", "unknown property"),
        ("object.definition", "Veilig werken", "statement.object.definition", "Activity definition object"),
        ("object.definition", None, "statement.object.definition", "Activity definition object"),
        ("object.definition.name", "Veilig werken", "statement.object.definition.name", "language map"),
        ("object.definition.name", {"de-419-DE": "x"}, 'statement.object.definition.name["de-419-DE"]', "language tag"),
        ("object.definition.name", {"nl": None}, "statement.object.definition.name.nl", "must be a string"),
        ("object.definition.description", {"something": "x"}, "statement.object.definition.description.something", "language tag"),
        ("object.definition.description", 12345, "statement.object.definition.description", "language map"),
        ("object.definition.name", {}, "statement.object.definition.name", "at least one entry"),
        ("object.definition.description", {}, "statement.object.definition.description", "at least one entry"),
        ("object.definition.type", "course", "statement.object.definition.type", "Activity type IRI"),
        ("object.definition.type", None, "statement.object.definition.type", "Activity type IRI"),
        ("object.definition.moreInfo", "info page", "statement.object.definition.moreInfo", "IRL"),
        ("object.definition.moreInfo", None, "statement.object.definition.moreInfo", "IRL"),
        ("object.definition.extensions", [], "statement.object.definition.extensions", "extensions object"),
        ("object.definition.extensions", {"room": "Kilby"}, "statement.object.definition.extensions.room", "extension key must be an IRI"),
        ("object.definition.interactiontype", "choice", "statement.object.definition.interactiontype", "case-sensitive"),
        ("object.definition.title", {"en": "x"}, "statement.object.definition.title", "unknown property"),
    ],
)
def test_invalid_activities_are_rejected(dotted, value, path, fragment):
    assert_rejected(statement_with(dotted, value), path, fragment)


@pytest.mark.parametrize("interaction_type", ["true-faLse", "choiCe", "fill-iN", "long-fiLl-in", "matchIng", "perfOrmance", "seqUencing", "liKert", "nUmeric", "Other", "essay", ""])
def test_interaction_type_must_match_the_enumeration_exactly(interaction_type):
    assert_rejected(
        statement_with("object.definition.interactionType", interaction_type),
        "statement.object.definition.interactionType",
        "interactionType must be one of",
    )


@pytest.mark.parametrize("value", [12345, {"type": "choice"}, ["choice"], None])
def test_interaction_type_must_be_a_string(value):
    assert_rejected(statement_with("object.definition.interactionType", value), "statement.object.definition.interactionType", "string")


@pytest.mark.parametrize(
    "interaction_type, component",
    [
        ("true-false", "choices"),
        ("choice", "scale"),
        ("choice", "source"),
        ("fill-in", "choices"),
        ("long-fill-in", "steps"),
        ("matching", "choices"),
        ("matching", "steps"),
        ("performance", "choices"),
        ("sequencing", "target"),
        ("likert", "choices"),
        ("numeric", "scale"),
        ("other", "choices"),
    ],
)
def test_component_lists_not_allowed_for_the_interaction_type_are_rejected(interaction_type, component):
    statement = statement_with("object.definition", {"interactionType": interaction_type, component: components("a", "b")})
    assert_rejected(statement, f"statement.object.definition.{component}", f"does not allow '{component}'")


@pytest.mark.parametrize("key", ["correctResponsesPattern", "choices", "scale", "source", "target", "steps"])
def test_interaction_properties_need_an_interaction_type(key):
    value = ["true"] if key == "correctResponsesPattern" else components("a")
    assert_rejected(statement_with(f"object.definition.{key}", value), f"statement.object.definition.{key}", "needs an interactionType")


@pytest.mark.parametrize(
    "definition, path, fragment",
    [
        ({"interactionType": "true-false", "correctResponsesPattern": "true"}, "definition.correctResponsesPattern", "array of strings"),
        ({"interactionType": "true-false", "correctResponsesPattern": [True]}, "definition.correctResponsesPattern[0]", "string"),
        ({"interactionType": "numeric", "correctResponsesPattern": [4]}, "definition.correctResponsesPattern[0]", "string"),
        ({"interactionType": "choice", "correctResponsesPattern": ["a", None]}, "definition.correctResponsesPattern[1]", "string"),
        ({"interactionType": "choice", "choices": {"id": "a"}}, "definition.choices", "array of interaction components"),
        ({"interactionType": "choice", "choices": ["a"]}, "definition.choices[0]", "interaction component object"),
        ({"interactionType": "choice", "choices": [{"description": {"en": "A"}}]}, "definition.choices[0].id", "requires the 'id'"),
        ({"interactionType": "choice", "choices": [{"id": ""}]}, "definition.choices[0].id", "empty"),
        ({"interactionType": "choice", "choices": [{"id": 1}]}, "definition.choices[0].id", "string"),
        ({"interactionType": "choice", "choices": components("a", "b", "a")}, "definition.choices[2].id", "unique"),
        ({"interactionType": "likert", "scale": [{"id": "x", "name": {"en": "x"}}]}, "definition.scale[0].name", "unknown property"),
        (
            {"interactionType": "choice", "choices": [{"id": "x", "description": {"de-419-DE": "x"}}]},
            'definition.choices[0].description["de-419-DE"]',
            "language tag",
        ),
        ({"interactionType": "likert", "scale": [{"id": "x", "description": "Agree"}]}, "definition.scale[0].description", "language map"),
        ({"interactionType": "likert", "scale": [{"id": "x", "description": {}}]}, "definition.scale[0].description", "at least one entry"),
        ({"interactionType": "matching", "source": components("a"), "target": components("1", "1")}, "definition.target[1].id", "unique"),
        ({"interactionType": "performance", "steps": [{"id": "s", "description": {"en": 1}}]}, "definition.steps[0].description.en", "string"),
    ],
)
def test_invalid_interaction_components_are_rejected(definition, path, fragment):
    assert_rejected(statement_with("object.definition", definition), f"statement.object.{path}", fragment)


def test_component_ids_may_repeat_across_source_and_target():
    validate_statement(statement_with("object.definition", {"interactionType": "matching", "source": components("1"), "target": components("1")}))


def test_validate_activity_id_for_query_parameters():
    validate_activity_id(ACTIVITY["id"], "activityId")
    with pytest.raises(StatementValidationError) as caught:
        validate_activity_id("not an iri", "activityId")
    assert caught.value.path == "activityId"
    assert "IRI" in caught.value.rule
