"""`leerpaspoort evidence ...`: maintenance of the formal evidence projection."""

from __future__ import annotations

import click
from sqlalchemy import select

from lti_tool.cli_support import pass_app
from lti_tool.db import session_scope


@click.group()
def evidence() -> None:
    """Formal evidence projected from the LRS's statements."""


@evidence.command("rebuild")
@click.option("--tenant", "issuer", default=None, help="Issuer of one platform; all platforms when left out.")
@pass_app
def rebuild_command(app, issuer: str | None) -> None:
    """Recreate formal evidence from the statement log (same result as live projection)."""
    from lti_tool.formal_evidence.projection import rebuild
    from lti_tool.lti.models import Platform
    from lti_tool.lti.platforms import PlatformError, tenant_by_issuer

    with session_scope(app) as session:
        try:
            platforms = [tenant_by_issuer(session, issuer)] if issuer else session.scalars(select(Platform).order_by(Platform.id)).all()
        except PlatformError as exc:
            raise click.ClickException(str(exc)) from None
        for platform in platforms:
            pairs = rebuild(session, platform.id)
            click.echo(f"{platform.issuer}: {pairs} learner × activity pair(s) projected.")


def _tenant(session, issuer: str | None):
    from lti_tool.lti.platforms import PlatformError, tenant_by_issuer

    try:
        return tenant_by_issuer(session, issuer)
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from None


@evidence.command("unmatched")
@click.option("--tenant", "issuer", default=None, help="Issuer of the platform (needed when there are several).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100_000), help="At most this many actors.")
@pass_app
def unmatched_command(app, issuer: str | None, as_json: bool, limit: int) -> None:
    """List the actors of stored statements that match no learner, most recently active first."""
    import json

    from lti_tool.formal_evidence.unmatched import actor_page

    with session_scope(app) as session:
        platform = _tenant(session, issuer)
        result = actor_page(session, platform.id, per_page=limit)
    if as_json:
        rows = [
            {
                "actor_key": row.actor_key,
                "kind": row.ifi[0],
                "value": row.ifi[1],
                "actor": row.actor,
                "statements": row.statements,
                "first_stored": row.first_stored.isoformat() if row.first_stored else None,
                "last_stored": row.last_stored.isoformat() if row.last_stored else None,
                "activities": row.activities,
            }
            for row in result.rows
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in result.rows:
        last = row.last_stored.strftime("%Y-%m-%d %H:%M") if row.last_stored else "-"
        click.echo(f"{row.ifi[0]}\t{row.ifi[1]}\t{row.statements} statement(s)\tlast {last}\t{', '.join(row.activities)}")
    click.echo(f"{result.total} unmatched actor(s).")


def _actor_key(mbox: str | None, account: tuple[str, str] | None) -> str:
    from xapi.statement_keys import agent_key

    if bool(mbox) == bool(account):
        raise click.UsageError("Name the actor with exactly one of --actor-mbox or --actor-account HOMEPAGE NAME.")
    if mbox:
        address = mbox if mbox.lower().startswith("mailto:") else f"mailto:{mbox}"
        return agent_key({"mbox": address})
    return agent_key({"account": {"homePage": account[0], "name": account[1]}})


_ACTOR_OPTIONS = (
    click.option("--actor-mbox", default=None, help="The actor's e-mail address (with or without mailto:)."),
    click.option("--actor-account", nargs=2, default=None, metavar="HOMEPAGE NAME", help="The actor's account."),
)


def _actor_options(command):
    for option in reversed(_ACTOR_OPTIONS):
        command = option(command)
    return command


@evidence.command("link-actor")
@click.option("--tenant", "issuer", default=None, help="Issuer of the platform (needed when there are several).")
@_actor_options
@click.option("--learner-sub", required=True, help="The learner's LMS id (the LTI sub).")
@pass_app
def link_actor_command(app, issuer, actor_mbox, actor_account, learner_sub: str) -> None:
    """Link an unmatched actor to a learner; its stored statements become their formal evidence."""
    from lti_tool.errors import DomainError
    from lti_tool.formal_evidence.actor_links import link_and_project
    from lti_tool.people.models import User

    key = _actor_key(actor_mbox, actor_account)
    with session_scope(app) as session:
        platform = _tenant(session, issuer)
        learner = session.scalars(select(User).where(User.platform_id == platform.id, User.sub == learner_sub)).first()
        if learner is None:
            raise click.ClickException(f"No person with LMS id {learner_sub} on {platform.issuer}.")
        try:
            result = link_and_project(session, platform, key, learner, linked_by=None)
        except DomainError as exc:
            raise click.ClickException(_reason(exc)) from None
        click.echo(f"Linked to {learner.display_name}: {result.evidence} formal evidence item(s) from {result.activities} activit(y/ies).")


@evidence.command("unlink-actor")
@click.option("--tenant", "issuer", default=None, help="Issuer of the platform (needed when there are several).")
@_actor_options
@pass_app
def unlink_actor_command(app, issuer, actor_mbox, actor_account) -> None:
    """Undo an administrator's link; the learner's evidence is recomputed without those statements."""
    from lti_tool.errors import DomainError
    from lti_tool.formal_evidence.actor_links import unlink_and_project

    key = _actor_key(actor_mbox, actor_account)
    with session_scope(app) as session:
        platform = _tenant(session, issuer)
        try:
            result = unlink_and_project(session, platform, key)
        except DomainError as exc:
            raise click.ClickException(_reason(exc)) from None
        click.echo(f"Unlinked from {result.learner.display_name}.")


def _reason(exc: Exception) -> str:
    text = str(exc)
    return "That actor has sent no statements on this platform." if text.startswith("no such actor") else text
