"""Agents and Groups (Data 2.4.2): actor, object, instructor, team, members, authority."""

from __future__ import annotations

from typing import Any

from xapi.validation.common import (
    array_items,
    check_properties,
    require_array,
    require_object,
    require_present,
    require_string,
    validate_irl,
    validate_iri,
)
from xapi.validation.errors import StatementValidationError, child
from xapi.validation.primitives import is_mailto, is_sha1_hex

# Data 2.4.2.3: the four Inverse Functional Identifiers.
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
AGENT_PROPERTIES = frozenset(("objectType", "name") + IFIS)
GROUP_PROPERTIES = AGENT_PROPERTIES | {"member"}
ACCOUNT_PROPERTIES = frozenset(("homePage", "name"))
_AGENT_HINTS = {"member": "an Agent cannot have members; use objectType 'Group' for a group"}
_MISSING = object()


def validate_actor(
    value: Any, path: str, *, object_type_required: bool = False, allow_group: bool = True
) -> str:
    """Check an Agent or Group; return its objectType ("Agent" or "Group")."""
    obj = require_object(value, path, "an Agent or Group object" if allow_group else "an Agent object")
    object_type = obj.get("objectType", _MISSING)
    if object_type is _MISSING:
        if object_type_required:
            raise StatementValidationError(
                child(path, "objectType"), "objectType ('Agent' or 'Group') is required when the object is an Agent or Group"
            )
        object_type = "Agent"
    elif object_type == "Group":
        if not allow_group:
            raise StatementValidationError(child(path, "objectType"), "must be 'Agent' here; a Group is not allowed")
    elif object_type != "Agent":
        allowed = "'Agent' or 'Group'" if allow_group else "'Agent'"
        raise StatementValidationError(child(path, "objectType"), f"objectType must be {allowed} (case-sensitive), got {object_type!r}")
    if object_type == "Agent":
        validate_agent_properties(obj, path)
    else:
        _validate_group(obj, path)
    return object_type


def validate_agent_properties(obj: dict, path: str) -> None:
    """Check an Agent object: allowed properties, name, exactly one IFI (Data 2.4.2.1)."""
    check_properties(obj, AGENT_PROPERTIES, path, "an Agent", _AGENT_HINTS)
    if "name" in obj:
        require_string(obj["name"], child(path, "name"))
    present = [key for key in IFIS if key in obj]
    if len(present) != 1:
        if not present:
            rule = "an Agent must have exactly one inverse functional identifier (mbox, mbox_sha1sum, openid or account); it has none"
        else:
            rule = f"an Agent must have exactly one inverse functional identifier; it has {len(present)} ({', '.join(present)})"
        raise StatementValidationError(path, rule)
    _validate_ifi(present[0], obj[present[0]], child(path, present[0]))


def _validate_group(obj: dict, path: str) -> None:
    """Check a Group: anonymous (members, no IFI) or identified (one IFI, members optional)."""
    check_properties(obj, GROUP_PROPERTIES, path, "a Group")
    if "name" in obj:
        require_string(obj["name"], child(path, "name"))
    present = [key for key in IFIS if key in obj]
    if len(present) > 1:
        raise StatementValidationError(
            path, f"a Group may have at most one inverse functional identifier; it has {len(present)} ({', '.join(present)})"
        )
    if present:
        _validate_ifi(present[0], obj[present[0]], child(path, present[0]))
        if "member" in obj:
            _validate_members(obj["member"], child(path, "member"))
    else:
        # Data 2.4.2.2: an Anonymous Group MUST include a "member" property.
        if "member" not in obj:
            raise StatementValidationError(
                child(path, "member"), "an anonymous Group (no inverse functional identifier) must list its members"
            )
        _validate_members(obj["member"], child(path, "member"))


def _validate_members(value: Any, path: str) -> None:
    members = require_array(value, path, "an array of Agents", non_empty=True)
    for member, member_path in array_items(members, path):
        obj = require_object(member, member_path, "an Agent object")
        object_type = obj.get("objectType", "Agent")
        if object_type == "Group":
            raise StatementValidationError(child(member_path, "objectType"), "a Group's members must be Agents; Groups cannot be nested")
        if object_type != "Agent":
            raise StatementValidationError(child(member_path, "objectType"), f"a Group member's objectType must be 'Agent', got {object_type!r}")
        validate_agent_properties(obj, member_path)


def _validate_ifi(kind: str, value: Any, path: str) -> None:
    if kind == "mbox":
        if type(value) is not str or not is_mailto(value):
            raise StatementValidationError(path, f"mbox must be a mailto IRI such as mailto:learner@example.com (got {value!r})")
    elif kind == "mbox_sha1sum":
        if type(value) is not str or not is_sha1_hex(value):
            raise StatementValidationError(path, "mbox_sha1sum must be the SHA-1 of a mailto IRI as 40 hexadecimal digits")
    elif kind == "openid":
        validate_iri(value, path, "an OpenID URI")
    else:
        validate_account(value, path)


def validate_account(value: Any, path: str) -> None:
    """Check an account: {homePage: IRL, name: string}, both required (Data 2.4.2.4)."""
    account = require_object(value, path, "an account object with homePage and name")
    check_properties(account, ACCOUNT_PROPERTIES, path, "an account")
    validate_irl(require_present(account, "homePage", path, "an account"), child(path, "homePage"))
    require_string(require_present(account, "name", path, "an account"), child(path, "name"))


def validate_authority(value: Any, path: str) -> None:
    """Check an authority: an Agent, or an anonymous Group of exactly two Agents (Data 2.4.9)."""
    if validate_actor(value, path) == "Group":
        if any(key in value for key in IFIS):
            raise StatementValidationError(path, "an authority Group must be anonymous (OAuth consumer and user, no identifier)")
        if len(value["member"]) != 2:
            raise StatementValidationError(
                child(path, "member"), "an authority Group must have exactly two members (the OAuth consumer and the user)"
            )
