"""`leerpaspoort lrs ...`: the operator's commands for the built-in LRS (credentials)."""

from __future__ import annotations

import json

import click

from lti_tool.cli_support import pass_app
from lti_tool.db import session_scope


@click.group()
def lrs() -> None:
    """The built-in xAPI Learning Record Store at /xapi/."""


@lrs.group()
def credentials() -> None:
    """Key/secret pairs that e-learning content and other systems use to reach the LRS."""


def _tenant(session, issuer: str | None):
    from lti_tool.lti.platforms import PlatformError, tenant_by_issuer

    try:
        return tenant_by_issuer(session, issuer)
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from None


@credentials.command("create")
@click.option("--name", required=True, help="What the credential is for, e.g. the module or system using it.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="An xAPI scope (statements/write, statements/read, statements/read/mine, state, define, profile, "
    "all/read, all); repeat for several. Default: statements/write statements/read/mine state profile.",
)
@click.option("--tenant", "issuer", default=None, help="The platform (issuer) the credential belongs to; needed when there are several.")
@click.option("--json", "as_json", is_flag=True, help='Print only {"key": ..., "secret": ...} as JSON.')
@pass_app
def credentials_create(app, name: str, scopes: tuple[str, ...], issuer: str | None, as_json: bool) -> None:
    """Create a key/secret pair; the secret is printed once and cannot be shown again."""
    from xapi.auth import credential_pepper
    from xapi.credentials import CredentialError, create_credential

    try:
        with session_scope(app) as session:
            platform = _tenant(session, issuer)
            created = create_credential(
                session, tenant_id=platform.id, name=name, scopes=scopes, pepper=credential_pepper(app)
            )
            tenant_issuer = platform.issuer
    except CredentialError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"key": created.key, "secret": created.secret}))
        return
    click.echo(f"Created LRS credential {created.name!r} for {tenant_issuer} (scopes: {' '.join(created.scopes)}).")
    click.echo(f"  key:    {created.key}")
    click.echo(f"  secret: {created.secret}")
    click.echo("The secret is shown only now; store it somewhere safe.")


@credentials.command("list")
@click.option("--tenant", "issuer", default=None, help="Only the credentials of this platform (issuer).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def credentials_list(app, issuer: str | None, as_json: bool) -> None:
    """List credentials (never their secrets), newest first."""
    from sqlalchemy import select

    from lti_tool.lti.models import Platform
    from xapi.credentials import describe_credential, list_credentials

    with session_scope(app) as session:
        tenant_id = _tenant(session, issuer).id if issuer else None
        issuers = {platform_id: issuer for platform_id, issuer in session.execute(select(Platform.id, Platform.issuer))}
        rows = [
            {**describe_credential(record), "tenant": issuers.get(record.tenant_id)}
            for record in list_credentials(session, tenant_id)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No LRS credentials yet. Create one with `leerpaspoort lrs credentials create --name NAME`.")
    for row in rows:
        limits = []
        if row["actor"]:
            limits.append("one actor")
        if row["registration"]:
            limits.append(f"registration {row['registration']}")
        extra = f"  limited to {', '.join(limits)}" if limits else ""
        click.echo(f"{row['key']}  {row['status']:<8} {row['name']!r}  {row['tenant'] or row['tenant_id']}  [{' '.join(row['scopes'])}]{extra}")


@credentials.command("revoke")
@click.argument("key")
@pass_app
def credentials_revoke(app, key: str) -> None:
    """Revoke a credential by its key; requests with it are refused from now on."""
    from xapi.credentials import CredentialError, revoke_credential

    try:
        with session_scope(app) as session:
            record = revoke_credential(session, key)
            name = record.name
    except CredentialError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Revoked LRS credential {key} ({name!r}).")


@lrs.command("pull")
@click.option("--endpoint", required=True, help="The other LRS's xAPI endpoint, e.g. https://lrs.example.nl/xapi/.")
@click.option("--key", required=True, help="Key of a credential at the other LRS that may read statements.")
@click.option("--secret", required=True, envvar="LEERPASPOORT_LRS_PULL_SECRET", help="Its secret (or set LEERPASPOORT_LRS_PULL_SECRET).")
@click.option("--since", default=None, help="Import statements stored after this ISO 8601 time instead of resuming where the last pull stopped.")
@click.option("--tenant", "issuer", default=None, help="The platform (issuer) whose LRS receives the statements; needed when there are several.")
@click.option("--version", "xapi_version", default="1.0.3", show_default=True, help="The X-Experience-API-Version to speak.")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for each answer of the other LRS.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
def pull(app, endpoint: str, key: str, secret: str, since: str | None, issuer: str | None, xapi_version: str, timeout: float, as_json: bool) -> None:
    """Import statements from another LRS; a rerun resumes where the last one stopped."""
    from lti_tool.lrs_pull import PullError, parse_since, pull_authority
    from lti_tool.lrs_pull import pull as run_pull
    from xapi.client import RemoteLRSClient

    try:
        client = RemoteLRSClient(endpoint, key=key, secret=secret, version=xapi_version, timeout=timeout)
        since = parse_since(since) if since is not None else None
    except (ValueError, PullError) as exc:
        raise click.ClickException(str(exc)) from None
    with session_scope(app) as session:
        tenant_id = _tenant(session, issuer).id
    try:
        report = run_pull(app, client, tenant_id=tenant_id, since=since, authority=pull_authority(client.endpoint))
    except PullError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    click.echo(report.summary())
    for problem in report.problems:
        click.echo(f"  {problem['kind']} {problem['id'] or '(no id)'}: {problem['reason']}")
