"""`leerpaspoort lrs credentials create|list|revoke`, run as an operator would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.xapi.conftest import LRSClient, make_statement
from lti_tool.lti.models import Platform
from xapi.models import CredentialRecord

PROJECT = Path(__file__).resolve().parents[3]


@pytest.fixture
def cli_env(settings_overrides, monkeypatch):
    """The environment that points the command at the test database."""
    env = {"LEERPASPOORT_" + key.upper(): str(value) for key, value in settings_overrides.items()}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def run(*args):
    from lti_tool.cli import main

    return CliRunner().invoke(main, ["lrs", "credentials", *args])


def test_create_with_json_prints_only_the_pair_on_stdout(cli_env, platform, client, db):
    # What the `leerpaspoort` console script runs, from the tree under test.
    command = [sys.executable, "-c", "from lti_tool.cli import main; main()", "lrs", "credentials", "create", "--name", "Storyline", "--json"]
    completed = subprocess.run(command, cwd=PROJECT, env={**os.environ, **cli_env}, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    pair = json.loads(completed.stdout)
    assert set(pair) == {"key", "secret"}
    assert completed.stdout.strip() == json.dumps(pair)
    # The pair works against the LRS straight away.
    lrs = LRSClient(client, pair["key"], pair["secret"])
    assert lrs.post("statements", json_body=make_statement()).status_code == 200


def test_create_prints_the_secret_once_and_stores_only_a_digest(cli_env, platform, db):
    result = run("create", "--name", "Rise course", "--scope", "statements/write", "--scope", "state")
    assert result.exit_code == 0, result.output
    secret = result.output.split("secret:", 1)[1].split()[0]
    record = db.scalars(select(CredentialRecord)).one()
    assert record.name == "Rise course"
    assert record.scopes == "statements/write state"
    assert secret not in record.secret_digest
    assert record.tenant_id == db.scalars(select(Platform.id)).one()


def test_create_with_an_unknown_scope_fails_and_stores_nothing(cli_env, platform, db):
    result = run("create", "--name", "x", "--scope", "statements/delete")
    assert result.exit_code != 0
    assert "Unknown scope" in result.output
    assert db.scalars(select(CredentialRecord)).all() == []


def test_create_without_any_platform_explains_what_to_do(cli_env, db):
    result = run("create", "--name", "x")
    assert result.exit_code != 0
    assert "No platform" in result.output


def test_create_with_several_platforms_needs_tenant(cli_env, platform, db):
    from tests.support.platform import TestPlatform

    with TestPlatform(issuer="https://canvas.example.nl") as other:
        other.register_in(db)
        ambiguous = run("create", "--name", "x")
        assert ambiguous.exit_code != 0 and "--tenant" in ambiguous.output
        chosen = run("create", "--name", "x", "--tenant", "https://canvas.example.nl", "--json")
        assert chosen.exit_code == 0, chosen.output
    record = db.scalars(select(CredentialRecord)).one()
    assert record.tenant_id == db.scalars(select(Platform.id).where(Platform.issuer == "https://canvas.example.nl")).one()


def test_list_shows_credentials_without_secrets(cli_env, platform, db):
    pair = json.loads(run("create", "--name", "Captivate", "--json").output)
    listed = run("list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [row["key"] for row in rows] == [pair["key"]]
    assert rows[0]["status"] == "active" and rows[0]["tenant"] == platform.issuer
    assert pair["secret"] not in listed.output
    assert pair["key"] in run("list").output


def test_revoke_stops_the_credential_working(cli_env, platform, client, db):
    pair = json.loads(run("create", "--name", "Old module", "--json").output)
    lrs = LRSClient(client, pair["key"], pair["secret"])
    assert lrs.get("statements").status_code == 200
    result = run("revoke", pair["key"])
    assert result.exit_code == 0, result.output
    assert lrs.get("statements").status_code == 401
    assert json.loads(run("list", "--json").output)[0]["status"] == "revoked"


def test_revoke_of_an_unknown_key_fails(cli_env, platform):
    result = run("revoke", "no-such-key")
    assert result.exit_code != 0
    assert "No credential" in result.output


def test_a_key_never_starts_with_a_dash(cli_env, platform, db, monkeypatch):
    # A leading dash would make `lrs credentials revoke KEY` read the key as an option.
    import xapi.credentials

    drawn = iter(["-dash-first", "plain-key", "the-secret"])
    monkeypatch.setattr(xapi.credentials.secrets, "token_urlsafe", lambda _n: next(drawn))
    pair = json.loads(run("create", "--name", "Dash", "--json").output)
    assert pair["key"] == "plain-key"
    assert run("revoke", pair["key"]).exit_code == 0


def test_an_old_key_with_a_dash_is_revoked_after_a_double_dash(cli_env, platform, db, monkeypatch):
    import xapi.credentials

    monkeypatch.setattr(xapi.credentials, "_new_key", lambda: "-old-style-key")
    pair = json.loads(run("create", "--name", "Old", "--json").output)
    assert run("revoke", pair["key"]).exit_code == 2  # read as an option
    assert run("revoke", "--", pair["key"]).exit_code == 0
    assert json.loads(run("list", "--json").output)[0]["status"] == "revoked"
