"""Map an xAPI actor to a learner of the tenant, or remember it as unmatched."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.errors import DomainError, NotFoundError
from lti_tool.formal_evidence.models import BY_ACCOUNT, BY_ADMINISTRATOR, BY_EMAIL, LearnerActor
from lti_tool.lti.models import Platform
from lti_tool.people.models import User

# "Last seen" is shown to the minute. Moving it forward for every statement would add a write to
# each LRS request for a time nobody reads that closely; it moves when it is this much behind.
LAST_SEEN_PRECISION = timedelta(minutes=5)
# Actor keys per lookup query: well below every database's limit on bound parameters.
KEYS_PER_QUERY = 500


def issued_actor(platform: Platform, user: User) -> dict[str, Any]:
    """The actor Leerpaspoort gives modules it launches: the platform as homePage, the LTI sub as name."""
    return {"objectType": "Agent", "name": user.display_name, "account": {"homePage": platform.issuer, "name": user.sub}}


def _same_home(home_page: str, issuer: str) -> bool:
    return home_page.rstrip("/") == issuer.rstrip("/")


def _match(session: Session, platform: Platform, actor: dict[str, Any]) -> tuple[User | None, str | None]:
    account = actor.get("account")
    if isinstance(account, dict) and isinstance(account.get("homePage"), str) and _same_home(account["homePage"], platform.issuer):
        user = session.scalars(select(User).where(User.platform_id == platform.id, User.sub == account.get("name"))).first()
        if user is not None:
            return user, BY_ACCOUNT
    mbox = actor.get("mbox")
    if platform.match_learners_by_email and isinstance(mbox, str) and mbox.lower().startswith("mailto:"):
        address = mbox[len("mailto:"):].lower()
        # Only an unambiguous address identifies a learner.
        users = session.scalars(
            select(User).where(User.platform_id == platform.id, func.lower(User.email) == address).limit(2)
        ).all()
        if len(users) == 1:
            return users[0], BY_EMAIL
    return None, None


def learner_for(session: Session, platform: Platform, actor_key: str, actor: dict[str, Any]) -> User | None:
    """The learner an actor is; records the actor (matched or not) so administrators can see it."""
    return learners_for(session, platform, {actor_key: actor})[0][actor_key]


def learners_for(
    session: Session, platform: Platform, actors: dict[str, dict[str, Any]]
) -> tuple[dict[str, User | None], set[str]]:
    """learner_for for many actors, and the recorded actors that now match another learner than before.

    One query finds those already recorded, one insert records the new ones, and an actor whose
    match is unchanged and was seen minutes ago costs no write."""
    keys = sorted(actors)
    recorded = _recorded(session, platform, keys)
    now = utcnow()
    learners: dict[str, User | None] = {}
    rematched: set[str] = set()
    new: list[LearnerActor] = []
    for key in keys:
        known = recorded.get(key)
        if known is not None and known.matched_by == BY_ADMINISTRATOR:
            _seen(known, now)
            learners[key] = session.get(User, known.user_id) if known.user_id else None
            continue
        # Matched again every time: the learner may have arrived, or changed address, since.
        user, matched_by = _match(session, platform, actors[key])
        learners[key] = user
        user_id = user.id if user else None
        if known is None:
            new.append(LearnerActor(platform_id=platform.id, actor_key=key, actor=actors[key], last_seen_at=now,
                                    user_id=user_id, matched_by=matched_by))
            continue
        if user_id is not None and known.user_id != user_id:
            rematched.add(key)
        if (known.user_id, known.matched_by) != (user_id, matched_by):
            known.user_id, known.matched_by = user_id, matched_by
        _seen(known, now)
    if new:
        _record_new(session, platform, new)
    return learners, rematched


# Built once, values bound when run: it runs for every commit the feed hands over.
_RECORDED = select(LearnerActor).where(
    LearnerActor.platform_id == bindparam("platform"), LearnerActor.actor_key.in_(bindparam("keys", expanding=True))
)


def _recorded(session: Session, platform: Platform, keys: list[str]) -> dict[str, LearnerActor]:
    recorded: dict[str, LearnerActor] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        rows = session.scalars(_RECORDED, {"platform": platform.id, "keys": keys[start : start + KEYS_PER_QUERY]})
        recorded.update((row.actor_key, row) for row in rows)
    return recorded


def _record_new(session: Session, platform: Platform, new: list[LearnerActor]) -> None:
    try:
        with session.begin_nested():
            session.add_all(new)
    except IntegrityError:
        # A concurrent projection recorded some of them first: bring those rows up to date.
        recorded = _recorded(session, platform, [row.actor_key for row in new])
        for row in new:
            known = recorded.get(row.actor_key)
            if known is None:
                session.add(row)
            elif known.matched_by != BY_ADMINISTRATOR:
                known.user_id, known.matched_by, known.last_seen_at = row.user_id, row.matched_by, row.last_seen_at


def _seen(known: LearnerActor, now: datetime) -> None:
    if known.last_seen_at is None or now - known.last_seen_at >= LAST_SEEN_PRECISION:
        known.last_seen_at = now


class ActorLinkError(DomainError):
    """An administrator's link or unlink that cannot be made; the message says why."""

    status = 400


def _recorded_actor(session: Session, platform: Platform, actor_key: str) -> LearnerActor:
    known = session.scalars(
        select(LearnerActor).where(LearnerActor.platform_id == platform.id, LearnerActor.actor_key == actor_key)
    ).first()
    if known is None:
        raise NotFoundError("no such actor in this platform's statements")
    return known


def link_actor(session: Session, platform: Platform, actor_key: str, user: User, *, linked_by: User | None = None) -> LearnerActor:
    """An administrator says which learner an unmatched actor is (same tenant only)."""
    if user.platform_id != platform.id:
        # Not found rather than forbidden: another tenant's people are invisible here.
        raise NotFoundError("no such learner on this platform")
    known = _recorded_actor(session, platform, actor_key)
    if known.user_id is not None and known.user_id != user.id:
        raise ActorLinkError(_("This actor already belongs to another learner: unlink it first."))
    if known.user_id == user.id and known.matched_by != BY_ADMINISTRATOR:
        # Already this learner by its account or e-mail: relabelling it would let an unlink
        # take the learner's own evidence away.
        return known
    known.user_id = user.id
    known.matched_by = BY_ADMINISTRATOR
    known.linked_by_id = linked_by.id if linked_by is not None else None
    known.linked_at = utcnow()
    return known


def unlink_actor(session: Session, platform: Platform, actor_key: str) -> int:
    """Undo an administrator's link; returns the learner it pointed at. Automatic matches stay."""
    known = _recorded_actor(session, platform, actor_key)
    if known.matched_by != BY_ADMINISTRATOR or known.user_id is None:
        raise ActorLinkError(_("Only a link made by an administrator can be undone here."))
    user_id = known.user_id
    known.user_id = None
    known.matched_by = None
    known.linked_by_id = None
    known.linked_at = None
    return user_id
