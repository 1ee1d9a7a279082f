"""Alembic, driven from code: `leerpaspoort db upgrade`, `serve` and the tests use this."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from lti_tool.settings import PROJECT_DIR


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_DIR / "migrations"))
    # ConfigParser interpolation would choke on a "%" in a password.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Apply pending migrations."""
    command.upgrade(alembic_config(database_url), revision)


def pending_migrations(engine: Engine, database_url: str) -> bool:
    script = ScriptDirectory.from_config(alembic_config(database_url))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current != set(script.get_heads())
