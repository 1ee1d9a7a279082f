"""Whole statements shaped like what Storyline, Captivate, Rise and cmi5 content sends."""

from __future__ import annotations

import copy
import json

import pytest

from tests.support.xapi_statements import (
    CAPTIVATE_EXPERIENCED,
    CAPTIVATE_LIKERT,
    CMI5_PASSED,
    CMI5_SATISFIED,
    REALISTIC,
    RISE_TERMINATED,
    SPEC_LONG_EXAMPLE,
    STORYLINE_ANSWERED,
    VOIDING,
)
from tests.xapi.unit import assert_rejected
from xapi.validation import validate_statement, validate_statements


@pytest.mark.parametrize("statement", REALISTIC.values(), ids=REALISTIC.keys())
def test_realistic_statements_are_accepted_in_both_versions(statement):
    snapshot = json.dumps(statement, sort_keys=True)
    validate_statement(statement)
    validate_statement(statement, version="2.0.0")
    assert json.dumps(statement, sort_keys=True) == snapshot


def test_a_realistic_batch_is_accepted():
    batch = list(copy.deepcopy(list(REALISTIC.values())))
    assert validate_statements(batch) == batch


@pytest.mark.parametrize(
    "statement, mutate, path, fragment",
    [
        (STORYLINE_ANSWERED, lambda s: s["object"]["definition"].update(interactionType="Choice"), "statement.object.definition.interactionType", "one of"),
        (STORYLINE_ANSWERED, lambda s: s["object"]["definition"]["choices"].append({"id": "Helm"}), "statement.object.definition.choices[3].id", "unique"),
        (STORYLINE_ANSWERED, lambda s: s["result"]["score"].update(raw=11), "statement.result.score.raw", "at most max"),
        (STORYLINE_ANSWERED, lambda s: s["context"].update(registration="not-a-registration"), "statement.context.registration", "UUID"),
        (CAPTIVATE_EXPERIENCED, lambda s: s["actor"]["account"].pop("homePage"), "statement.actor.account.homePage", "requires"),
        (CAPTIVATE_EXPERIENCED, lambda s: s["context"]["contextActivities"].update(parent={"id": "slide 3"}), "statement.context.contextActivities.parent.id", "IRI"),
        (CAPTIVATE_LIKERT, lambda s: s["object"]["definition"].update(choices=[]), "statement.object.definition.choices", "does not allow"),
        (CMI5_PASSED, lambda s: s["result"]["score"].update(scaled=90), "statement.result.score.scaled", "between -1 and 1"),
        (CMI5_PASSED, lambda s: s["context"]["contextActivities"]["category"][1].update(id="moveon"), "statement.context.contextActivities.category[1].id", "IRI"),
        (CMI5_PASSED, lambda s: s["context"]["extensions"].update(masteryscore=0.8), "statement.context.extensions.masteryscore", "extension key"),
        (CMI5_SATISFIED, lambda s: s.update(version="2.0.0"), "statement.version", "1.0 or 1.0.x"),
        (RISE_TERMINATED, lambda s: s["result"].update(duration="4:12"), "statement.result.duration", "ISO 8601 duration"),
        (VOIDING, lambda s: s.update(object={"id": "http://example.com/a"}), "statement.object", "voiding statement"),
        (SPEC_LONG_EXAMPLE, lambda s: s["actor"]["member"].append({"objectType": "Group", "member": []}), "statement.actor.member[3].objectType", "nested"),
        (SPEC_LONG_EXAMPLE, lambda s: s["context"].update(language="Klingon (tlh)"), "statement.context.language", "language tag"),
    ],
)
def test_one_broken_property_in_a_realistic_statement_is_pinpointed(statement, mutate, path, fragment):
    broken = copy.deepcopy(statement)
    mutate(broken)
    assert_rejected(broken, path, fragment)
