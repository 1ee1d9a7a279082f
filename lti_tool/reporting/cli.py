"""`leerpaspoort report completions`: the L&D completion data for HR and reporting jobs."""

from __future__ import annotations

import click
from sqlalchemy import select

from lti_tool.cli_support import pass_app
from lti_tool.db import session_scope


@click.group()
def report() -> None:
    """Reports for L&D staff and HR systems."""


@report.command("completions")
@click.option("--tenant", "issuer", default=None, help="Issuer of the platform (needed when there are several).")
@click.option("--course", "course_id", default=None, help="The LMS's context id of one course.")
@click.option("--format", "output_format", type=click.Choice(["csv", "json"]), required=True)
@pass_app
def completions_command(app, issuer: str | None, course_id: str | None, output_format: str) -> None:
    """One row per learner × module: issuer, learner sub and name, course id, activity id,
    module title, status, scaled score, completed-at."""
    from lti_tool.lti.platforms import PlatformError, tenant_by_issuer
    from lti_tool.people.models import Context
    from lti_tool.reporting.completions import completion_rows
    from lti_tool.reporting.export import csv_lines, to_json

    with session_scope(app) as session:
        try:
            platform = tenant_by_issuer(session, issuer)
        except PlatformError as exc:
            raise click.ClickException(str(exc)) from None
        context_pk = None
        if course_id is not None:
            context_pk = session.scalars(
                select(Context.id).where(Context.platform_id == platform.id, Context.context_id == course_id)
            ).first()
            if context_pk is None:
                raise click.ClickException(f"No course with context id {course_id} on {platform.issuer}.")
        rows = completion_rows(session, platform.id, context_id=context_pk)
        if output_format == "json":
            click.echo(to_json(rows))
            return
        for chunk in csv_lines(rows):  # written as read, like the download
            click.echo(chunk, nl=False)
