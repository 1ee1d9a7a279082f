"""The after-commit hook that follows cmi5 sessions: its cost does not grow with the commit, and a
Terminated statement ends only the session of its own registration (cmi5 9.3.8)."""

from __future__ import annotations

import base64

from sqlalchemy import event, select

from lti_tool.modules.cmi5_tracking import track
from lti_tool.modules.models import Cmi5Session
from lti_tool.people.models import ResourceLink
from tests.functional.test_cmi5_launch import _open_course, _units, package, tenant  # noqa: F401  (fixtures)
from tests.functional.test_cmi5_rules import EXPERIENCED, _launch
from xapi.auth import credential_pepper
from xapi.credentials import create_credential
from xapi.models import Statement


def _hook_queries(app, run) -> list[str]:
    engine = app.extensions["leerpaspoort.engine"]
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _tracking_lookups(queries: list[str]) -> int:
    """The hook's reads of a commit's statements joined to their module registrations."""
    return len([q for q in queries if "FROM xapi_statements JOIN module_registrations" in q])


def test_the_hook_reads_a_commits_statements_in_one_query_whatever_their_number(app, launcher, client, db, package):  # noqa: F811
    course = _open_course(launcher, client, package.id)
    read, _ = _units(db, package)
    costs = {}
    for size in (10, 100):
        au = _launch(client, db, course, read).started()
        batch = [au.statement(EXPERIENCED) for _ in range(size - 1)] + [au.statement("terminated")]
        queries = _hook_queries(app, lambda: au.post(batch))
        assert _tracking_lookups(queries) == 1
        # Storing the rows is the LRS's own work (on SQLite one INSERT per row with RETURNING).
        costs[size] = len([q for q in queries if not q.startswith("INSERT INTO xapi_statements ")])
    assert costs[100] == costs[10]  # the rest of the request, guard and hook included, does not grow
    db.expire_all()
    assert all(s.terminated_at is not None for s in db.scalars(select(Cmi5Session)))


def test_terminated_ends_only_a_session_of_its_own_registration(app, launcher, client, db, package):  # noqa: F811
    course = _open_course(launcher, client, package.id)
    read, _ = _units(db, package)
    au = _launch(client, db, course, read).started()
    platform_id = db.get(ResourceLink, int(course.rsplit("/", 1)[1])).platform_id
    # Another registration of the same learner, written by a plain xAPI credential.
    other_registration = "0b5ec7a0-4a5f-4a77-9a34-1f1f0e4e3d11"
    credential = create_credential(
        db, tenant_id=platform_id, name="importer", scopes=["statements/write"], pepper=credential_pepper(app)
    )
    db.commit()
    statement = au.statement("terminated")
    statement["context"]["registration"] = other_registration
    au.auth = "Basic " + base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()
    assert au.put(statement).status_code == 204
    db.expire_all()
    # The statement named this session's id, but in another registration: the session goes on.
    assert db.scalars(select(Cmi5Session)).one().terminated_at is None


def test_track_ignores_statements_outside_cmi5_registrations(app, db, launcher, client, package):  # noqa: F811
    course = _open_course(launcher, client, package.id)
    read, _ = _units(db, package)
    _launch(client, db, course, read).started()
    (initialized,) = db.scalars(select(Statement.statement_id).where(Statement.verb_id.endswith("initialized"))).all()
    platform_id = db.get(ResourceLink, int(course.rsplit("/", 1)[1])).platform_id
    with app.app_context():
        assert track(db, platform_id, [initialized, "00000000-0000-4000-8000-000000000000"], base_url="http://localhost") == []
        # Another tenant's hook never sees this tenant's registration.
        assert track(db, platform_id + 1, [initialized], base_url="http://localhost") == []
    db.rollback()
