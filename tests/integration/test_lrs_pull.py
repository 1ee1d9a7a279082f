"""`leerpaspoort lrs pull`: statements from a second instance of our LRS, served over real HTTP."""

from __future__ import annotations

import json
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from lti_tool.lrs_pull import PullError, pull, pull_authority
from lti_tool.lti.models import Platform
from lti_tool.outbox.models import OutboxMessage
from lti_tool.people.models import User
from lti_tool.portfolio.models import Evidence
from tests.support.remote_lrs import (  # noqa: F401  (fixtures)
    REMOTE_TENANT,
    faulty_proxy,
    remote_database_url,
    remote_lrs,
    remote_migrated_database,
    serve_proxy,
)
from xapi.client import RemoteLRSClient
from xapi.models import PullCursor, Statement
from xapi.statement_store import Writer, store_statements

VERBS = "http://adlnet.gov/expapi/verbs/"
ACTIVITY = "https://leerpaspoort.example/modules/veilig-werken-op-hoogte"


def statement(verb: str = "experienced", *, actor: dict | None = None, **extra) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "actor": actor or {"objectType": "Agent", "mbox": "mailto:ali@example.nl"},
        "verb": {"id": VERBS + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": ACTIVITY, "definition": {"name": {"nl-NL": "Veilig werken op hoogte"}}},
        "timestamp": "2026-11-02T09:00:00Z",
    }
    body.update(extra)
    return body


@pytest.fixture
def tenant(db, platform) -> Platform:
    return db.scalars(select(Platform).where(Platform.issuer == platform.issuer)).one()


@pytest.fixture
def remote_client(remote_lrs) -> RemoteLRSClient:
    # The external LRS pages at 2 statements, whatever limit we ask for: pulls cross pages.
    remote_lrs.app.config["XAPI_STATEMENT_LIMIT"] = 2
    return RemoteLRSClient(remote_lrs.endpoint, key=remote_lrs.key, secret=remote_lrs.secret, timeout=10)


@pytest.fixture
def run_pull(app, tenant):
    def run(client: RemoteLRSClient, since: str | None = None):
        with app.app_context():
            return pull(app, client, tenant_id=tenant.id, since=since, authority=pull_authority(client.endpoint))

    return run


def local_ids(db, tenant) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(Statement.statement_id).where(Statement.tenant_id == tenant.id).order_by(Statement.seq)))


def test_pull_imports_every_page_keeping_ids_and_saves_the_cursor(run_pull, remote_client, db, tenant):
    sent = [statement() for _ in range(5)]
    remote_client.post_statements(sent)

    report = run_pull(remote_client)

    assert (report.imported, report.already_present, report.skipped_invalid, report.conflicts) == (5, 0, 0, 0)
    assert report.pages == 3
    assert local_ids(db, tenant) == [s["id"] for s in sent]
    cursor = db.scalars(select(PullCursor).where(PullCursor.tenant_id == tenant.id)).one()
    assert cursor.endpoint == remote_client.endpoint
    assert cursor.since == remote_client.get_statement(sent[-1]["id"])["stored"]
    stored = json.loads(db.scalars(select(Statement.payload).where(Statement.statement_id == sent[0]["id"])).one())
    assert stored["authority"]["objectType"] == "Agent"  # the remote's authority is kept on import
    assert db.scalars(select(OutboxMessage)).all() == []  # forwarding is off unless configured


def test_a_rerun_imports_nothing_again(run_pull, remote_client, db, tenant):
    remote_client.post_statements([statement() for _ in range(3)])
    run_pull(remote_client)
    again = run_pull(remote_client)
    assert again.imported == 0
    assert len(local_ids(db, tenant)) == 3


def test_a_rerun_resumes_after_the_cursor(run_pull, remote_client, db, tenant):
    for _ in range(3):  # one request each, so each has its own `stored`
        remote_client.post_statements([statement()])
    run_pull(remote_client)
    later = [statement() for _ in range(2)]
    remote_client.post_statements(later)

    report = run_pull(remote_client)

    assert report.imported == 2
    # Only the statement at the cursor is read again (the overlap for statements sharing its `stored`).
    assert report.already_present == 1
    assert local_ids(db, tenant)[-2:] == [s["id"] for s in later]


def test_since_overrides_the_cursor(run_pull, remote_client, db, tenant):
    early = statement()
    remote_client.post_statements([early])
    early_stored = remote_client.get_statement(early["id"])["stored"]
    late = statement()
    remote_client.post_statements([late])

    report = run_pull(remote_client, since=early_stored)

    assert report.imported == 1
    assert local_ids(db, tenant) == [late["id"]]


def test_invalid_statements_from_the_remote_are_skipped_with_a_reason(run_pull, remote_client, remote_lrs, db, tenant):
    good = statement()
    remote_client.post_statements([good])
    # A less strict LRS holds a statement ours would refuse (mbox without mailto:).
    bad_id = str(uuid.uuid4())
    bad = {**statement(actor={"objectType": "Agent", "mbox": "ali@example.nl"}), "id": bad_id, "stored": "2099-01-01T00:00:00.000Z"}
    from lti_tool.db import session_scope
    from xapi.statement_store import stored_now

    with session_scope(remote_lrs.app) as session:
        session.execute(
            insert(Statement).values(
                tenant_id=REMOTE_TENANT, statement_id=bad_id, stored=stored_now(), timestamp=stored_now(), version="1.0.0",
                verb_id=bad["verb"]["id"], voided=False, voiding=False, payload=json.dumps(bad),
            )
        )

    report = run_pull(remote_client)

    assert (report.imported, report.skipped_invalid) == (1, 1)
    (problem,) = report.problems
    assert (problem["kind"], problem["id"]) == ("invalid", bad_id)
    assert problem["reason"].startswith("statements[1].actor.mbox: ") and "mailto" in problem["reason"]
    assert local_ids(db, tenant) == [good["id"]]


def test_a_1_0_statement_without_a_time_zone_is_imported_by_a_2_0_pull(run_pull, remote_lrs, db, tenant):
    # xAPI 1.0 reads a timestamp without an offset as UTC; 2.0 refuses one in its own statements.
    old = statement(timestamp="2026-11-02T09:00:00", version="1.0.3")
    RemoteLRSClient(remote_lrs.endpoint, key=remote_lrs.key, secret=remote_lrs.secret, version="1.0.3").post_statements([old])
    pulling = RemoteLRSClient(remote_lrs.endpoint, key=remote_lrs.key, secret=remote_lrs.secret, version="2.0.0", timeout=10)

    report = run_pull(pulling)

    assert (report.imported, report.skipped_invalid) == (1, 0), report.problems
    db.expire_all()
    row = db.scalars(select(Statement).where(Statement.statement_id == old["id"])).one()
    assert row.timestamp.replace(tzinfo=None).isoformat() == "2026-11-02T09:00:00"
    assert json.loads(row.payload)["timestamp"] == "2026-11-02T09:00:00"


def test_a_conflicting_statement_is_reported_and_skipped_while_the_rest_is_imported(run_pull, remote_client, db, tenant):
    clash, fine = statement("completed"), statement()
    # We already hold a different statement under the id the remote uses.
    store_statements(db, Writer(tenant_id=tenant.id, authority=pull_authority("x")), [{**statement("failed"), "id": clash["id"]}], version="1.0.3")
    db.commit()
    remote_client.post_statements([clash, fine])

    report = run_pull(remote_client)

    assert (report.imported, report.conflicts) == (1, 1)
    assert report.problems[0]["id"] == clash["id"] and report.problems[0]["kind"] == "conflict"
    payload = json.loads(db.scalars(select(Statement.payload).where(Statement.statement_id == clash["id"])).one())
    assert payload["verb"]["id"] == VERBS + "failed"  # ours is not overwritten


def test_voiding_at_the_remote_is_honoured_here(run_pull, remote_client, db, tenant):
    target = statement("completed")
    remote_client.post_statements([target])
    run_pull(remote_client)
    remote_client.post_statements([statement("voided", object={"objectType": "StatementRef", "id": target["id"]})])

    report = run_pull(remote_client)

    assert report.imported == 1
    db.expire_all()
    assert db.scalars(select(Statement.voided).where(Statement.statement_id == target["id"])).one() is True


def test_an_error_half_way_keeps_the_pages_stored_so_far_and_a_rerun_finishes(run_pull, remote_lrs, remote_client, db, tenant):
    remote_client.post_statements([statement() for _ in range(5)])
    with serve_proxy(remote_lrs.base_url) as proxy:
        proxy.pass_first, proxy.fail_next = 1, 1
        flaky = RemoteLRSClient(proxy.endpoint(), key=remote_lrs.key, secret=remote_lrs.secret, timeout=5)
        with pytest.raises(PullError, match="HTTP 503.*2 statement\\(s\\) were imported before this"):
            run_pull(flaky)
        assert len(local_ids(db, tenant)) == 2
        report = run_pull(flaky)
    assert report.imported == 3
    assert len(local_ids(db, tenant)) == 5


def test_pulled_statements_are_not_forwarded_back_to_where_they_came_from(app, run_pull, remote_client, db, tenant):
    from lti_tool.lrs_forward import enqueue_forward, received_from

    settings = app.extensions["leerpaspoort.settings"]
    forward_to_source = type(settings)(**{**settings.__dict__, "lrs_forward_endpoint": remote_client.endpoint, "lrs_forward_key": "k", "lrs_forward_secret": "s"})
    received_from(db, remote_client.endpoint.replace("http://", "HTTP://").rstrip("/"))  # the same LRS, spelled differently
    assert enqueue_forward(db, forward_to_source, tenant.id, [str(uuid.uuid4())]) == []
    db.rollback()
    assert db.scalars(select(OutboxMessage)).all() == []


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture
def cli(settings_overrides, monkeypatch, platform):
    from lti_tool.cli import main

    for key in ("database_url", "base_url", "instance_path", "env", "demo_enabled", "outbox_embedded_worker", "default_locale"):
        monkeypatch.setenv(f"LEERPASPOORT_{key.upper()}", str(settings_overrides[key]))

    def invoke(*args: str):
        return CliRunner().invoke(main, ["lrs", "pull", "--tenant", platform.issuer, *args])

    return invoke


def _credential_args(remote_lrs, secret: str | None = None) -> list[str]:
    return ["--endpoint", remote_lrs.endpoint, "--key", remote_lrs.key, "--secret", secret or remote_lrs.secret]


def test_command_builds_formal_evidence_for_a_known_learner_and_prints_one_summary_line(cli, launcher, remote_lrs, remote_client, platform, db):
    launcher.enter("launch-learner-resource-link")
    learner = db.scalars(select(User).where(User.sub == "4")).one()
    actor = {"objectType": "Agent", "account": {"homePage": platform.issuer, "name": learner.sub}}
    remote_client.post_statements([statement("passed", actor=actor, result={"success": True, "score": {"scaled": 0.9}})])

    result = cli(*_credential_args(remote_lrs))

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Pulled from {remote_lrs.endpoint}: 1 imported, 0 already present, 0 skipped as invalid, 0 conflicts."
    db.expire_all()
    (item,) = db.scalars(select(Evidence).where(Evidence.source == "xapi")).all()
    assert item.outcome["status"] == "passed" and item.activity_id == ACTIVITY


def test_command_prints_json_when_asked(cli, remote_lrs, remote_client):
    remote_client.post_statements([statement()])
    result = cli(*_credential_args(remote_lrs), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["imported"], report["already_present"], report["skipped_invalid"], report["conflicts"]) == (1, 0, 0, 0)


def test_command_with_a_wrong_secret_fails_in_one_line_and_writes_nothing(cli, remote_lrs, remote_client, db, tenant):
    remote_client.post_statements([statement()])
    result = cli(*_credential_args(remote_lrs, secret="wrong"))
    assert result.exit_code == 1
    assert "HTTP 401 (check the key and secret)" in result.output and "Nothing was imported" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert local_ids(db, tenant) == []
    assert db.scalars(select(PullCursor)).all() == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["--endpoint", "lrs.example.nl/xapi", "--key", "k", "--secret", "s"], "http:// or https://"),
        (["--endpoint", "http://127.0.0.1:9/xapi/", "--key", "k", "--secret", "s", "--since", "yesterday"], "--since must be an ISO 8601"),
        (["--endpoint", "http://127.0.0.1:9/xapi/", "--key", "k", "--secret", "s", "--version", "0.9"], "not supported"),
        (["--endpoint", "http://127.0.0.1:9/xapi/", "--key", "k", "--secret", "s", "--timeout", "2"], "Could not reach"),
    ],
)
def test_command_refuses_bad_arguments_and_unreachable_endpoints(cli, args, message, db):
    result = cli(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert db.scalars(select(Statement)).all() == []


# --- where a page leaves the cursor ---------------------------------------------------------------


def _page(*stored: str, through: str | None = None):
    from xapi.client import StatementPage

    return StatementPage([{"id": str(uuid.uuid4()), "stored": value} for value in stored], through)


def test_the_cursor_is_the_latest_stored_on_the_page_whatever_its_order():
    from lti_tool.lrs_pull import _page_cursor

    assert _page_cursor(_page("2026-11-02T09:00:01.000Z", "2026-11-02T09:00:03.000Z", "2026-11-02T09:00:02.000Z")) == "2026-11-02T09:00:03.000Z"


def test_the_cursor_never_passes_what_the_remote_calls_consistent():
    from lti_tool.lrs_pull import _page_cursor

    page = _page("2026-11-02T09:00:01.000Z", "2026-11-02T09:00:03.000Z", through="2026-11-02T09:00:02.000Z")
    assert _page_cursor(page) == "2026-11-02T09:00:02.000Z"


def test_a_page_without_usable_stored_times_leaves_the_cursor_alone():
    from lti_tool.lrs_pull import _page_cursor

    assert _page_cursor(_page()) is None
    assert _page_cursor(_page("yesterday")) is None

