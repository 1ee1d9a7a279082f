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
