"""The Person behind an agent (GET /agents, Communication 2.4).

The LRS links no identities across identifiers, so a Person carries the agent's one identifier;
its names are the agent's own plus those the agent was given in the statements the LRS holds
(2.4.s3.b3: an agent the LRS has never seen still gets a Person with what the request said).
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from xapi.models import Statement, StatementFilter
from xapi.statement_index import AGENT_RELATED
from xapi.statement_keys import IFI_PROPERTIES, agent_key

# Names come from the most recent statements only: enough to name a person, bounded in cost.
NAME_SOURCE_STATEMENTS = 50


def _agents_in(value: Any) -> Iterator[dict]:
    """Every object in a statement that could be an Agent (has an identifier), depth first."""
    if isinstance(value, dict):
        if any(name in value for name in IFI_PROPERTIES):
            yield value
        for child in value.values():
            yield from _agents_in(child)
    elif isinstance(value, list):
        for child in value:
            yield from _agents_in(child)


def names_in_statements(
    session: Session, tenant_id: int, key: str, *, credential_id: int | None = None
) -> list[str]:
    """Names given to the agent with `key` in the tenant's most recent statements, newest first.

    With `credential_id`, only statements stored by that credential count (statements/read/mine).
    """
    query = (
        select(Statement.payload)
        .join(StatementFilter, StatementFilter.statement_seq == Statement.seq)
        .where(
            StatementFilter.tenant_id == tenant_id,
            StatementFilter.kind == AGENT_RELATED,
            StatementFilter.value_key == key,
            Statement.tenant_id == tenant_id,
        )
        .order_by(Statement.seq.desc())
        .limit(NAME_SOURCE_STATEMENTS)
    )
    if credential_id is not None:
        query = query.where(Statement.credential_id == credential_id)
    names: list[str] = []
    for payload in session.scalars(query):
        for agent in _agents_in(json.loads(payload)):
            name = agent.get("name")
            if isinstance(name, str) and name not in names and agent_key(agent) == key:
                names.append(name)
    return names


def person_for(session: Session, tenant_id: int, agent: dict, *, credential_id: int | None = None) -> dict:
    """Return the Person object (objectType, name, and the agent's identifier as arrays)."""
    key = agent_key(agent)
    names = [agent["name"]] if isinstance(agent.get("name"), str) else []
    if key is not None:
        names += [name for name in names_in_statements(session, tenant_id, key, credential_id=credential_id) if name not in names]
    person: dict[str, Any] = {"objectType": "Person", "name": names}
    for ifi in IFI_PROPERTIES:
        if ifi in agent:
            value = agent[ifi]
            person[ifi] = [{"homePage": value["homePage"], "name": value["name"]} if ifi == "account" else value]
    return person
