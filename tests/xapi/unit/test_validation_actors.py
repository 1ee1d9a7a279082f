"""Agents and Groups wherever they appear: actor, object, instructor, team, authority, members."""

from __future__ import annotations

import pytest

from tests.xapi.unit import DELETE, assert_rejected, base_statement, statement_with
from xapi.validation import StatementValidationError, validate_agent, validate_statement

SHA1 = "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"
ACCOUNT = {"homePage": "https://moodle.example.nl", "name": "42"}
MBOX_AGENT = {"objectType": "Agent", "mbox": "mailto:a@example.nl"}
ANONYMOUS_GROUP = {"objectType": "Group", "member": [MBOX_AGENT, {"account": ACCOUNT}]}


@pytest.mark.parametrize(
    "actor",
    [
        {"mbox": "mailto:fenna@example.nl"},
        {"objectType": "Agent", "mbox_sha1sum": SHA1},
        {"objectType": "Agent", "mbox_sha1sum": SHA1.upper()},
        {"openid": "https://openid.example.nl/fenna"},
        {"account": ACCOUNT, "name": "Fenna"},
        {"objectType": "Group", "member": [MBOX_AGENT]},
        {"objectType": "Group", "name": "Team Noord", "member": [MBOX_AGENT, {"openid": "https://id.example.nl/2"}]},
        {"objectType": "Group", "mbox": "mailto:team@example.nl"},
        {"objectType": "Group", "account": ACCOUNT, "member": [MBOX_AGENT]},
        {"objectType": "Group", "mbox_sha1sum": SHA1, "member": [{"objectType": "Agent", "account": ACCOUNT}]},
        {"name": "", "mbox": "mailto:fenna@example.nl"},
        {"account": {"homePage": "https://moodle.example.nl", "name": ""}},
    ],
)
def test_valid_actors_are_accepted(actor):
    validate_statement(statement_with("actor", actor))


@pytest.mark.parametrize(
    "actor, path, fragment",
    [
        ({}, "statement.actor", "exactly one inverse functional identifier"),
        ({"name": "Fenna"}, "statement.actor", "it has none"),
        ({"mbox": "mailto:a@example.nl", "openid": "https://id.example.nl/a"}, "statement.actor", "it has 2"),
        ({"mbox": "mailto:a@example.nl", "mbox_sha1sum": SHA1, "account": ACCOUNT}, "statement.actor", "it has 3"),
        ({"mbox": "a@example.nl"}, "statement.actor.mbox", "mbox must be a mailto IRI"),
        ({"mbox": ""}, "statement.actor.mbox", "mailto IRI"),
        ({"mbox": None}, "statement.actor.mbox", "mailto IRI"),
        ({"mbox": ["mailto:a@example.nl"]}, "statement.actor.mbox", "mailto IRI"),
        ({"mbox_sha1sum": "not-a-hash"}, "statement.actor.mbox_sha1sum", "40 hexadecimal"),
        ({"mbox_sha1sum": SHA1 + "0"}, "statement.actor.mbox_sha1sum", "40 hexadecimal"),
        ({"mbox_sha1sum": 1234}, "statement.actor.mbox_sha1sum", "40 hexadecimal"),
        ({"openid": "fenna"}, "statement.actor.openid", "OpenID URI"),
        ({"openid": 7}, "statement.actor.openid", "OpenID URI"),
        ({"account": "fenna"}, "statement.actor.account", "account object"),
        ({"account": {"name": "42"}}, "statement.actor.account.homePage", "requires the 'homePage'"),
        ({"account": {"homePage": "https://m.example.nl"}}, "statement.actor.account.name", "requires the 'name'"),
        ({"account": {"homePage": "moodle", "name": "42"}}, "statement.actor.account.homePage", "IRL"),
        ({"account": {"homePage": "https://m.example.nl", "name": {"key": "should fail"}}}, "statement.actor.account.name", "string"),
        ({"account": {"homePage": "https://m.example.nl", "name": 42}}, "statement.actor.account.name", "string"),
        ({"account": {**ACCOUNT, "Name": "x"}}, "statement.actor.account.Name", "case-sensitive"),
        ({"account": {**ACCOUNT, "id": "x"}}, "statement.actor.account.id", "unknown property"),
        ({"mbox": "mailto:a@example.nl", "name": None}, "statement.actor.name", "string"),
        ({"mbox": "mailto:a@example.nl", "name": 5}, "statement.actor.name", "string"),
        ({"mbox": "mailto:a@example.nl", "Mbox": "mailto:b@example.nl"}, "statement.actor.Mbox", "case-sensitive"),
        ({"mbox": "mailto:a@example.nl", "email": "a@example.nl"}, "statement.actor.email", "unknown property"),
        ({"mbox": "mailto:a@example.nl", "member": []}, "statement.actor.member", "cannot have members"),
        ({"objectType": "agent", "mbox": "mailto:a@example.nl"}, "statement.actor.objectType", "'Agent' or 'Group'"),
        ({"objectType": "Person", "mbox": "mailto:a@example.nl"}, "statement.actor.objectType", "'Agent' or 'Group'"),
        ({"objectType": "Activity", "id": "http://example.com/a"}, "statement.actor.objectType", "'Agent' or 'Group'"),
        ({"objectType": "Group"}, "statement.actor.member", "anonymous Group"),
        ({"objectType": "Group", "name": "Team"}, "statement.actor.member", "must list its members"),
        ({"objectType": "Group", "member": []}, "statement.actor.member", "at least one"),
        ({"objectType": "Group", "member": MBOX_AGENT}, "statement.actor.member", "array of Agents"),
        ({"objectType": "Group", "member": [ANONYMOUS_GROUP]}, "statement.actor.member[0].objectType", "cannot be nested"),
        ({"objectType": "Group", "member": ["mailto:a@example.nl"]}, "statement.actor.member[0]", "Agent object"),
        ({"objectType": "Group", "member": [{"name": "No IFI"}]}, "statement.actor.member[0]", "exactly one inverse functional identifier"),
        ({"objectType": "Group", "member": [MBOX_AGENT, {"mbox": "bad"}]}, "statement.actor.member[1].mbox", "mailto IRI"),
        ({"objectType": "Group", "member": [{"objectType": "agent", "mbox": "mailto:a@b.nl"}]}, "statement.actor.member[0].objectType", "'Agent'"),
        (
            {"objectType": "Group", "mbox": "mailto:t@example.nl", "openid": "https://id.example.nl/t"},
            "statement.actor",
            "at most one inverse functional identifier",
        ),
        ({"objectType": "Group", "mbox": "mailto:t@example.nl", "member": []}, "statement.actor.member", "at least one"),
        ({"objectType": "Group", "mbox": "team@example.nl", "member": [MBOX_AGENT]}, "statement.actor.mbox", "mailto IRI"),
        (
            {"objectType": "Group", "account": {"homePage": "https://m.example.nl", "name": {"key": "x"}}},
            "statement.actor.account.name",
            "string",
        ),
        ({"objectType": "Group", "member": [MBOX_AGENT], "members": []}, "statement.actor.members", "unknown property"),
        ("mailto:a@example.nl", "statement.actor", "Agent or Group object"),
        (["mailto:a@example.nl"], "statement.actor", "Agent or Group object"),
        (None, "statement.actor", "Agent or Group object"),
    ],
)
def test_invalid_actors_are_rejected(actor, path, fragment):
    assert_rejected(statement_with("actor", actor), path, fragment)


def test_missing_actor_is_rejected():
    assert_rejected(statement_with("actor", DELETE), "statement.actor", "requires the 'actor'")


@pytest.mark.parametrize(
    "place",
    ["context.instructor", "object"],
)
@pytest.mark.parametrize(
    "agent, suffix, fragment",
    [
        ({"objectType": "Agent", "account": {"name": {"key": "should fail"}, "homePage": "https://m.example.nl"}}, ".account.name", "string"),
        ({"objectType": "Group", "account": {"name": {"key": "should fail"}, "homePage": "https://m.example.nl"}}, ".account.name", "string"),
        ({"objectType": "Agent", "mbox": "fenna@example.nl"}, ".mbox", "mailto"),
        ({"objectType": "Agent"}, "", "exactly one inverse functional identifier"),
    ],
)
def test_agents_are_checked_the_same_way_in_every_place(place, agent, suffix, fragment):
    statement = statement_with(place, agent)
    assert_rejected(statement, f"statement.{place}{suffix}", fragment)


def test_agent_object_requires_object_type():
    assert_rejected(
        statement_with("object", {"mbox": "mailto:coach@example.nl"}), "statement.object.objectType", "objectType ('Agent' or 'Group') is required"
    )


@pytest.mark.parametrize(
    "obj",
    [
        {"objectType": "Agent", "mbox": "mailto:coach@example.nl"},
        {"objectType": "Group", "member": [MBOX_AGENT]},
        {"objectType": "Group", "account": ACCOUNT},
    ],
)
def test_agents_and_groups_as_object_are_accepted(obj):
    validate_statement(statement_with("object", obj))


@pytest.mark.parametrize(
    "team, path, fragment",
    [
        (MBOX_AGENT, "statement.context.team.objectType", "team must be a Group"),
        ({"mbox": "mailto:t@example.nl"}, "statement.context.team.objectType", "team must be a Group"),
        ({"objectType": "Group"}, "statement.context.team.member", "anonymous Group"),
        ("Team Noord", "statement.context.team", "Group object"),
    ],
)
def test_context_team_must_be_a_group(team, path, fragment):
    assert_rejected(statement_with("context.team", team), path, fragment)


def test_context_team_and_instructor_accept_groups_and_agents():
    statement = statement_with("context", {"team": ANONYMOUS_GROUP, "instructor": {"objectType": "Group", "mbox": "mailto:docenten@example.nl"}})
    validate_statement(statement)
    validate_statement(statement_with("context.instructor", {"account": ACCOUNT}))


@pytest.mark.parametrize(
    "authority",
    [
        {"objectType": "Agent", "account": {"homePage": "https://lrs.example.nl", "name": "client-1"}},
        {"mbox": "mailto:lrs@example.nl"},
        {"objectType": "Group", "member": [{"account": {"homePage": "https://lrs.example.nl", "name": "app"}}, MBOX_AGENT]},
    ],
)
def test_valid_authorities_are_accepted(authority):
    validate_statement(statement_with("authority", authority))


@pytest.mark.parametrize(
    "authority, path, fragment",
    [
        ({"objectType": "Group", "member": [MBOX_AGENT]}, "statement.authority.member", "exactly two members"),
        ({"objectType": "Group", "member": [MBOX_AGENT, MBOX_AGENT, {"account": ACCOUNT}]}, "statement.authority.member", "exactly two members"),
        ({"objectType": "Group", "mbox": "mailto:g@example.nl", "member": [MBOX_AGENT, {"account": ACCOUNT}]}, "statement.authority", "must be anonymous"),
        ({"objectType": "Agent", "account": {"homePage": "https://m.example.nl", "name": {"k": 1}}}, "statement.authority.account.name", "string"),
        ({"name": "LRS"}, "statement.authority", "exactly one inverse functional identifier"),
        ({"auTHORity": 1, "mbox": "mailto:a@example.nl"}, "statement.authority.auTHORity", "unknown property"),
    ],
)
def test_invalid_authorities_are_rejected(authority, path, fragment):
    assert_rejected(statement_with("authority", authority), path, fragment)


def test_validate_agent_for_query_parameters():
    validate_agent({"mbox": "mailto:fenna@example.nl"})
    validate_agent({"objectType": "Group", "account": ACCOUNT})
    with pytest.raises(StatementValidationError) as caught:
        validate_agent({"objectType": "Group", "account": ACCOUNT}, allow_group=False)
    assert caught.value.path == "agent.objectType"
    with pytest.raises(StatementValidationError) as caught:
        validate_agent({"mbox": "fenna@example.nl"}, path="agent")
    assert caught.value.path == "agent.mbox"
    assert "mailto" in caught.value.rule
    with pytest.raises(StatementValidationError) as caught:
        validate_agent("not json object")
    assert caught.value.path == "agent"


def test_validation_does_not_change_the_statement():
    statement = base_statement()
    statement["actor"] = {"mbox": "mailto:fenna@example.nl"}
    snapshot = repr(statement)
    validate_statement(statement)
    assert repr(statement) == snapshot
