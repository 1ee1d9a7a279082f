"""xAPI 2.0.0 (IEEE 9274.1.1): contextAgents, contextGroups, timestamps with an offset, version 2.0.x."""

from __future__ import annotations

import pytest

from tests.xapi.unit import assert_rejected, statement_with
from xapi.validation import validate_statement, validate_statements

V2 = "2.0.0"
AGENT = {"objectType": "Agent", "mbox": "mailto:coach@example.nl"}
GROUP = {"objectType": "Group", "name": "Klas 3B", "member": [AGENT]}
RELEVANT = ["https://leerpaspoort.example/roles/coach"]


@pytest.mark.parametrize(
    "context",
    [
        {"contextAgents": []},
        {"contextAgents": [{"objectType": "contextAgent", "agent": AGENT}]},
        {"contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:a@example.nl"}, "relevantTypes": RELEVANT}]},
        {"contextGroups": [{"objectType": "contextGroup", "group": GROUP, "relevantTypes": RELEVANT + ["http://example.com/t2"]}]},
        {"contextGroups": [{"objectType": "contextGroup", "group": {"objectType": "Group", "mbox": "mailto:klas@example.nl"}}]},
        {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7", "contextAgents": [], "contextGroups": []},
    ],
)
def test_context_agents_and_groups_are_accepted_in_2_0(context):
    validate_statement(statement_with("context", context), version=V2)


@pytest.mark.parametrize(
    "context, path, fragment",
    [
        ({"contextAgents": {"objectType": "contextAgent", "agent": AGENT}}, "contextAgents", "array of contextAgent objects"),
        ({"contextAgents": [AGENT]}, "contextAgents[0].mbox", "unknown property"),
        ({"contextAgents": [{"agent": AGENT}]}, "contextAgents[0].objectType", "requires the 'objectType'"),
        ({"contextAgents": [{"objectType": "ContextAgent", "agent": AGENT}]}, "contextAgents[0].objectType", "'contextAgent'"),
        ({"contextAgents": [{"objectType": "contextAgent"}]}, "contextAgents[0].agent", "requires the 'agent'"),
        ({"contextAgents": [{"objectType": "contextAgent", "agent": GROUP}]}, "contextAgents[0].agent.objectType", "a Group is not allowed"),
        ({"contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "bad"}}]}, "contextAgents[0].agent.mbox", "mailto"),
        ({"contextAgents": [{"objectType": "contextAgent", "agent": AGENT, "relevantTypes": []}]}, "contextAgents[0].relevantTypes", "at least one"),
        ({"contextAgents": [{"objectType": "contextAgent", "agent": AGENT, "relevantTypes": "http://x.nl/t"}]}, "contextAgents[0].relevantTypes", "array"),
        ({"contextAgents": [{"objectType": "contextAgent", "agent": AGENT, "relevantTypes": ["coach"]}]}, "contextAgents[0].relevantTypes[0]", "IRI"),
        ({"contextAgents": [{"objectType": "contextAgent", "agent": AGENT, "role": "coach"}]}, "contextAgents[0].role", "unknown property"),
        ({"contextAgents": ["mailto:a@example.nl"]}, "contextAgents[0]", "contextAgent object"),
        ({"contextGroups": [{"objectType": "contextGroup"}]}, "contextGroups[0].group", "requires the 'group'"),
        ({"contextGroups": [{"objectType": "contextAgent", "group": GROUP}]}, "contextGroups[0].objectType", "'contextGroup'"),
        ({"contextGroups": [{"objectType": "contextGroup", "group": AGENT}]}, "contextGroups[0].group.objectType", "objectType 'Group'"),
        ({"contextGroups": [{"objectType": "contextGroup", "group": {"member": [AGENT]}}]}, "contextGroups[0].group.objectType", "objectType 'Group'"),
        ({"contextGroups": [{"objectType": "contextGroup", "group": {"objectType": "Group"}}]}, "contextGroups[0].group.member", "anonymous Group"),
        ({"contextGroups": [{"objectType": "contextGroup", "group": GROUP, "relevantTypes": [None]}]}, "contextGroups[0].relevantTypes[0]", "IRI"),
        ({"contextGroups": None}, "contextGroups", "array of contextGroup objects"),
    ],
)
def test_invalid_context_agents_and_groups_are_rejected(context, path, fragment):
    assert_rejected(statement_with("context", context), f"statement.context.{path}", fragment, version=V2)


@pytest.mark.parametrize("place", ["timestamp", "stored"])
def test_timestamps_need_an_offset_in_2_0(place):
    statement = statement_with(place, "2024-05-01T10:00:00.000")
    validate_statement(statement, version="1.0.3")
    assert_rejected(statement, f"statement.{place}", "time zone offset", version=V2)


def test_substatement_timestamps_need_an_offset_in_2_0():
    sub = {
        "objectType": "SubStatement",
        "actor": AGENT,
        "verb": {"id": "http://example.com/planned"},
        "object": {"id": "http://example.com/a"},
        "timestamp": "2024-05-01T10:00:00",
    }
    assert_rejected(statement_with("object", sub), "statement.object.timestamp", "time zone offset", version=V2)


@pytest.mark.parametrize("value", ["2024-05-01T10:00:00Z", "2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00.123456+00:00"])
def test_timestamps_with_an_offset_are_accepted_in_2_0(value):
    validate_statement(statement_with("timestamp", value), version=V2)


@pytest.mark.parametrize("value", ["2.0.0", "2.0", "2.0.1", "1.0.3"])
def test_version_2_0_x_is_accepted_by_a_2_0_lrs(value):
    validate_statement(statement_with("version", value), version=V2)


@pytest.mark.parametrize("value", ["2.1.0", "3.0.0", "0.9", "should fail"])
def test_unknown_versions_are_rejected_by_a_2_0_lrs(value):
    assert_rejected(statement_with("version", value), "statement.version", "1.0, 1.0.x, 2.0 or 2.0.x", version=V2)


def test_the_1_0_3_rules_still_apply_in_2_0():
    assert_rejected(statement_with("actor", {"mbox": "bad"}), "statement.actor.mbox", "mailto", version=V2)
    assert_rejected(statement_with("context.extra", 1), "statement.context.extra", "unknown property", version=V2)
    assert validate_statements([statement_with("context", {"contextAgents": []})], version=V2)
