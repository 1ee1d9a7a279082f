"""How many gunicorn workers and threads `leerpaspoort serve` runs (config/gunicorn.conf.py).

By default: single-threaded (sync) workers, one more than the machine has cores on
PostgreSQL, as many as the cores (at least two) on SQLite, up to MAX_DEFAULT_WORKERS.
Measured with `benchmarks/launch.py` (16 concurrent launches, SQLite, 2 cores), sync workers
beat threaded workers for two reasons:

- Threads of one worker share one interpreter lock, so a worker's requests wait for each
  other's Python; processes let the kernel spread them over the cores.
- A threaded (gthread) worker accepts connections even while its threads are busy, and with
  keep-alive it keeps them: in the benchmark all 16 connections ended up on one of two workers,
  which then used one core of two. A sync worker accepts only when idle, so new requests go to
  a free process.

Why fewer on SQLite: it lets one process write at a time, so a process beyond the cores adds
waiting for that lock, not work done. Single-statement POSTs to the LRS (`benchmarks/
xapi_ingest.py`, 2 cores) were faster with two workers than with three in 19 of 25 alternating
pairs of runs, launches equally fast. On PostgreSQL the extra worker lets a core work while
another worker waits on the database or on a platform.

A sync worker handles one request at a time and closes the connection after it, so it relies
on the HTTPS reverse proxy in front (README, *Production*) to buffer slow clients' uploads and
downloads. Where no such proxy buffers, set LEERPASPOORT_THREADS above 1: gunicorn then runs
threaded workers, which hold slow clients without blocking the process.
"""

from __future__ import annotations

import os
from typing import Mapping

from sqlalchemy.engine import make_url


def usable_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# Where the default stops growing with the cores. Each worker keeps about two database
# connections open (its requests', its feed reader's) and PostgreSQL allows 100 by default, so
# 65 workers on a 64-core machine would run out of connections under load. More workers than
# this are a choice to make with the database's limit in view, through LEERPASPOORT_WORKERS.
MAX_DEFAULT_WORKERS = 16


def workers(database_url: str, environ: Mapping[str, str] = os.environ) -> int:
    """LEERPASPOORT_WORKERS, or the default for the cores and the database (see the module)."""
    return _whole_number(environ, "LEERPASPOORT_WORKERS", default_workers(database_url))


def default_workers(database_url: str) -> int:
    cores = usable_cores()
    if make_url(database_url).get_backend_name() == "sqlite":
        # At least two: the demo platform answers the tool's roster and grade calls from this
        # same server, so a lone worker would wait for itself.
        return min(max(cores, 2), MAX_DEFAULT_WORKERS)
    return min(cores + 1, MAX_DEFAULT_WORKERS)


def threads(environ: Mapping[str, str] = os.environ) -> int:
    return _whole_number(environ, "LEERPASPOORT_THREADS", 1)


def worker_class(thread_count: int) -> str:
    return "sync" if thread_count == 1 else "gthread"


def _whole_number(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)
