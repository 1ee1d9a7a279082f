"""Stable keys for the things statements are looked up by: agents (by IFI), activities, verbs."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

# The inverse functional identifiers of an Agent or identified Group (xAPI 1.0.3 Data 2.4.2.3).
IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")


def agent_identity(agent: Any) -> str | None:
    """Return the identity of an Agent or identified Group as one string, or None when it has no IFI.

    Only the IFI counts: two agents with the same mbox are the same agent whatever their name
    (1.0.3 Data 2.4.2.1). `mbox` and `mbox_sha1sum` compare case-insensitively, as the
    immutability rules allow clients to change their case.
    """
    if not isinstance(agent, dict):
        return None
    if isinstance(agent.get("mbox"), str):
        return "mbox|" + agent["mbox"].lower()
    if isinstance(agent.get("mbox_sha1sum"), str):
        return "mbox_sha1sum|" + agent["mbox_sha1sum"].lower()
    if isinstance(agent.get("openid"), str):
        return "openid|" + agent["openid"]
    account = agent.get("account")
    if isinstance(account, dict) and isinstance(account.get("homePage"), str) and isinstance(account.get("name"), str):
        return "account|" + json.dumps([account["homePage"], account["name"]])
    return None


@lru_cache(maxsize=16384)
def value_key(kind: str, value: str) -> str:
    """Hash a filter value to a fixed-width key so indexes stay small whatever the IRI length.

    Cached: the same verbs, activities and learners come back in statement after statement,
    and a stored statement needs about ten keys (16,384 entries: a few MB per process for IRIs of usual length)."""
    return hashlib.sha256(f"{kind}\x1f{value}".encode("utf-8")).hexdigest()[:32]


def agent_key(agent: Any) -> str | None:
    """Return the hashed lookup key of an agent, or None when it cannot be identified."""
    identity = agent_identity(agent)
    return value_key("agent", identity) if identity is not None else None


def activity_key(activity_id: str) -> str:
    return value_key("activity", activity_id)


def verb_key(verb_id: str) -> str:
    return value_key("verb", verb_id)


def registration_key(registration: str) -> str:
    return value_key("registration", registration.lower())
