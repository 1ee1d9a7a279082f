"""What the test suite's HTTP servers share."""

from __future__ import annotations

import socket
import threading
from socketserver import BaseServer

# How often serve_forever looks whether it should stop. Its default of 0.5 s is also how long
# shutdown() waits, which added half a second to every test that starts a server.
POLL_INTERVAL = 0.02


def server_thread(server: BaseServer) -> threading.Thread:
    """A daemon thread (not started) that serves until `server.shutdown()`."""
    return threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (free now; a test that lets a server bind
    it starts that server at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
