"""The demo platform's Names and Role Provisioning Services 2.0: the course roster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from lti_tool.demo.people import DEMO_CONTEXT, DEMO_PEOPLE
from lti_tool.demo.urls import service_urls
from lti_tool.lti.roles import normalise_role

MEMBERSHIP_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@dataclass
class MembershipPage:
    body: dict[str, Any]
    next_url: str | None


def memberships(base_url: str, *, role: str | None, limit: int | None, offset: int) -> MembershipPage:
    """The course roster, with Moodle's short role names, an optional role filter and paging."""
    members = [person for person in DEMO_PEOPLE if person.enrolled]
    if role:
        wanted = normalise_role(role)
        members = [p for p in members if wanted in {normalise_role(r) for r in p.nrps_roles}]
    page = members[offset : offset + limit] if limit else members[offset:]
    url = service_urls(base_url)["memberships"]
    next_url = None
    if limit and offset + limit < len(members):
        query = {"limit": limit, "offset": offset + limit}
        if role:
            query["role"] = role
        next_url = url + "?" + urlencode(query)
    body = {
        "id": url,
        "context": {key: DEMO_CONTEXT[key] for key in ("id", "label", "title")},
        "members": [
            {
                "status": "Active",
                "roles": list(person.nrps_roles),
                "user_id": person.sub,
                "lis_person_sourcedid": "",
                "name": person.name,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "email": person.email,
                "ext_user_username": person.username,
            }
            for person in page
        ],
    }
    return MembershipPage(body, next_url)
