"""The gunicorn layout `leerpaspoort serve` runs: sync workers, one more than the cores on
PostgreSQL and as many as the cores (at least two) on SQLite, at most 16, unless the environment
says otherwise (lti_tool/worker_layout.py, config/gunicorn.conf.py)."""

from __future__ import annotations

import runpy

import pytest

from lti_tool import worker_layout
from lti_tool.settings import PROJECT_DIR


POSTGRES = "postgresql+psycopg://leerpaspoort@db.example/leerpaspoort"
SQLITE = "sqlite:////srv/leerpaspoort/leerpaspoort.db"


def test_on_postgresql_one_sync_worker_more_than_the_usable_cores(monkeypatch):
    monkeypatch.setattr(worker_layout, "usable_cores", lambda: 4)
    assert worker_layout.workers(POSTGRES, {}) == 5
    assert worker_layout.threads({}) == 1
    assert worker_layout.worker_class(1) == "sync"


@pytest.mark.parametrize("cores, expected", [(1, 2), (2, 2), (4, 4), (15, 15), (16, 16), (64, 16)])
def test_on_sqlite_as_many_workers_as_cores_and_at_least_two(monkeypatch, cores, expected):
    # One process writes to SQLite at a time; two at least, because the demo platform on the
    # same server answers the tool's own calls.
    monkeypatch.setattr(worker_layout, "usable_cores", lambda: cores)
    assert worker_layout.workers(SQLITE, {}) == expected
    assert worker_layout.workers("sqlite://", {}) == expected  # in memory, as tests run it


def test_the_default_stops_growing_at_sixteen_workers(monkeypatch):
    # About two database connections per worker: 65 workers would exhaust PostgreSQL's 100.
    monkeypatch.setattr(worker_layout, "usable_cores", lambda: 64)
    assert worker_layout.workers(POSTGRES, {}) == worker_layout.MAX_DEFAULT_WORKERS == 16
    monkeypatch.setattr(worker_layout, "usable_cores", lambda: 15)
    assert worker_layout.workers(POSTGRES, {}) == 16
    assert worker_layout.workers(POSTGRES, {"LEERPASPOORT_WORKERS": "40"}) == 40  # asked for: no cap


def test_the_environment_sets_workers_and_threads():
    environ = {"LEERPASPOORT_WORKERS": "3", "LEERPASPOORT_THREADS": "4"}
    assert worker_layout.workers(SQLITE, environ) == 3
    assert worker_layout.workers(POSTGRES, environ) == 3
    assert worker_layout.threads(environ) == 4
    assert worker_layout.worker_class(4) == "gthread"


def test_blank_values_mean_the_default(monkeypatch):
    monkeypatch.setattr(worker_layout, "usable_cores", lambda: 1)
    assert worker_layout.workers(POSTGRES, {"LEERPASPOORT_WORKERS": " "}) == 2


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_value_names_the_variable(value):
    with pytest.raises(ValueError, match=f"LEERPASPOORT_THREADS must be a whole number of at least 1, not '{value}'"):
        worker_layout.threads({"LEERPASPOORT_THREADS": value})


def test_usable_cores_counts_this_process_cpu_set():
    assert 1 <= worker_layout.usable_cores()


@pytest.mark.parametrize("database_url, extra", [(SQLITE, 0), (POSTGRES, 1)])
def test_the_gunicorn_config_follows_the_layout_and_the_configured_database(monkeypatch, database_url, extra):
    monkeypatch.setattr(worker_layout, "usable_cores", lambda: 4)
    monkeypatch.delenv("LEERPASPOORT_WORKERS", raising=False)
    monkeypatch.delenv("LEERPASPOORT_THREADS", raising=False)
    monkeypatch.delenv("LEERPASPOORT_CONFIG", raising=False)
    monkeypatch.setenv("LEERPASPOORT_DATABASE_URL", database_url)
    config = runpy.run_path(str(PROJECT_DIR / "config" / "gunicorn.conf.py"))
    assert config["worker_class"] == "sync"
    assert config["threads"] == 1
    assert config["workers"] == 4 + extra

    monkeypatch.setenv("LEERPASPOORT_WORKERS", "3")
    monkeypatch.setenv("LEERPASPOORT_THREADS", "8")
    config = runpy.run_path(str(PROJECT_DIR / "config" / "gunicorn.conf.py"))
    assert (config["workers"], config["threads"], config["worker_class"]) == (3, 8, "gthread")


def test_gunicorn_writes_an_access_log_only_when_asked(monkeypatch):
    monkeypatch.delenv("LEERPASPOORT_ACCESS_LOG", raising=False)
    assert runpy.run_path(str(PROJECT_DIR / "config" / "gunicorn.conf.py"))["accesslog"] is None
    monkeypatch.setenv("LEERPASPOORT_ACCESS_LOG", "-")
    assert runpy.run_path(str(PROJECT_DIR / "config" / "gunicorn.conf.py"))["accesslog"] == "-"
