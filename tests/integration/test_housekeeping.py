"""Expired login states and tickets are removed; fresh ones stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lti_tool.db import utcnow
from lti_tool.housekeeping import run_housekeeping
from lti_tool.lti.models import LoginState, SessionTicket


def test_housekeeping_removes_only_expired_login_states_and_tickets(app, db, launcher):
    launcher.login()
    launcher.launch("launch-learner-resource-link")
    old = launcher.login()
    db.get(LoginState, old["state"]).created_at = utcnow() - timedelta(hours=1)
    for ticket in db.scalars(select(SessionTicket)):
        ticket.created_at = utcnow() - timedelta(hours=1)
    db.commit()
    removed = run_housekeeping(db, app.extensions["leerpaspoort.settings"])
    db.commit()
    assert removed["login_states"] == 1
    assert removed["session_tickets"] == 1
    assert db.scalar(select(func.count()).select_from(LoginState)) == 2
    assert db.scalar(select(func.count()).select_from(SessionTicket)) == 0


def _reflection_in_trash(db, person, title: str, deleted_days_ago: float):
    """A saved reflection with two versions and a place in a collection, deleted that long ago."""
    from lti_tool.collections.models import Collection, CollectionItem
    from lti_tool.portfolio.models import Reflection, ReflectionRevision

    reflection = Reflection(
        portfolio_id=person.portfolio_id, platform_id=person.platform_id, title=title,
        content={"body": "<p>Thoughts</p>"}, status="saved",
        deleted_at=None if deleted_days_ago is None else utcnow() - timedelta(days=deleted_days_ago),
    )
    db.add(reflection)
    db.flush()
    db.add_all(ReflectionRevision(reflection_id=reflection.id, number=n, title=title) for n in (1, 2))
    collection = Collection(portfolio_id=person.portfolio_id, platform_id=person.platform_id, title=f"Set {title}")
    collection.items = [CollectionItem(reflection_id=reflection.id)]
    db.add(collection)
    db.commit()
    return reflection.id


def _count(db, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.scalar(query)


def test_housekeeping_purges_reflections_in_the_trash_for_more_than_30_days_with_their_versions(app, db, platform):
    from lti_tool.collections.models import CollectionItem
    from lti_tool.portfolio.models import Reflection, ReflectionRevision
    from tests.portfolio.conftest import LEARNER_LAUNCH, launch_person

    learner = launch_person(app, db, platform, LEARNER_LAUNCH)
    expired = _reflection_in_trash(db, learner, "Expired", deleted_days_ago=31)
    recent = _reflection_in_trash(db, learner, "Recent", deleted_days_ago=29)
    live = _reflection_in_trash(db, learner, "Live", deleted_days_ago=None)

    removed = run_housekeeping(db, app.extensions["leerpaspoort.settings"])
    db.commit()
    db.expire_all()

    assert removed["reflections_purged"] == 1
    assert db.get(Reflection, expired) is None
    assert _count(db, ReflectionRevision, reflection_id=expired) == 0
    assert _count(db, CollectionItem, reflection_id=expired) == 0
    for kept in (recent, live):
        assert db.get(Reflection, kept) is not None
        assert _count(db, ReflectionRevision, reflection_id=kept) == 2
        assert _count(db, CollectionItem, reflection_id=kept) == 1
    # A second run finds nothing more to do.
    assert run_housekeeping(db, app.extensions["leerpaspoort.settings"])["reflections_purged"] == 0
