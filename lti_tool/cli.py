"""The `leerpaspoort` command: serve, migrate, manage platforms and keys, run the outbox."""

from __future__ import annotations

import json
import os
import sys

import click

from lti_tool.cli_support import pass_app
from lti_tool.db import session_scope
from lti_tool.settings import PROJECT_DIR


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Leerpaspoort: a lifelong-learning e-portfolio inside your LMS (LTI 1.3 tool + xAPI LRS)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@pass_app
def serve(app, host: str, port: int) -> None:
    """Apply pending migrations, make sure keys exist, and serve with gunicorn."""
    from lti_tool import worker_layout

    try:  # gunicorn would say the same, under a traceback of its own
        worker_layout.workers(app.extensions["leerpaspoort.settings"].database_url), worker_layout.threads()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    _prepare(app)
    settings = app.extensions["leerpaspoort.settings"]
    click.echo(f"Leerpaspoort is starting on http://{host}:{port}")
    if settings.demo_enabled:
        click.echo(f"  Demo course (start here):   {settings.url('/demo')}")
    click.echo(f"  Registration in an LMS:     {settings.url('/lti/config')}")
    click.echo(f"  Dynamic Registration URL:   {settings.url('/lti/register')}")
    env = dict(os.environ, LEERPASPOORT_BIND=f"{host}:{port}")
    command = [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_DIR / "config" / "gunicorn.conf.py"), "lti_tool.wsgi:app"]
    # Gunicorn takes this process's place (same PID), so a signal sent to `serve` (kill, a
    # process manager) reaches gunicorn's arbiter and stops the workers; a child process would
    # have been left running. Nothing of this process must outlive the exec half-done.
    app.extensions["leerpaspoort.engine"].dispose()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)


def _prepare(app) -> None:
    from lti_tool import migrate
    from lti_tool.lti import keys

    settings = app.extensions["leerpaspoort.settings"]
    migrate.upgrade(settings.database_url)
    with session_scope(app) as session:
        keys.ensure_signing_key(session)
        if settings.demo_enabled:
            from lti_tool.demo.services import ensure_demo_platform
            from lti_tool.modules.examples import ensure_example_modules

            demo = ensure_demo_platform(session, settings)
            ensure_example_modules(session, settings, demo.platform_id)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_app
def db_upgrade(app) -> None:
    """Apply pending migrations."""
    from lti_tool import migrate

    migrate.upgrade(app.extensions["leerpaspoort.settings"].database_url)
    click.echo("Database is up to date.")


@main.group()
def platform() -> None:
    """Platform registrations (one per LMS and client id)."""


@platform.command("add")
@click.option("--issuer", required=True, help="The platform's issuer (iss), e.g. https://moodle.example.nl")
@click.option("--client-id", required=True, help="The client id the platform gave this tool.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authentication URL.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 access token URL.")
@click.option("--key-set-url", required=True, help="The platform's public keyset (JWKS) URL.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True, help="A deployment id; repeat for several.")
@click.option("--name", default="", help="A name to show administrators.")
@click.option("--audience", default=None, help="Audience of token requests, when not the token URL.")
@pass_app
def platform_add(app, issuer, client_id, auth_login_url, auth_token_url, key_set_url, deployment_ids, name, audience) -> None:
    """Register a platform by hand (the values come from the LMS's tool settings)."""
    from lti_tool.lti.platforms import PlatformInput, PlatformError, add_platform

    try:
        with session_scope(app) as session:
            added = add_platform(
                session,
                PlatformInput(
                    issuer=issuer,
                    client_id=client_id,
                    auth_login_url=auth_login_url,
                    auth_token_url=auth_token_url,
                    key_set_url=key_set_url,
                    deployment_ids=list(deployment_ids),
                    name=name,
                    auth_audience=audience,
                ),
            )
            click.echo(f"Registered {added.issuer} (client id {added.client_id}) with {len(deployment_ids)} deployment(s).")
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from None


@platform.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_app
def platform_list(app, as_json: bool) -> None:
    """List registered platforms and their deployments."""
    from lti_tool.lti.platforms import describe_platforms

    with session_scope(app) as session:
        rows = describe_platforms(session)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No platforms registered.")
    for row in rows:
        deployments = ", ".join(f"{d['deployment_id']} ({d['status']})" for d in row["deployments"]) or "none"
        click.echo(f"{row['issuer']}  client_id={row['client_id']}  status={row['status']}  deployments: {deployments}")


@platform.command("remove")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def platform_remove(app, issuer: str, client_id: str, yes: bool) -> None:
    """Remove a platform and everything stored for it."""
    from lti_tool.lti.platforms import PlatformError, remove_platform

    if not yes:
        click.confirm(f"Remove {issuer} / {client_id} and all its users and courses?", abort=True)
    try:
        with session_scope(app) as session:
            remove_platform(session, issuer, client_id)
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Removed {issuer} (client id {client_id}).")


@platform.command("approve")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--deployment-id", required=True)
@pass_app
def platform_approve(app, issuer: str, client_id: str, deployment_id: str) -> None:
    """Approve a deployment that was held for approval."""
    from lti_tool.lti.platforms import PlatformError, approve_deployment

    try:
        with session_scope(app) as session:
            approve_deployment(session, issuer, client_id, deployment_id)
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Deployment {deployment_id} of {issuer} is active.")


@main.group()
def keys() -> None:
    """The tool's signing keys (published at /lti/jwks)."""


@keys.command("list")
@pass_app
def keys_list(app) -> None:
    """List keys with their status."""
    from lti_tool.lti import keys as tool_keys

    with session_scope(app) as session:
        tool_keys.ensure_signing_key(session)
        for key in tool_keys.list_keys(session):
            click.echo(f"{key.kid}  {key.status}  created {key.created_at:%Y-%m-%d %H:%M}")


@keys.command("rotate")
@pass_app
def keys_rotate(app) -> None:
    """Add a new signing key; the previous one stays published until retired."""
    from lti_tool.lti import keys as tool_keys

    with session_scope(app) as session:
        key = tool_keys.rotate_keys(session)
        click.echo(f"New signing key {key.kid}. Run `leerpaspoort keys retire` once platforms have refetched.")


@keys.command("retire")
@click.option("--kid", default=None, help="Retire only this key (default: every rotated-out key).")
@pass_app
def keys_retire(app, kid: str | None) -> None:
    """Stop publishing rotated-out keys."""
    from lti_tool.lti import keys as tool_keys

    try:
        with session_scope(app) as session:
            retired = tool_keys.retire_keys(session, kid)
    except tool_keys.KeyError_ as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Retired {len(retired)} key(s): {', '.join(retired) or '-'}")


@main.group()
def modules() -> None:
    """Hosted e-learning modules (Tin Can and cmi5 packages)."""


@modules.command("import")
@click.argument("package", type=click.File("rb"))
@click.option("--tenant", "issuer", default=None, help="Issuer of the platform the module is for (needed with several).")
@pass_app
def modules_import(app, package, issuer: str | None) -> None:
    """Import a zip package with tincan.xml or cmi5.xml."""
    from lti_tool.lti.platforms import PlatformError, tenant_by_issuer
    from lti_tool.modules.archive import PackageError
    from lti_tool.modules.services import content_store_for, importing_package

    settings = app.extensions["leerpaspoort.settings"]
    try:
        with session_scope(app) as session:
            platform = tenant_by_issuer(session, issuer)
            with importing_package(
                session, content_store_for(settings.instance_path), package, platform_id=platform.id
            ) as imported:
                session.commit()
                click.echo(f"Imported {imported.kind} module {imported.title!r} with {len(imported.units)} unit(s).")
    except (PackageError, PlatformError) as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@pass_app
def worker(app, once: bool) -> None:
    """Deliver outgoing scores (the outbox), with retries; SIGTERM stops it after the message in hand."""
    import logging

    # A service's log (journald): one line per delivery attempt, never the payload.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from lti_tool.outbox.worker import run_worker

    delivered = run_worker(app, once=once)
    if once:
        click.echo(f"Processed {delivered} message(s).")


from lti_tool.formal_evidence.cli import evidence  # noqa: E402  (a feature's own command group)
from lti_tool.reporting.cli import report  # noqa: E402

main.add_command(evidence)
main.add_command(report)

from lti_tool.lrs_cli import lrs  # noqa: E402  (the LRS commands)

main.add_command(lrs)

from lti_tool.competencies.cli import competencies  # noqa: E402  (a feature's own command group)

main.add_command(competencies)
