"""Signed statements (Data 2.6): JWS compact structure, algorithm, payload equal to the statement.

The LRS MUST reject malformed signatures (2.6.s5.b1). To decide that it decodes the JWS, checks
that its payload is logically equivalent to the statement received (2.6.s5.b3.b2, compared by
the Statement Comparison Requirements of 2.3.1) and, when the header carries an X.509 chain
(x5c), that the signature verifies against the first certificate (2.6.s5.b3.b3). As the
specification notes, that last step catches mistakes; it does not establish trust.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from xapi.validation.attachments import SIGNATURE_USAGE_TYPE
from xapi.validation.errors import StatementValidationError
from xapi.validation.primitives import TimestampError, parse_iso_timestamp
from xapi.validation.statement import validate_statement

ALGORITHMS = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*\Z")
# Data 2.3.1.b1: properties the LRS may assign; differences in them are ignored.
_ALWAYS_IGNORED = ("authority", "stored", "version", "attachments")
_IGNORED_IF_ABSENT_ON_ONE_SIDE = ("id", "timestamp")


def find_signature_attachment(statement: dict) -> dict | None:
    """Return the statement's signature attachment metadata, if it has one."""
    for attachment in statement.get("attachments") or ():
        if attachment.get("usageType") == SIGNATURE_USAGE_TYPE:
            return attachment
    return None


def check_signature(statement: dict, jws: bytes | str, *, version: str | None = None, path: str = "signature") -> dict:
    """Check a statement's JWS signature; return the JWS header, or raise StatementValidationError.

    `version` selects the rules the signed payload is checked against; without it the payload
    may follow either 1.0.x or 2.0.0 (it must equal the received statement in any case).
    """

    text = _as_text(jws, path).strip()
    if text.startswith("{"):
        raise StatementValidationError(path, "the signature must use JWS compact serialization, not the JSON serialization")
    parts = text.split(".")
    if len(parts) != 3 or not all(_BASE64URL.match(part) for part in parts) or not parts[2]:
        raise StatementValidationError(path, "the signature must be a JWS in compact serialization: header.payload.signature")
    header = _decode_json(parts[0], path, "JWS header")
    if type(header) is not dict:
        raise StatementValidationError(path, "the JWS header must be a JSON object")
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise StatementValidationError(path, f"the JWS algorithm must be RS256, RS384 or RS512 (got {algorithm!r})")
    payload = _decode_json(parts[1], path, "JWS payload")
    if type(payload) is not dict:
        raise StatementValidationError(path, "the JWS payload must be the JSON serialization of the statement")
    _validate_payload(payload, version, path)
    if not statements_match(payload, statement):
        raise StatementValidationError(path, "the signed statement (JWS payload) does not match the statement that was sent")
    if "x5c" in header:
        _verify_with_certificate(header["x5c"], algorithm, parts, path)
    return header


def _validate_payload(payload: dict, version: str | None, path: str) -> None:
    first_error = None
    for rules in (version,) if version else ("1.0.3", "2.0.0"):
        try:
            validate_statement(payload, version=rules, path="payload")
            return
        except StatementValidationError as exc:
            first_error = first_error or exc
    raise StatementValidationError(path, f"the JWS payload is not a valid statement ({first_error})")


def statements_match(signed: dict, received: dict) -> bool:
    """Return whether two statements are equal under the Statement Comparison Requirements (2.3.1)."""
    ignored = set(_ALWAYS_IGNORED)
    ignored.update(key for key in _IGNORED_IF_ABSENT_ON_ONE_SIDE if (key in signed) != (key in received))
    try:
        return _statement(signed, ignored) == _statement(received, ignored)
    except (AttributeError, TypeError, KeyError, ValueError):
        return False  # a payload that is not statement-shaped cannot match


def _as_text(jws: bytes | str, path: str) -> str:
    if isinstance(jws, str):
        return jws
    try:
        return bytes(jws).decode("ascii")
    except UnicodeDecodeError:
        raise StatementValidationError(path, "the signature must be an ASCII JWS in compact serialization") from None


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _decode_json(part: str, path: str, what: str) -> Any:
    try:
        return json.loads(_b64decode(part))
    except (binascii.Error, ValueError):
        raise StatementValidationError(path, f"the {what} is not base64url-encoded JSON") from None


def _verify_with_certificate(chain: Any, algorithm: str, parts: list[str], path: str) -> None:
    if type(chain) is not list or not chain or type(chain[0]) is not str:
        raise StatementValidationError(path, "the JWS x5c header must be a non-empty array of base64 certificates")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
    except (binascii.Error, ValueError):
        raise StatementValidationError(path, "the first certificate in the JWS x5c header cannot be read") from None
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise StatementValidationError(path, "the certificate in the JWS x5c header must hold an RSA key")
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    try:
        key.verify(_b64decode(parts[2]), signing_input, padding.PKCS1v15(), ALGORITHMS[algorithm]())
    except (InvalidSignature, binascii.Error, ValueError):
        raise StatementValidationError(path, "the JWS signature does not verify against the certificate in its x5c header") from None


# --- Canonical forms for comparison -----------------------------------------------------------


def _statement(statement: dict, ignored: set[str]) -> dict:
    canonical = {}
    for key, value in statement.items():
        if key in ignored:
            continue
        if key == "actor":
            canonical[key] = _actor(value)
        elif key == "verb":
            canonical[key] = value["id"]  # 2.3.1.b3: the verb's display is not part of the statement
        elif key == "object":
            canonical[key] = _object(value)
        elif key == "context":
            canonical[key] = _context(value)
        elif key == "timestamp":
            canonical[key] = _instant(value)  # 2.3.1.b4: the same instant in another zone is equal
        elif key == "id" and isinstance(value, str):
            canonical[key] = value.lower()  # a UUID's hexadecimal digits are case-insensitive (RFC 4122)
        else:
            canonical[key] = value
    return canonical


def _actor(actor: dict) -> dict:
    canonical = dict(actor)
    canonical.setdefault("objectType", "Agent")
    mbox = canonical.get("mbox")
    if isinstance(mbox, str) and "@" in mbox:
        local, _, domain = mbox.rpartition("@")
        canonical["mbox"] = f"{local}@{domain.lower()}"  # 2.3.1.b7: e-mail domains are case-insensitive
    if "member" in canonical:
        # 2.3.1.b5: a Group's members are an unordered list.
        members = [_actor(member) for member in canonical["member"]]
        canonical["member"] = sorted(members, key=lambda member: json.dumps(member, sort_keys=True))
    return canonical


def _object(obj: dict) -> Any:
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        return ("Activity", obj["id"])  # 2.3.1.b2: Activity definitions are not part of the statement
    if object_type in ("Agent", "Group"):
        return _actor(obj)
    if object_type == "SubStatement":
        return _statement(obj, {"attachments"})
    return obj


def _context(context: dict) -> dict:
    canonical = dict(context)
    for key in ("instructor", "team"):
        if key in canonical:
            canonical[key] = _actor(canonical[key])
    if "contextActivities" in canonical:
        canonical["contextActivities"] = {
            key: [_object(activity) for activity in (value if isinstance(value, list) else [value])]
            for key, value in canonical["contextActivities"].items()
        }
    if "contextAgents" in canonical:
        canonical["contextAgents"] = [{**entry, "agent": _actor(entry["agent"])} for entry in canonical["contextAgents"]]
    if "contextGroups" in canonical:
        canonical["contextGroups"] = [{**entry, "group": _actor(entry["group"])} for entry in canonical["contextGroups"]]
    return canonical


def _instant(value: Any) -> Any:
    try:
        return parse_iso_timestamp(value, require_offset=False)
    except (TimestampError, TypeError):
        return value
