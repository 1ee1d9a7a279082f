"""The cmi5 rules an AU's statements must keep (cmi5 sections 7.1, 9.3-9.6 and 10). Pure logic.

cmi5 6.3: the LMS SHOULD reject statements that conflict with section 9 (and otherwise MUST void
them); we reject, so nothing that breaks a rule is ever stored. Only statements sent with an
AU's session credential are judged: the rules are the AU's obligations within its session.

Order within a session is the order statements arrive in (request order within a batch): a
statement that was accepted stays stored, so a later one cannot make it "not first" again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lti_tool.modules.cmi5_statements import (
    ABANDONED,
    CMI5_CATEGORY,
    COMPLETED,
    FAILED,
    INITIALIZED,
    LAUNCHED,
    MASTERY_SCORE,
    MOVEON_CATEGORY,
    NORMAL,
    PASSED,
    SATISFIED,
    SESSION_ID,
    TERMINATED,
    WAIVED,
)

# cmi5 9.3: the verbs an AU sends, and the ones only the LMS may use.
AU_VERBS = frozenset({INITIALIZED, COMPLETED, PASSED, FAILED, TERMINATED})
LMS_ONLY_VERBS = {
    LAUNCHED: "9.3.1",
    ABANDONED: "9.3.6",
    WAIVED: "9.3.7",
    SATISFIED: "9.3.9",
}
CMI5_VERBS = AU_VERBS | frozenset(LMS_ONLY_VERBS)
JUDGED = frozenset({PASSED, FAILED})
MOVE_ON_VERBS = frozenset({COMPLETED, PASSED, FAILED})
# cmi5 9.5.4.1: the AU statements that carry a duration.
NEEDS_DURATION = frozenset({TERMINATED, COMPLETED, PASSED, FAILED})
UTC_OFFSET = re.compile(r"(Z|z|[+-]00(:?00)?)$")
NAMES = {verb: verb.rsplit("/", 1)[-1].capitalize() for verb in CMI5_VERBS}


@dataclass(frozen=True)
class Violation:
    """Why a statement was refused: the cmi5 section, the rule, and where in the request."""

    index: int
    section: str
    rule: str
    property: str


@dataclass
class SessionFacts:
    """What is already known about one AU session when a request arrives."""

    session_id: str
    au_id: str  # the LMS-generated activity id of the AU (cmi5 8.1 activityId)
    lms_id_prefix: str  # the course's LMS-generated ids are this plus "course", "block:<n>", "au:<n>"
    mastery_score: float | None = None
    launch_mode: str = NORMAL
    ended_by: str | None = None  # "Terminated" or "Abandoned" once the session is over
    initialized: bool = False
    session_verbs: set[str] = field(default_factory=set)  # cmi5 defined verbs stored in the session
    known_ids: set[str] = field(default_factory=set)  # those statements' ids: a re-send is no new statement
    completed_in_registration: bool = False
    passed_in_registration: bool = False


def first_violation(facts: SessionFacts, statements: list[dict]) -> Violation | None:
    """Judge the statements in order against the session; return the first broken rule, if any.

    `facts` is advanced past every accepted statement, so a batch is judged like a sequence."""
    for index, statement in enumerate(statements):
        violation = _judge(facts, index, statement)
        if violation is not None:
            return violation
    return None


def _judge(facts: SessionFacts, index: int, statement: dict) -> Violation | None:
    at = f"statements[{index}]"

    def broken(section: str, rule: str, prop: str = "") -> Violation:
        return Violation(index, section, rule, f"{at}.{prop}" if prop else at)

    if facts.ended_by == "Terminated":
        return broken("9.3.8", "the session has ended with Terminated: it takes no more statements")
    if facts.ended_by == "Abandoned":
        return broken("9.3.6", "the session was abandoned: it takes no more statements")
    statement_id = str(statement.get("id") or "").lower()
    if statement_id and statement_id in facts.known_ids:
        return None  # the same statement sent again: the store answers it as a repeat

    timestamp = statement.get("timestamp")
    if timestamp is None:
        return broken("9.7", "every AU statement carries a timestamp: it decides the order of the session", "timestamp")
    if not UTC_OFFSET.search(timestamp):
        return broken("9.7", "timestamps are recorded in UTC (ending in Z or +00:00)", "timestamp")

    context = statement.get("context") or {}
    extensions = context.get("extensions") or {}
    if SESSION_ID not in extensions:
        return broken("9.6.3.1", "every AU statement carries the session id from LMS.LaunchData", "context.extensions")
    if extensions.get(SESSION_ID) != facts.session_id:
        return broken("9.6.3.1", "the session id differs from this session's (LMS.LaunchData contextTemplate)", "context.extensions")

    verb = statement["verb"]["id"]
    categories = _category_ids(context)
    if not _is_cmi5_defined(facts, statement, verb, categories):
        return _judge_allowed(facts, categories, broken)
    violation = _judge_defined(facts, statement, verb, categories, broken)
    if violation is None:
        _advance(facts, verb, statement_id)
    return violation


def _judge_allowed(facts: SessionFacts, categories: set[str], broken) -> Violation | None:
    """cmi5 7.1.3: "cmi5 allowed" statements come between Initialized and Terminated."""
    if not facts.initialized:
        return broken("7.1.3", "Initialized must be the first statement of the session")
    if MOVEON_CATEGORY in categories:
        return broken("9.6.2.2", "only Completed, Passed and Failed carry the moveon category", "context.contextActivities.category")
    return None


def _judge_defined(facts: SessionFacts, statement: dict, verb: str, categories: set[str], broken) -> Violation | None:
    name = NAMES.get(verb, verb)
    if verb in LMS_ONLY_VERBS:
        return broken(LMS_ONLY_VERBS[verb], f"{name} statements are written by the LMS, never by an AU", "verb.id")
    if verb not in AU_VERBS:
        return broken("7.1.3", "the cmi5 category is only for statements with a cmi5 verb", "context.contextActivities.category")
    if CMI5_CATEGORY not in categories:
        return broken("9.6.2.1", f"a {name} statement about the AU carries the cmi5 category activity", "context.contextActivities.category")
    if (statement.get("object") or {}).get("id") != facts.au_id:
        return broken("9.4", "the object of a cmi5 defined statement is the AU (the activityId of the launch)", "object.id")

    # Order within the session (cmi5 9.3, 9.3.2).
    if verb == INITIALIZED and facts.initialized:
        return broken("9.3.2", "Initialized is sent once per session", "verb.id")
    if not facts.initialized and verb != INITIALIZED:
        return broken("9.3.2", "Initialized must be the first statement of the session", "verb.id")
    if verb in facts.session_verbs:
        return broken("9.3", f"a session has at most one {name} statement", "verb.id")
    if verb in JUDGED and facts.session_verbs & JUDGED:
        return broken("9.3", "a session has at most one of Passed and Failed", "verb.id")

    # cmi5 10 (launchMode): in Browse and Review only Initialized and Terminated are sent.
    if facts.launch_mode != NORMAL and verb not in (INITIALIZED, TERMINATED):
        return broken("10", f"in launchMode {facts.launch_mode} an AU sends no {name} statement", "verb.id")

    # Order within the registration, per AU (cmi5 9.3, 9.3.3, 9.3.4).
    if verb == COMPLETED and facts.completed_in_registration:
        return broken("9.3.3", "Completed is sent once per registration", "verb.id")
    if verb == PASSED and facts.passed_in_registration:
        return broken("9.3.4", "Passed is sent once per registration", "verb.id")
    if verb == FAILED and facts.passed_in_registration:
        return broken("9.3", "Failed must not follow Passed in a registration", "verb.id")

    return _judge_result(facts, statement, verb, categories, broken) or _judge_mastery(
        facts, statement, verb, broken
    )


def _judge_result(facts: SessionFacts, statement: dict, verb: str, categories: set[str], broken) -> Violation | None:
    name = NAMES[verb]
    result = statement.get("result") or {}
    if verb in NEEDS_DURATION and "duration" not in result:
        return broken("9.5.4.1", f"a {name} statement includes result.duration", "result.duration")
    expected_success = {PASSED: True, FAILED: False}.get(verb)
    if expected_success is None and "success" in result:
        return broken("9.5.2", f"a {name} statement has no result.success", "result.success")
    if expected_success is not None and result.get("success") is not expected_success:
        return broken("9.5.2", f"a {name} statement has result.success {str(expected_success).lower()}", "result.success")
    if verb == COMPLETED and result.get("completion") is not True:
        return broken("9.5.3", "a Completed statement has result.completion true", "result.completion")
    if verb != COMPLETED and "completion" in result:
        return broken("9.5.3", f"a {name} statement has no result.completion", "result.completion")
    score = result.get("score")
    if score is not None and verb not in JUDGED:
        return broken("9.5.1", f"a {name} statement has no result.score", "result.score")
    if score is not None and "raw" in score and not ("min" in score and "max" in score):
        return broken("9.5.1", "a raw score comes with min and max", "result.score")
    if verb in MOVE_ON_VERBS and MOVEON_CATEGORY not in categories:
        return broken("9.6.2.2", f"a {name} statement carries the moveon category activity", "context.contextActivities.category")
    if verb not in MOVE_ON_VERBS and MOVEON_CATEGORY in categories:
        return broken("9.6.2.2", "only Completed, Passed and Failed carry the moveon category", "context.contextActivities.category")
    return None


def _judge_mastery(facts: SessionFacts, statement: dict, verb: str, broken) -> Violation | None:
    """cmi5 9.3.4, 9.3.5, 9.6.3.2: Passed and Failed agree with the masteryScore of LMS.LaunchData."""
    if verb not in JUDGED or facts.mastery_score is None:
        return None
    extensions = (statement.get("context") or {}).get("extensions") or {}
    sent = extensions.get(MASTERY_SCORE)
    if not _is_number(sent) or abs(float(sent) - facts.mastery_score) > 1e-9:
        return broken(
            "9.6.3.2",
            f"a {NAMES[verb]} statement carries the masteryScore of LMS.LaunchData ({facts.mastery_score:g})",
            "context.extensions",
        )
    scaled = ((statement.get("result") or {}).get("score") or {}).get("scaled")
    if not _is_number(scaled):
        return None
    if verb == PASSED and scaled < facts.mastery_score:
        return broken("9.3.4", f"a Passed score is at least the masteryScore ({facts.mastery_score:g})", "result.score.scaled")
    if verb == FAILED and scaled >= facts.mastery_score:
        return broken("9.3.5", f"a Failed score is below the masteryScore ({facts.mastery_score:g})", "result.score.scaled")
    return None


def _advance(facts: SessionFacts, verb: str, statement_id: str) -> None:
    facts.session_verbs.add(verb)
    if statement_id:
        facts.known_ids.add(statement_id)
    if verb == INITIALIZED:
        facts.initialized = True
    elif verb == TERMINATED:
        facts.ended_by = "Terminated"
    elif verb == COMPLETED:
        facts.completed_in_registration = True
    elif verb == PASSED:
        facts.passed_in_registration = True


def _is_cmi5_defined(facts: SessionFacts, statement: dict, verb: str, categories: set[str]) -> bool:
    """cmi5 7.1.3: defined statements carry the cmi5 category. A cmi5 verb about an activity the
    LMS generated (the AU, a block, the course) is one too, even when it lacks the category:
    otherwise an AU could record "Passed the AU" or "Satisfied the course" outside the rules."""
    if CMI5_CATEGORY in categories:
        return True
    object_id = (statement.get("object") or {}).get("id")
    return verb in CMI5_VERBS and isinstance(object_id, str) and (
        object_id == facts.au_id or _is_lms_generated(facts.lms_id_prefix, object_id)
    )


def _is_lms_generated(prefix: str, object_id: str) -> bool:
    """The course, a block or an AU of this course as the LMS names them (lti_tool.modules.cmi5_ids)."""
    if not object_id.startswith(prefix):
        return False
    rest = object_id[len(prefix) :]
    kind, _, position = rest.partition(":")
    return rest == "course" or (kind in ("block", "au") and position.isdigit())


def _category_ids(context: dict) -> set[str]:
    category = (context.get("contextActivities") or {}).get("category") or []
    if isinstance(category, dict):  # xAPI 1.0 allows a single activity instead of a list
        category = [category]
    return {item.get("id") for item in category if isinstance(item, dict)}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_cmi5_defined_payload(statement: dict) -> bool:
    """Whether a stored statement carries the cmi5 category (cmi5 7.1.3)."""
    return CMI5_CATEGORY in _category_ids(statement.get("context") or {})
