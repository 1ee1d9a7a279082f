"""Every SQLite connection the application opens is set up for several processes at once."""

from __future__ import annotations

from lti_tool.db import WAL_AUTOCHECKPOINT_PAGES, build_engine


def test_each_sqlite_connection_gets_the_settings_for_concurrent_use(tmp_path):
    engine = build_engine(f"sqlite:///{tmp_path}/settings.db")
    try:
        with engine.connect() as connection:
            def pragma(name):
                return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 1  # NORMAL: a commit writes the log, a checkpoint syncs
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 30000
            assert pragma("wal_autocheckpoint") == WAL_AUTOCHECKPOINT_PAGES == 10_000
    finally:
        engine.dispose()
