"""The demo platform's service URLs, as it puts them in launches and answers."""

from __future__ import annotations


def service_urls(base_url: str) -> dict[str, str]:
    demo = base_url.rstrip("/") + "/demo"
    return {
        "lineitems": demo + "/ags/lineitems?type_id=1",
        "memberships": demo + "/nrps/memberships",
        "deep_link_return": demo + "/deep-link-return",
        "course": demo,
    }


def line_item_url(base_url: str, line_item_id: int) -> str:
    # Moodle's line item URLs carry a query string: tools must put /scores before it (AGS 2.0, 3.4).
    return f"{base_url.rstrip('/')}/demo/ags/lineitems/{line_item_id}/lineitem?type_id=1"
