"""`leerpaspoort serve` becomes gunicorn: a signal to its PID stops the whole server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.serving import free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def served(tmp_path):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        LEERPASPOORT_ENV="development",
        LEERPASPOORT_BASE_URL=base_url,
        LEERPASPOORT_INSTANCE_PATH=str(tmp_path / "instance"),
        LEERPASPOORT_DATABASE_URL=f"sqlite:///{tmp_path}/serve.db",
        LEERPASPOORT_DEMO_ENABLED="false",
        LEERPASPOORT_OUTBOX_EMBEDDED_WORKER="false",
        LEERPASPOORT_WORKERS="2",
    )
    env.pop("LEERPASPOORT_CONFIG", None)
    command = [str(Path(sys.executable).with_name("leerpaspoort")), "serve", "--port", str(port)]
    log = (tmp_path / "serve.log").open("w")
    # Its own process group, so the test can see whether anything of the server is left.
    server = subprocess.Popen(command, env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until(lambda: _answers(f"{base_url}/xapi/about") or server.poll() is not None, 90, "the server")
        assert server.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
        yield server, base_url
    finally:
        if _group_alive(server.pid):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
        log.close()


def test_serve_runs_gunicorn_in_its_own_process(served):
    server, _ = served
    command_line = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
    assert b"gunicorn" in command_line


def test_sigterm_to_serve_stops_gunicorn_and_its_workers(served):
    server, base_url = served
    server.send_signal(signal.SIGTERM)
    assert server.wait(60) == 0  # gunicorn's graceful stop
    _wait_until(lambda: not _group_alive(server.pid), 30, "the workers to go")
    assert not _answers(f"{base_url}/xapi/about")


def test_a_bad_worker_count_is_one_line_before_anything_starts(tmp_path):
    env = dict(os.environ, LEERPASPOORT_WORKERS="lots", LEERPASPOORT_DATABASE_URL=f"sqlite:///{tmp_path}/never.db")
    env.pop("LEERPASPOORT_CONFIG", None)
    finished = subprocess.run(
        [str(Path(sys.executable).with_name("leerpaspoort")), "serve", "--port", str(free_port())],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60,
    )
    assert finished.returncode == 1
    assert finished.stderr.strip() == "Error: LEERPASPOORT_WORKERS must be a whole number of at least 1, not 'lots'"
    assert not (tmp_path / "never.db").exists()  # not even migrated
