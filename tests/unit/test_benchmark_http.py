"""The LRS benchmarks' socket-level HTTP client reads every kind of answer a server may send."""

from __future__ import annotations

import http.client
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from _http import SocketConnection  # noqa: E402


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: list = []  # one entry per connection the server accepted

    def setup(self):
        super().setup()
        self.connections.append(self.client_address)

    def log_message(self, *_args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        echo = b"%s|%s|%s" % (self.path.encode(), self.headers["X-Test"].encode(), body)
        if self.path.endswith("/chunked"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (echo[:3], echo[3:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path.endswith("/until-close"):
            self.send_response(201)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(echo)
            self.close_connection = True
        else:
            self.send_response(400 if self.path.endswith("/bad") else 200)
            self.send_header("Content-Length", str(len(echo)))
            if self.path.endswith("/close"):
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(echo)


@pytest.fixture
def server():
    _Handler.connections = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _connection(server) -> SocketConnection:
    return SocketConnection(f"http://127.0.0.1:{server.server_port}/base", {"X-Test": "fixed"})


def test_answers_with_a_length_share_one_connection(server):
    connection = _connection(server)
    assert connection.exchange("POST", "/a", b"one") == (200, b"/base/a|fixed|one")
    assert connection.exchange("POST", "/b", b"two") == (200, b"/base/b|fixed|two")
    assert connection.exchange("POST", "/bad", b"") == (400, b"/base/bad|fixed|")
    assert len(server.RequestHandlerClass.connections) == 1
    connection.close()


def test_a_closing_answer_makes_the_next_request_reconnect(server):
    connection = _connection(server)
    assert connection.exchange("POST", "/close", b"x") == (200, b"/base/close|fixed|x")
    assert connection.sock is None
    assert connection.exchange("POST", "/until-close", b"y") == (201, b"/base/until-close|fixed|y")
    assert connection.exchange("POST", "/a", b"z") == (200, b"/base/a|fixed|z")
    assert len(server.RequestHandlerClass.connections) == 3
    connection.close()


def test_chunked_answers_are_put_together(server):
    connection = _connection(server)
    assert connection.exchange("POST", "/chunked", b"hello") == (200, b"/base/chunked|fixed|hello")
    assert connection.exchange("POST", "/a", b"after") == (200, b"/base/a|fixed|after")  # nothing left over
    connection.close()


def test_a_connection_the_server_dropped_while_idle_is_opened_again():
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_once_per_connection():
        for _ in range(2):
            peer, _ = listener.accept()
            peer.recv(65536)
            peer.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            peer.close()  # without Connection: close, as an idle timeout would

    thread = threading.Thread(target=answer_once_per_connection, daemon=True)
    thread.start()
    connection = SocketConnection(f"http://127.0.0.1:{listener.getsockname()[1]}", {})
    assert connection.exchange("POST", "/", b"1") == (200, b"ok")
    assert connection.sock is not None  # kept: the answer did not say it closes
    assert connection.exchange("POST", "/", b"2") == (200, b"ok")
    connection.close()
    thread.join()
    listener.close()


def test_an_answer_cut_short_is_an_error_not_a_short_body():
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_half():
        peer, _ = listener.accept()
        peer.recv(65536)
        peer.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
        peer.close()

    thread = threading.Thread(target=answer_half, daemon=True)
    thread.start()
    connection = SocketConnection(f"http://127.0.0.1:{listener.getsockname()[1]}", {})
    with pytest.raises(http.client.IncompleteRead):
        connection.exchange("POST", "/", b"")
    assert connection.sock is None  # not reused after a broken answer
    thread.join()
    listener.close()
