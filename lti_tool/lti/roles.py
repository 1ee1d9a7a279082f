"""Normalise roles from launches (full URIs) and NRPS (often short names) to full URIs."""

from __future__ import annotations

from typing import Iterable

from flask_babel import lazy_gettext as _l

from lti_tool.lti import claims

# Short context role names as NRPS answers them (Moodle sends "Learner", "Instructor").
_CONTEXT_ROLE_NAMES = {
    "Administrator",
    "ContentDeveloper",
    "Instructor",
    "Learner",
    "Mentor",
    "Manager",
    "Member",
    "Officer",
}
_LIS_V1_PREFIX = "urn:lti:role:ims/lis/"
# LTI 1.1 institution and system role URNs, still sent by platforms migrated from 1.1.
_LIS_V1_PERSON_PREFIXES = {
    "urn:lti:instrole:ims/lis/": claims.INSTITUTION_ROLE,
    "urn:lti:sysrole:ims/lis/": claims.SYSTEM_ROLE,
}

LEARNER = "learner"
INSTRUCTOR = "instructor"
ADMIN = "admin"
ROLE_LABELS = {LEARNER: _l("Learner"), INSTRUCTOR: _l("Instructor"), ADMIN: _l("Administrator")}


def normalise_role(role: str) -> str:
    """Return the full LIS v2 URI of a role given as a URI, a short name or an LTI 1.1 URN."""
    role = role.strip()
    if role.startswith("http://") or role.startswith("https://"):
        return role
    for prefix, vocabulary in _LIS_V1_PERSON_PREFIXES.items():
        if role.startswith(prefix) and len(role) > len(prefix):
            return vocabulary + role[len(prefix):]
    if role.startswith(_LIS_V1_PREFIX):
        role = role[len(_LIS_V1_PREFIX):]
    if "/" in role:
        # Sub-roles such as "Instructor/TeachingAssistant" (LTI 1.3 core A.2.3.1).
        principal, sub = role.split("/", 1)
        if principal in _CONTEXT_ROLE_NAMES:
            return f"http://purl.imsglobal.org/vocab/lis/v2/membership/{principal}#{sub}"
    if role in _CONTEXT_ROLE_NAMES:
        return claims.MEMBERSHIP_ROLE + role
    return role


def normalise_roles(roles: Iterable[str]) -> list[str]:
    return sorted({normalise_role(r) for r in roles if isinstance(r, str) and r.strip()})


def split_roles(roles: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split normalised roles into (context roles, institution and system roles)."""
    context, institution = [], []
    for role in normalise_roles(roles):
        if role.startswith(("http://purl.imsglobal.org/vocab/lis/v2/membership", )):
            context.append(role)
        else:
            institution.append(role)
    return context, institution


def primary_role(roles: Iterable[str]) -> str:
    """Decide where a launch lands: administrators, then instructors, then learners."""
    normalised = set(normalise_roles(roles))
    if normalised & {claims.INSTITUTION_ADMINISTRATOR, claims.SYSTEM_ADMINISTRATOR}:
        return ADMIN
    teaching = {claims.INSTRUCTOR, claims.CONTEXT_ADMINISTRATOR, claims.CONTENT_DEVELOPER}
    if normalised & teaching or any(r.startswith(claims.MEMBERSHIP_ROLE.replace("#", "/Instructor#")) for r in normalised):
        return INSTRUCTOR
    return LEARNER
