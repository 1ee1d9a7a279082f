"""The Activity object GET /activities returns (Communication 2.5).

The canonical definitions themselves are merged by the statements store as statements arrive
(xapi.statement_activities); this module only reads them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from xapi.statement_activities import canonical_definitions


def activity_object(session: Session, tenant_id: int, activity_id: str) -> dict:
    """Return the Activity with its canonical definition, or just its id when none is known.

    2.5.s2.b1: an LRS without a definition SHOULD* still return an Activity Object.
    """
    activity: dict = {"objectType": "Activity", "id": activity_id}
    definition = canonical_definitions(session, tenant_id, [activity_id]).get(activity_id)
    if definition:
        activity["definition"] = definition
    return activity
