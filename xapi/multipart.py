"""multipart/mixed bodies (RFC 2046) as xAPI uses them for attachments, read and written byte-exact.

The `email` package rewrites line endings in bodies; attachments are hashed, so we split on the
boundary ourselves and never touch a part's bytes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from werkzeug.http import parse_options_header


class MultipartError(ValueError):
    """The body is not well-formed multipart/mixed; the message says what is wrong."""


@dataclass
class Part:
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def content_type(self) -> str:
        return parse_options_header(self.headers.get("content-type", ""))[0].lower()


def boundary_of(content_type_header: str) -> str:
    mimetype, options = parse_options_header(content_type_header)
    boundary = options.get("boundary")
    if mimetype.lower() != "multipart/mixed" or not boundary:
        raise MultipartError("a multipart/mixed Content-Type with a boundary parameter is required")
    if len(boundary) > 70:
        raise MultipartError("the multipart boundary is longer than 70 characters")
    return boundary


def _parse_headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.replace(b"\r\n", b"\n").split(b"\n"):
        if not line.strip():
            continue
        if line[:1] in (b" ", b"\t") and headers:
            last = next(reversed(headers))
            headers[last] += " " + line.strip().decode("latin-1")
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name.strip():
            raise MultipartError(f"a part has a malformed header line: {line[:60]!r}")
        headers[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
    return headers


def _split_part(raw: bytes) -> Part:
    if raw.startswith((b"\r\n", b"\n")):  # a part without headers
        return Part({}, raw[2:] if raw.startswith(b"\r\n") else raw[1:])
    for separator in (b"\r\n\r\n", b"\n\n"):
        position = raw.find(separator)
        if position >= 0:
            return Part(_parse_headers(raw[:position]), raw[position + len(separator):])
    raise MultipartError("a part has no blank line between its headers and its body")


def parse_multipart(body: bytes, boundary: str) -> list[Part]:
    """Split a multipart body into parts; raise MultipartError when it is malformed."""
    delimiter = b"--" + boundary.encode("latin-1")
    start = body.find(delimiter)
    if start < 0 or (start > 0 and body[start - 1:start] != b"\n"):
        raise MultipartError("the body does not contain the boundary given in Content-Type")
    position = start + len(delimiter)
    parts: list[Part] = []
    while True:
        if body[position:position + 2] == b"--":
            return parts
        line_end = body.find(b"\n", position)
        if line_end < 0 or body[position:line_end].strip(b" \t\r"):
            raise MultipartError("a boundary line is followed by unexpected characters")
        content_start = line_end + 1
        next_delimiter = body.find(b"\n" + delimiter, content_start)
        if next_delimiter < 0:
            raise MultipartError("the multipart body has no closing boundary")
        content_end = next_delimiter - 1 if body[next_delimiter - 1:next_delimiter] == b"\r" else next_delimiter
        parts.append(_split_part(body[content_start:content_end]))
        position = next_delimiter + 1 + len(delimiter)


def build_multipart(parts: list[tuple[dict[str, str], bytes]]) -> tuple[bytes, str]:
    """Join parts into a multipart/mixed body; return (body, Content-Type header)."""
    boundary = "xapi-" + secrets.token_hex(16)
    chunks: list[bytes] = []
    for headers, content in parts:
        chunks.append(f"--{boundary}\r\n".encode("latin-1"))
        for name, value in headers.items():
            chunks.append(f"{name}: {value}\r\n".encode("latin-1"))
        chunks.append(b"\r\n")
        chunks.append(content)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode("latin-1"))
    return b"".join(chunks), f'multipart/mixed; boundary="{boundary}"'
