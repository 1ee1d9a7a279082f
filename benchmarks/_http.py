"""The benchmarks' HTTP clients: one keep-alive connection each.

The clients share the server's cores, so what they cost is taken from the server. http.client
costs a fraction of the CPU of the requests package (1.6 vs 0.4 ms per request in the launch
benchmark); the LRS benchmarks' SocketConnection, which writes each request as one buffer and
reads only the status line and the headers it needs, costs 0.16 ms against http.client's 0.30
per single-statement POST. Not a benchmark itself (`make bench` skips files starting with "_").
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit


class KeepAliveConnection:
    """One HTTP/1.1 connection to one server, kept alive while the server allows it: reopened
    after an answer with `Connection: close` (gunicorn's sync workers close after every answer)
    and once when it was closed idle."""

    def __init__(self, base_url: str, timeout: float = 60.0):
        parts = urlsplit(base_url)
        self.origin = parts.netloc
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def exchange(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes]:
        """Send one request; return the response (headers read) and its body."""
        for attempt in (1, 2):
            if self.connection is None:
                kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
                self.connection = kind(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, target, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: open a new one, once.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class SocketConnection:
    """HTTP/1.1 on a plain socket, kept alive while the server allows it (a sync gunicorn
    worker closes it after every answer). Answers must carry Content-Length, be chunked, or end
    with the connection; 1xx answers and trailers are not expected from the servers measured."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout: float = 60.0):
        parts = urlsplit(base_url)
        self.https = parts.scheme == "https"
        self.address = (parts.hostname, parts.port or (443 if self.https else 80))
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        fixed = {"Host": parts.netloc, **headers}
        self.fixed_headers = "".join(f"{name}: {value}\r\n" for name, value in fixed.items())
        self.sock: socket.socket | None = None
        self.buffer = b""

    def exchange(self, method: str, target: str, body: bytes | None = None, headers: str = "") -> tuple[int, bytes]:
        """Send one request (`headers`: extra header lines, each ending in CRLF); return status and body."""
        if body is not None:
            headers += f"Content-Length: {len(body)}\r\n"
        request = f"{method} {self.prefix}{target} HTTP/1.1\r\n{self.fixed_headers}{headers}\r\n".encode()
        if body:
            request += body
        for attempt in (1, 2):
            reused = self.sock is not None
            if not reused:
                self._open()
            try:
                self.sock.sendall(request)
                return self._answer()
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                # The server closed an idle kept-alive connection: open a new one, once.
                self.close()
                if not reused or attempt == 2:
                    raise
            except BaseException:
                self.close()  # what is left on the connection is unknown
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.buffer = b""

    def _open(self) -> None:
        sock = socket.create_connection(self.address, timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.https:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.address[0])
        self.sock = sock

    def _answer(self) -> tuple[int, bytes]:
        head = self._read_until(b"\r\n\r\n")
        if head is None:
            raise http.client.RemoteDisconnected("the server closed the connection without an answer")
        lines = head.decode("latin-1").split("\r\n")
        status_line = lines[0].split(" ", 2)
        status = int(status_line[1])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        closes = fields.get("connection", "").lower() == "close" or status_line[0] == "HTTP/1.0"
        if "content-length" in fields:
            body = self._read_exactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            body, closes = self._read_to_end(), True
        if closes:
            self.close()
        return status, body

    def _receive(self) -> bool:
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)

    def _read_until(self, marker: bytes) -> bytes | None:
        while marker not in self.buffer:
            if not self._receive():
                return None
        found, _, self.buffer = self.buffer.partition(marker)
        return found

    def _read_exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._receive():
                raise http.client.IncompleteRead(self.buffer, size - len(self.buffer))
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size_line = self._read_until(b"\r\n")
            if size_line is None:
                raise http.client.IncompleteRead(b"".join(parts))
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                self._read_until(b"\r\n")
                return b"".join(parts)
            parts.append(self._read_exactly(size))
            self._read_exactly(2)

    def _read_to_end(self) -> bytes:
        while self._receive():
            pass
        data, self.buffer = self.buffer, b""
        return data


@dataclass
class Answer:
    status_code: int
    location: str
    text: str


class Browser(KeepAliveConnection):
    """What a launch needs of a browser: a cookie jar and forms, English labels."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        super().__init__(base_url, timeout)
        self.cookies: dict[str, str] = {}

    def get(self, url: str) -> Answer:
        return self.request("GET", url)

    def post(self, url: str, form: dict[str, str]) -> Answer:
        return self.request("POST", url, urlencode(form).encode())

    def request(self, method: str, url: str, body: bytes | None = None) -> Answer:
        parts = urlsplit(url)
        if parts.netloc not in ("", self.origin):
            # One connection per client: the demo platform and the tool share the server.
            raise RuntimeError(f"{url} is not on {self.origin}; the benchmark talks to one server")
        # English labels: the launch benchmark finds the learner's button by its text.
        headers = {"Accept-Language": "en"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        response, data = self.exchange(method, target, body, headers)
        for header in response.msg.get_all("Set-Cookie") or ():
            self._remember(header)
        return Answer(response.status, response.getheader("Location", ""), data.decode())

    def _remember(self, header: str) -> None:
        pair, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = pair.partition("=")
        flags = {attribute.split("=", 1)[0].lower(): attribute.partition("=")[2] for attribute in attributes}
        if "secure" in flags and not self.https:
            return  # a browser keeps a Secure cookie away from http://
        if flags.get("max-age") == "0" or "1970" in flags.get("expires", ""):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value
