"""`leerpaspoort competencies …`: import competency frameworks from the command line."""

from __future__ import annotations

import click

from lti_tool.cli_support import pass_app
from lti_tool.db import session_scope


@click.group()
def competencies() -> None:
    """Competency frameworks (the learner's "kwaliteitspaspoort")."""


@competencies.command("import")
@click.argument("framework_file", metavar="FILE", type=click.File("rb"))
@click.option("--tenant", "issuer", default=None, help="Issuer of the platform the framework is for (needed with several).")
@pass_app
def competencies_import(app, framework_file, issuer: str | None) -> None:
    """Import a framework from a CSV or JSON file; nothing is stored when the file has a problem."""
    from lti_tool.competencies.frameworks import MAX_FILE_BYTES, FrameworkFileError
    from lti_tool.competencies.importer import import_framework_file
    from lti_tool.lti.platforms import PlatformError, tenant_by_issuer

    raw = framework_file.read(MAX_FILE_BYTES + 1)
    # The problems are translated messages (shared with the upload page); a request context
    # gives them the configured default language.
    try:
        with app.test_request_context(), session_scope(app) as session:
            platform = tenant_by_issuer(session, issuer)
            framework = import_framework_file(session, platform.id, framework_file.name, raw)
            session.commit()
            click.echo(
                f"Imported {framework.name!r} with {len(framework.competencies)} competencies "
                f"and {len(framework.levels)} levels for {platform.issuer}."
            )
    except FrameworkFileError as exc:
        raise click.ClickException("the framework was not imported:\n  " + "\n  ".join(exc.problems)) from None
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from None
