"""The outbox loop in a background thread of `leerpaspoort serve` (the embedded default).

Every gunicorn worker starts a standby thread; the one that holds an exclusive lock on
`{instance_path}/outbox-worker.lock` delivers, the others wait and take over if it exits.
Claims are atomic in the database anyway, so the lock only saves needless polling.
Production runs `leerpaspoort worker` as its own service and turns this off
(`outbox.embedded_worker = false`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path

from flask import Flask

from lti_tool.outbox.worker import run_worker

log = logging.getLogger(__name__)

LOCK_FILE_NAME = "outbox-worker.lock"


class EmbeddedWorker:
    """A daemon thread that delivers the outbox while it holds the instance's worker lock."""

    def __init__(self, app: Flask, lock_path: Path, standby: float | None = None):
        self.app = app
        self.lock_path = lock_path
        settings = app.extensions["leerpaspoort.settings"]
        # How often a waiting thread checks whether the delivering one has gone.
        self.standby = standby if standby is not None else max(5.0, settings.outbox_poll_interval * 5)
        self.stopping = threading.Event()
        self.active = threading.Event()
        self._lock_fd: int | None = None
        self._thread = threading.Thread(target=self._run, name="leerpaspoort-outbox", daemon=True)

    def start(self) -> "EmbeddedWorker":
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the loop to finish the message in hand, and wait for it."""
        self.stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _try_lock(self) -> bool:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def _release(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _run(self) -> None:
        while not self.stopping.is_set():
            if self._try_lock():
                self.active.set()
                try:
                    run_worker(self.app, stop=self.stopping)
                except Exception:  # keep the web worker alive; another thread may take over
                    log.exception("Embedded outbox worker stopped unexpectedly")
                finally:
                    self.active.clear()
                    self._release()
            self.stopping.wait(self.standby)


def start_embedded_worker(app: Flask) -> EmbeddedWorker | None:
    """Start the standby thread when `outbox.embedded_worker` is on; None when it is off."""
    settings = app.extensions["leerpaspoort.settings"]
    if not settings.outbox_embedded_worker:
        return None
    Path(settings.instance_path).mkdir(parents=True, exist_ok=True)
    return EmbeddedWorker(app, Path(settings.instance_path) / LOCK_FILE_NAME).start()
