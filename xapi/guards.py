"""The narrow interface to the application before storing: guards that may refuse statements.

An application registers a guard to enforce rules of its own (a profile such as cmi5) inside
the LRS request, before anything is written. A guard raises an XAPIError (usually
ForbiddenError) naming the rule; the request then fails and nothing of it is stored. Guards
run only for statements sent to the statements resource, never for what the application
stores itself through xapi.statement_store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from xapi.auth import Credential

StatementGuard = Callable[[Session, "Credential", list[dict]], None]
_guards: list[StatementGuard] = []


def before_storing_statements(guard: StatementGuard) -> StatementGuard:
    """Register `guard(session, credential, statements)`, run before each statements write."""
    if guard not in _guards:
        _guards.append(guard)
    return guard


def remove_guard(guard: StatementGuard) -> None:
    """Unregister a guard (tests, or an application shutting a feature off)."""
    if guard in _guards:
        _guards.remove(guard)


def check_statements(session: Session, credential: Credential, statements: list[dict]) -> None:
    """Run every guard on validated statements; the first refusal propagates as the response."""
    for guard in list(_guards):
        guard(session, credential, statements)
