"""The migrations are the schema: they must build exactly what the models describe, in one line of history."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

import xapi.models
from lti_tool import migrate, models_registry  # noqa: F401  (imports every model module)
from lti_tool.db import Base


def test_history_is_one_line(database_url):
    script = ScriptDirectory.from_config(migrate.alembic_config(database_url))
    assert len(script.get_heads()) == 1, f"several migration heads: {script.get_heads()}"


def test_migrated_schema_matches_the_models(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, [Base.metadata, xapi.models.metadata])
    finally:
        engine.dispose()
    assert differences == [], "models and migrations disagree; write a migration for:\n" + "\n".join(
        map(repr, differences)
    )
