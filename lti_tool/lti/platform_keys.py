"""Platform key sets: fetched with a timeout, cached per Cache-Control, refetched on a new kid."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import requests
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.lti.models import Platform, PlatformKeySetCache

log = logging.getLogger(__name__)

DEFAULT_MAX_AGE = 300
MAX_MAX_AGE = 24 * 3600
_MAX_AGE = re.compile(r"max-age=(\d+)")


class PlatformKeyError(Exception):
    """The platform's key set could not be had, or holds no key for this token."""


def _max_age(response: requests.Response) -> int:
    cache_control = response.headers.get("Cache-Control", "")
    if "no-store" in cache_control or "no-cache" in cache_control:
        return 0
    match = _MAX_AGE.search(cache_control)
    return min(int(match.group(1)), MAX_MAX_AGE) if match else DEFAULT_MAX_AGE


def _fetch(url: str, timeout: float) -> tuple[dict, int]:
    try:
        response = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
        response.raise_for_status()
        key_set = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise PlatformKeyError(f"could not fetch the platform key set from {url}: {exc}") from exc
    if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
        raise PlatformKeyError(f"the platform key set at {url} has no 'keys' list")
    return key_set, _max_age(response)


def _find(key_set: dict, kid: str) -> dict | None:
    for key in key_set.get("keys", []):
        if isinstance(key, dict) and key.get("kid") == kid:
            return key
    return None


def platform_key(
    session: Session, platform: Platform, kid: str, *, timeout: float, min_refetch_interval: int
) -> dict:
    """Return the platform's JWK with this kid, fetching the key set when needed."""
    if platform.key_set:
        key = _find(platform.key_set, kid)
        if key is None:
            raise PlatformKeyError(f"no key with kid {kid!r} in the registered key set")
        return key
    if not platform.key_set_url:
        raise PlatformKeyError("the platform has neither a key set URL nor a key set")
    url = platform.key_set_url
    now = utcnow()
    cached = session.get(PlatformKeySetCache, url)
    if cached is not None:
        key = _find(cached.key_set, kid)
        if key is not None and cached.expires_at > now:
            return key
        # An unknown kid means the platform may have rotated: refetch, but not in a storm.
        # A known kid past its max-age (or under no-store) is refetched as the headers ask.
        recently = cached.fetched_at > now - timedelta(seconds=min_refetch_interval)
        if key is None and recently:
            raise PlatformKeyError(f"no key with kid {kid!r} (key set refetched moments ago)")
    key_set, max_age = _fetch(url, timeout)
    if cached is None:
        cached = PlatformKeySetCache(url=url)
        session.add(cached)
    cached.key_set = key_set
    cached.fetched_at = now
    cached.expires_at = now + timedelta(seconds=max_age)
    key = _find(key_set, kid)
    if key is None:
        raise PlatformKeyError(f"no key with kid {kid!r} in the platform key set")
    return key
