"""Freeze a collection: a JSON copy of every item and a private copy of every file.

The assessor must see exactly what was submitted, however the learner changes or deletes
the originals afterwards, so texts are copied into the snapshot and files are copied to
their own storage keys (under "submissions/"), which only the submission refers to.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy.orm import Session

from lti_tool.collections.models import Collection
from lti_tool.collections.services import ShownItem, shown_items
from lti_tool.db import utcnow
from lti_tool.storage import Storage, new_key, put_in_transaction

log = logging.getLogger(__name__)

FORMAT = 1
FILE_PREFIX = "submissions"
_EXTENSION = re.compile(r"\.([a-z0-9]{1,10})$")


def _extension(name: str) -> str:
    match = _EXTENSION.search((name or "").lower())
    return match.group(1) if match else ""


def _copy(session: Session, storage: Storage, key: str | None, name: str, copied: dict[str, str]) -> str | None:
    """Copy one stored file to a key of its own; the same source is copied once per snapshot."""
    if not key:
        return None
    if key in copied:
        return copied[key]
    try:
        with storage.open(key) as source:
            data = source.read()
    except OSError:
        # The original is gone from the store: record the file as missing instead of failing
        # the learner's submission over something they cannot repair.
        log.warning("evidence file %s missing from storage while freezing a submission", key)
        return None
    target = new_key(FILE_PREFIX, _extension(name))
    put_in_transaction(session, storage, target, data)
    copied[key] = target
    return target


def _evidence_entry(session: Session, storage: Storage, shown: ShownItem, copied: dict[str, str]) -> dict[str, Any]:
    evidence = shown.evidence
    assert evidence is not None
    files = []
    for index, stored in enumerate(evidence.files):
        key = _copy(session, storage, stored.storage_key, stored.original_name, copied)
        files.append(
            {
                "index": index,
                "name": stored.original_name,
                "content_type": stored.content_type,
                "size": stored.size,
                "sha256": stored.sha256,
                "width": stored.width,
                "height": stored.height,
                "key": key,
                "thumbnail_key": _copy(session, storage, stored.thumbnail_key, "thumbnail.jpg", copied)
                if key
                else None,
                "missing": key is None,
            }
        )
    return {
        "type": "evidence",
        "source_id": evidence.id,
        "title": evidence.title,
        "description": evidence.description or "",
        "kind": evidence.kind,
        "evidence_type": evidence.type,
        "occurred_on": evidence.occurred_on.isoformat() if evidence.occurred_on else None,
        "url": evidence.url,
        "issuer": evidence.issuer,
        "expires_on": evidence.expires_on.isoformat() if evidence.expires_on else None,
        "tags": [tag.tag for tag in evidence.tags],
        "files": files,
    }


def _reflection_entry(shown: ShownItem) -> dict[str, Any]:
    reflection = shown.reflection
    assert reflection is not None
    return {
        "type": "reflection",
        "source_id": reflection.id,
        "title": reflection.title,
        "method": reflection.method,
        # Stored sanitised; the copy is a new dict so later edits cannot reach it.
        "content": dict(reflection.content or {}),
        "evidence_id": reflection.evidence_id,
        "files": [],
    }


def freeze(session: Session, storage: Storage, collection: Collection) -> dict[str, Any]:
    """Return the snapshot of a collection as it is now, copying its files in this transaction."""
    copied: dict[str, str] = {}
    items = []
    for position, shown in enumerate(shown_items(session, collection), start=1):
        entry = _evidence_entry(session, storage, shown, copied) if shown.evidence else _reflection_entry(shown)
        entry["position"] = position
        items.append(entry)
    return {
        "format": FORMAT,
        "collection_id": collection.id,
        "title": collection.title,
        "description": collection.description or "",
        "frozen_at": utcnow().isoformat(timespec="seconds"),
        "items": items,
    }


def snapshot_file(snapshot: dict[str, Any], position: int, index: int) -> dict[str, Any] | None:
    """The frozen file at (item position, file index), or None when there is none."""
    for item in snapshot.get("items", []):
        if item.get("position") == position:
            for entry in item.get("files", []):
                if entry.get("index") == index and entry.get("key"):
                    return entry
    return None
