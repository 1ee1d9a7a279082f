"""Reflection services on a real database: concurrent writers, version numbers, the trash."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lti_tool.db import session_factory, utcnow
from lti_tool.people.models import User
from lti_tool.portfolio import reflections
from lti_tool.portfolio.models import Reflection, ReflectionRevision

STARR = {
    "situation": "<p>s</p>",
    "task": "<p>t</p>",
    "action": "<p>a</p>",
    "result": "<p>r</p>",
    "reflection": "<p>l</p>",
}


@pytest.fixture
def written(app, db, learner):
    """A saved STARR reflection of the learner (version 1)."""
    user = db.get(User, learner.user_id)
    with app.test_request_context():
        reflection = reflections.start_reflection(db, user, reflections.Target("starr", learner.context_id))
        reflections.save_version(db, reflection, reflections.Draft("Eerste", STARR), base_revision=reflection.revision)
    db.commit()
    return reflection.id


def test_two_sessions_saving_on_the_same_revision_cannot_both_win(app, written):
    """The version counter makes the second UPDATE match nothing, even when both checks passed."""
    make = session_factory(app)
    first, second = make(), make()
    try:
        with app.test_request_context():
            mine, theirs = first.get(Reflection, written), second.get(Reflection, written)
            base = mine.revision
            assert theirs.revision == base
            reflections.autosave(first, mine, reflections.Draft("van een", STARR), base_revision=base)
            first.commit()
            with pytest.raises(reflections.ReflectionConflictError):
                reflections.autosave(second, theirs, reflections.Draft("van twee", STARR), base_revision=base)
            second.rollback()
        check = make()
        assert check.get(Reflection, written).draft_title == "van een"
        check.close()
    finally:
        first.close()
        second.close()


def test_versions_are_numbered_in_order_and_the_saved_text_moves_with_them(app, db, written):
    with app.test_request_context():
        reflection = db.get(Reflection, written)
        second = reflections.save_version(db, reflection, reflections.Draft("Tweede", STARR), base_revision=reflection.revision)
        third = reflections.restore_version(db, reflection, 1, base_revision=reflection.revision)
    db.commit()

    assert (second.number, third.number) == (2, 3)
    assert (third.title, db.get(Reflection, written).title) == ("Eerste", "Eerste")


def test_the_same_version_number_cannot_be_stored_twice(db, written):
    from sqlalchemy.exc import IntegrityError

    db.add(ReflectionRevision(reflection_id=written, number=1, title="dubbel", content={}))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_an_empty_method_or_foreign_markup_never_reaches_the_database(app, db, learner):
    user = db.get(User, learner.user_id)
    with app.test_request_context():
        with pytest.raises(reflections.ReflectionError):
            reflections.start_reflection(db, user, reflections.Target("essay"))
        reflection = reflections.start_reflection(db, user, reflections.Target("free"))
        with pytest.raises(reflections.ReflectionError):
            reflections.autosave(db, reflection, reflections.Draft(["not text"], {}), base_revision=reflection.revision)
        with pytest.raises(reflections.ReflectionError):
            reflections.autosave(
                db, reflection, reflections.Draft("x", {"body": "a" * (reflections.FIELD_LIMIT + 1)}),
                base_revision=reflection.revision,
            )
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Reflection)) == 0


def test_the_purge_removes_only_what_stayed_in_the_trash_for_thirty_days(app, db, written, learner):
    user = db.get(User, learner.user_id)
    with app.test_request_context():
        recent = reflections.start_reflection(db, user, reflections.Target("free"))
        reflections.delete_reflection(db, recent, now=utcnow() - timedelta(days=29))
        old = db.get(Reflection, written)
        reflections.delete_reflection(db, old, now=utcnow() - timedelta(days=31))
        assert reflections.purge_deleted_reflections(db) == 1
    db.commit()

    assert db.scalars(select(Reflection.id)).all() == [recent.id]
    assert db.scalar(select(func.count()).select_from(ReflectionRevision)) == 0
