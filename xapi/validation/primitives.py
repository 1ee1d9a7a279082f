"""Formats of single values: IRI, IRL, mailto, UUID, language tag, timestamp, duration, hashes, media type.

Each `is_*` function answers True/False and never raises; `parse_timestamp` returns a value or
raises. They are pure and cheap; the few whose inputs repeat across statements (IRIs, language
tags) are memoised.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

# --- IRI / IRL (RFC 3987), best effort as xAPI Data 2.2.s4.b6 allows -------------------------
# A scheme, a colon, then only characters an IRI may contain: no spaces, controls or the
# characters RFC 3987 excludes, every "%" starting a two-digit escape, at most one "#".
_IRI_CHAR = r"""(?:[^\x00-\x20\x7f-\x9f<>"{}|\\^`%#\ufffe\uffff]|%[0-9A-Fa-f]{2})"""
_IRI = re.compile(rf"[A-Za-z][A-Za-z0-9+.\-]*:{_IRI_CHAR}+(?:#{_IRI_CHAR}*)?\Z")
_WEB_SCHEMES = frozenset({"http", "https", "ftp"})
_WEB_HOST = re.compile(r"[A-Za-z]+://(?:[^/?#@]*@)?([^/?#:]+)")


# Memoise only short values: a cache must not keep megabyte-long strings from hostile requests alive.
_CACHEABLE_LENGTH = 512


def is_iri(value: str) -> bool:
    """Return whether `value` is an absolute IRI (scheme required, RFC 3987 characters only)."""
    if len(value) <= _CACHEABLE_LENGTH:
        return _is_iri_cached(value)
    return _is_iri(value)


def _is_iri(value: str) -> bool:
    if not _IRI.match(value):
        return False
    scheme = value[: value.index(":")].lower()
    # "http://", "https:///x" or "http:foo" parse as IRIs but name no resource.
    if scheme in _WEB_SCHEMES and _WEB_HOST.match(value) is None:
        return False
    return True


_is_iri_cached = lru_cache(maxsize=4096)(_is_iri)


def is_irl(value: str) -> bool:
    """Return whether `value` is an IRL: an IRI that locates something (best effort: same syntax)."""
    return is_iri(value)


# --- mbox / mbox_sha1sum (Data 2.4.2.3) ----------------------------------------------------
_MAILTO = re.compile(r"mailto:[^\s@?#/<>\"()\[\],;:\\]+@[^\s@?#/<>\"()\[\],;:\\]+\Z")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}\Z")


def is_mailto(value: str) -> bool:
    """Return whether `value` is "mailto:" followed by one e-mail address."""
    return _MAILTO.match(value) is not None and is_iri(value)


def is_sha1_hex(value: str) -> bool:
    """Return whether `value` is a SHA-1 digest written as 40 hexadecimal digits."""
    return _SHA1.match(value) is not None


# --- UUID (Data 2.4.1: standard string form) ------------------------------------------------
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


def is_uuid(value: str) -> bool:
    """Return whether `value` is a UUID in the standard 8-4-4-4-12 hexadecimal string form."""
    return _UUID.match(value) is not None


# --- Language tags (RFC 5646 well-formedness, Data 2.2.s4.b2) ------------------------------
_LANGTAG = re.compile(
    r"""
    (?:
      (?P<language>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})
      (?:-[a-z]{4})?                                   # script
      (?:-(?:[a-z]{2}|[0-9]{3}))?                      # region
      (?P<variants>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)
      (?P<extensions>(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*)
      (?:-x(?:-[a-z0-9]{1,8})+)?                       # private use
    |
      x(?:-[a-z0-9]{1,8})+                             # private use only
    )\Z
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Irregular grandfathered tags do not fit the grammar above (RFC 5646 section 2.2.8).
_GRANDFATHERED = frozenset(
    tag.lower()
    for tag in (
        "en-GB-oed i-ami i-bnn i-default i-enochian i-hak i-klingon i-lux i-mingo i-navajo "
        "i-pwn i-tao i-tay i-tsu sgn-BE-FR sgn-BE-NL sgn-CH-DE"
    ).split()
)


def is_language_tag(value: str) -> bool:
    """Return whether `value` is a well-formed RFC 5646 language tag."""
    if len(value) <= _CACHEABLE_LENGTH:
        return _is_language_tag_cached(value)
    return _is_language_tag(value)


def _is_language_tag(value: str) -> bool:
    if value.lower() in _GRANDFATHERED:
        return True
    match = _LANGTAG.match(value)
    if match is None:
        return False
    variants = match.group("variants")
    if variants:
        seen = variants.lower().split("-")[1:]
        if len(seen) != len(set(seen)):
            return False  # RFC 5646 2.2.5: a variant appears at most once
    extensions = match.group("extensions")
    if extensions:
        singletons = [part for part in extensions.lower().split("-") if len(part) == 1]
        if len(singletons) != len(set(singletons)):
            return False  # RFC 5646 2.2.6: each extension singleton appears at most once
    return True


_is_language_tag_cached = lru_cache(maxsize=4096)(_is_language_tag)


# --- Timestamps (Data 4.5, ISO 8601) --------------------------------------------------------
_TIMESTAMP_EXTENDED = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"([Zz]|[+-]\d{2}(?::?\d{2})?)?\Z"
)
_TIMESTAMP_BASIC = re.compile(
    r"(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?"
    r"([Zz]|[+-]\d{2}(?:\d{2})?)?\Z"
)


class TimestampError(ValueError):
    """The text is not a timestamp this xAPI version accepts; the message says why."""


def parse_iso_timestamp(value: str, *, require_offset: bool) -> datetime:
    """Parse an ISO 8601 date-time into an aware UTC datetime, or raise TimestampError."""
    match = _TIMESTAMP_EXTENDED.match(value) or _TIMESTAMP_BASIC.match(value)
    if match is None:
        raise TimestampError("must be an ISO 8601 date and time, e.g. 2024-05-01T13:45:00.000Z")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if offset is None:
        if require_offset:
            raise TimestampError("must include a time zone offset (Z or +hh:mm) in xAPI 2.0")
        tz = timezone.utc  # Data 4.5.s3: without a zone an LRS may take it as UTC
    elif offset in ("Z", "z"):
        tz = timezone.utc
    else:
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        if hours == 0 and minutes == 0 and offset[0] == "-":
            # RFC 3339 4.3: "-00:00" means "offset unknown"; the conformance suite rejects it.
            raise TimestampError("must not use the negative zero offset -00:00 (use Z or +00:00)")
        if minutes > 59 or hours > 23:
            raise TimestampError("has an impossible time zone offset")
        delta = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-delta if offset[0] == "-" else delta)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tzinfo=tz
        )
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise TimestampError("is not a real date and time") from None


# --- Durations (Data 4.6, ISO 8601) ---------------------------------------------------------
_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:{_NUMBER}W|(?=\d|T\d)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?)\Z"
)
_DURATION_PART = re.compile(rf"{_NUMBER}[YMWDHS]")


def is_duration(value: str) -> bool:
    """Return whether `value` is an ISO 8601 duration such as PT1H30M or P3Y1M29DT4H35M59.14S."""
    if _DURATION.match(value) is None:
        return False
    # ISO 8601: only the smallest (last) component may carry a decimal fraction.
    parts = _DURATION_PART.findall(value)
    return not any("." in part or "," in part for part in parts[:-1])


# --- Hashes and media types (Data 2.4.11) ---------------------------------------------------
_SHA2 = re.compile(r"(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})\Z")
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEDIA_TYPE = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|\"(?:[^\"\\\r\n]|\\.)*\"))*[ \t]*\Z"
)


def is_sha2_hex(value: str) -> bool:
    """Return whether `value` is a SHA-224/256/384/512 digest in hexadecimal."""
    return _SHA2.match(value) is not None


def is_media_type(value: str) -> bool:
    """Return whether `value` is an Internet media type (RFC 2046), parameters allowed."""
    return _MEDIA_TYPE.match(value) is not None


# --- Version (Data 2.4.10) ------------------------------------------------------------------
_VERSION_1 = re.compile(r"1\.0(?:\.\d+)?\Z")
_VERSION_1_OR_2 = re.compile(r"(?:1|2)\.0(?:\.\d+)?\Z")


def is_statement_version(value: str, *, version: str) -> bool:
    """Return whether a statement's `version` property is acceptable to an LRS speaking `version`."""
    pattern = _VERSION_1_OR_2 if version.startswith("2.") else _VERSION_1
    return pattern.match(value) is not None
