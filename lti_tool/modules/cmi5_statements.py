"""The statements and the LMS.LaunchData document the LMS writes for cmi5 (sections 9 and 10)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from lti_tool.modules.models import ModulePackage, ModuleUnit

LAUNCHED = "http://adlnet.gov/expapi/verbs/launched"
INITIALIZED = "http://adlnet.gov/expapi/verbs/initialized"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
FAILED = "http://adlnet.gov/expapi/verbs/failed"
TERMINATED = "http://adlnet.gov/expapi/verbs/terminated"
ABANDONED = "https://w3id.org/xapi/adl/verbs/abandoned"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
WAIVED = "https://w3id.org/xapi/adl/verbs/waived"

CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"
EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/"
SESSION_ID = EXTENSION + "sessionid"
LAUNCH_MODE = EXTENSION + "launchmode"
LAUNCH_URL = EXTENSION + "launchurl"
MOVE_ON = EXTENSION + "moveon"
LAUNCH_PARAMETERS = EXTENSION + "launchparameters"
MASTERY_SCORE = EXTENSION + "masteryscore"
BLOCK_TYPE = "https://w3id.org/xapi/cmi5/activitytype/block"
COURSE_TYPE = "https://w3id.org/xapi/cmi5/activitytype/course"

LAUNCH_DATA = "LMS.LaunchData"
NORMAL = "Normal"
LAUNCH_MODES = (NORMAL, "Browse", "Review")  # cmi5 10, launchMode


def lms_authority(base_url: str) -> dict[str, Any]:
    """The LMS as the authority of the statements it writes itself."""
    return {"objectType": "Agent", "account": {"homePage": base_url, "name": "leerpaspoort"}}


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _context(registration: str, publisher_id: str, session_id: str, extensions: dict[str, Any] | None = None) -> dict:
    return {
        "registration": registration,
        "contextActivities": {"category": [{"id": CMI5_CATEGORY}], "grouping": [{"id": publisher_id}]},
        "extensions": {SESSION_ID: session_id, **(extensions or {})},
    }


def _verb(verb_id: str) -> dict[str, Any]:
    return {"id": verb_id, "display": {"en-US": verb_id.rsplit("/", 1)[-1]}}


def _unit_object(unit: ModuleUnit) -> dict[str, Any]:
    return {"objectType": "Activity", "id": unit.lms_activity_id, "definition": {"name": {"und": unit.title}}}


def launched_statement(
    *,
    actor: dict,
    unit: ModuleUnit,
    registration: str,
    session_id: str,
    launch_url: str,
    now: datetime,
    launch_mode: str = NORMAL,
) -> dict[str, Any]:
    """cmi5 9.3.1 / 9.6.3: Launched, with what the AU was launched with as context extensions."""
    extensions: dict[str, Any] = {LAUNCH_MODE: launch_mode, LAUNCH_URL: launch_url, MOVE_ON: unit.move_on}
    if unit.launch_parameters:
        extensions[LAUNCH_PARAMETERS] = unit.launch_parameters
    if unit.mastery_score is not None:
        extensions[MASTERY_SCORE] = unit.mastery_score
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": _verb(LAUNCHED),
        "object": _unit_object(unit),
        "context": _context(registration, unit.activity_id, session_id, extensions),
        "timestamp": _timestamp(now),
    }


def abandoned_statement(
    *, actor: dict, unit: ModuleUnit, registration: str, session_id: str, duration: str, now: datetime
) -> dict[str, Any]:
    """cmi5 9.3.9: the session ended without Terminated (a later launch replaced it)."""
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": _verb(ABANDONED),
        "object": _unit_object(unit),
        "result": {"duration": duration},
        "context": _context(registration, unit.activity_id, session_id),
        "timestamp": _timestamp(now),
    }


def satisfied_statement(
    *,
    actor: dict,
    object_id: str,
    object_type: str | None,
    title: str,
    publisher_id: str,
    registration: str,
    session_id: str,
    now: datetime,
) -> dict[str, Any]:
    """cmi5 9.3.8: the learner met the moveOn criteria of an AU, a block or the course."""
    definition: dict[str, Any] = {"name": {"und": title}}
    if object_type:
        definition["type"] = object_type
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": _verb(SATISFIED),
        "object": {"objectType": "Activity", "id": object_id, "definition": definition},
        "context": _context(registration, publisher_id, session_id),
        "timestamp": _timestamp(now),
    }


def launch_data(
    *, package: ModulePackage, unit: ModuleUnit, session_id: str, return_url: str, launch_mode: str = NORMAL
) -> bytes:
    """cmi5 10: the LMS.LaunchData state document the AU reads before anything else."""
    document: dict[str, Any] = {
        "contextTemplate": {
            "contextActivities": {"grouping": [{"id": unit.activity_id}]},
            "extensions": {SESSION_ID: session_id},
        },
        "launchMode": launch_mode,
        "moveOn": unit.move_on,
        "returnURL": return_url,
    }
    if unit.launch_parameters:
        document["launchParameters"] = unit.launch_parameters
    if unit.mastery_score is not None:
        document["masteryScore"] = unit.mastery_score
    if unit.entitlement_key:
        document["entitlementKey"] = {"courseStructure": unit.entitlement_key}
    return json.dumps(document, separators=(",", ":")).encode("utf-8")
