"""One shape for every way an item is shown: live (showcase), frozen (submission) and in the PDF.

Templates receive plain dicts shaped like the snapshot's items, plus URLs for their files,
so one partial renders them all and a frozen copy looks like the live page it came from.
"""

from __future__ import annotations

from typing import Any, Callable

from lti_tool.collections.services import ShownItem
from lti_tool.portfolio.models import EvidenceFile

# Images a browser shows inline; everything else is offered as a download.
INLINE_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}

FileURL = Callable[[EvidenceFile], str]


def field_labels() -> dict[str, str]:
    """The label of each reflection part (STARR steps, free text), in the current language."""
    from lti_tool.portfolio.reflection_forms import FIELD_TEXTS

    return {name: str(label) for name, (label, _prompt) in FIELD_TEXTS.items()}


def _file_entry(stored: EvidenceFile, url: str, thumb_url: str | None) -> dict[str, Any]:
    return {
        "name": stored.original_name,
        "content_type": stored.content_type,
        "size": stored.size,
        "url": url,
        "thumb_url": thumb_url,
        "is_image": stored.content_type in INLINE_IMAGE_TYPES,
    }


def live_entries(items: list[ShownItem], file_url: FileURL, thumb_url: FileURL | None = None) -> list[dict[str, Any]]:
    """Entries for the items of a collection as they are now."""
    entries = []
    for position, shown in enumerate(items, start=1):
        if shown.evidence is not None:
            evidence = shown.evidence
            entries.append(
                {
                    "position": position,
                    "type": "evidence",
                    "title": evidence.title,
                    "description": evidence.description or "",
                    "kind": evidence.kind,
                    "evidence_type": evidence.type,
                    "occurred_on": evidence.occurred_on.isoformat() if evidence.occurred_on else None,
                    "url": evidence.url,
                    "issuer": evidence.issuer,
                    "expires_on": evidence.expires_on.isoformat() if evidence.expires_on else None,
                    "tags": [tag.tag for tag in evidence.tags],
                    "files": [
                        _file_entry(f, file_url(f), thumb_url(f) if thumb_url and f.thumbnail_key else None)
                        for f in evidence.files
                    ],
                }
            )
        else:
            reflection = shown.reflection
            assert reflection is not None
            entries.append(
                {
                    "position": position,
                    "type": "reflection",
                    "title": reflection.title,
                    "method": reflection.method,
                    "content": reflection.content or {},
                    "files": [],
                }
            )
    return entries


def frozen_entries(snapshot: dict[str, Any], file_url: Callable[[int, int, bool], str]) -> list[dict[str, Any]]:
    """Entries for a submission's frozen items; file URLs point into the submission."""
    entries = []
    for item in snapshot.get("items", []):
        entry = dict(item)
        entry["files"] = [
            {
                "name": f.get("name"),
                "content_type": f.get("content_type"),
                "size": f.get("size"),
                "url": file_url(item["position"], f["index"], False) if f.get("key") else None,
                "thumb_url": file_url(item["position"], f["index"], True) if f.get("thumbnail_key") else None,
                "is_image": f.get("content_type") in INLINE_IMAGE_TYPES,
                "missing": not f.get("key"),
            }
            for f in item.get("files", [])
        ]
        entries.append(entry)
    return entries
