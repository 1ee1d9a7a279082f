"""The benchmarks' HTTP clients: one keep-alive connection each, on http.client.

The clients share the server's cores, and http.client costs a fraction of the CPU of the
requests package (1.6 vs 0.4 ms per request in the launch benchmark). Not a benchmark itself
(`make bench` skips files starting with "_").
"""

from __future__ import annotations

import http.client
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
