"""moveOn evaluation: every value of cmi5 13.1.4 against every combination of progress."""

from __future__ import annotations

import pytest

from lti_tool.modules.cmi5_move_on import AUProgress, all_satisfied, au_satisfied

NOTHING = AUProgress()
ONLY_COMPLETED = AUProgress(completed=True)
ONLY_PASSED = AUProgress(passed=True)
BOTH = AUProgress(completed=True, passed=True)


@pytest.mark.parametrize(
    ("move_on", "progress", "expected"),
    [
        ("Passed", NOTHING, False),
        ("Passed", ONLY_COMPLETED, False),
        ("Passed", ONLY_PASSED, True),
        ("Passed", BOTH, True),
        ("Completed", NOTHING, False),
        ("Completed", ONLY_PASSED, False),
        ("Completed", ONLY_COMPLETED, True),
        ("Completed", BOTH, True),
        ("CompletedAndPassed", NOTHING, False),
        ("CompletedAndPassed", ONLY_COMPLETED, False),
        ("CompletedAndPassed", ONLY_PASSED, False),
        ("CompletedAndPassed", BOTH, True),
        ("CompletedOrPassed", NOTHING, False),
        ("CompletedOrPassed", ONLY_COMPLETED, True),
        ("CompletedOrPassed", ONLY_PASSED, True),
        ("CompletedOrPassed", BOTH, True),
        ("NotApplicable", NOTHING, True),
        ("NotApplicable", BOTH, True),
        ("Whatever", BOTH, False),
        ("", BOTH, False),
    ],
)
def test_move_on(move_on, progress, expected):
    assert au_satisfied(move_on, progress) is expected


def test_a_block_needs_every_au():
    assert all_satisfied(["a", "b"], {"a": True, "b": True})
    assert not all_satisfied(["a", "b"], {"a": True})
    assert not all_satisfied(["a", "b"], {"a": True, "b": False})


def test_an_empty_block_is_never_satisfied():
    assert not all_satisfied([], {"a": True})
