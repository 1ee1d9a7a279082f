"""Role normalisation (LTI 1.3 core appendix A) and where each mix of roles lands."""

from __future__ import annotations

import pytest

from lti_tool.lti.roles import ADMIN, INSTRUCTOR, LEARNER, normalise_role, normalise_roles, primary_role, split_roles

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
# What Moodle 4.5 sends for its site administrator (tests/data/moodle-4.5).
MOODLE_SITE_ADMIN = [INSTITUTION + "Administrator", MEMBERSHIP + "Instructor", SYSTEM + "Administrator"]


@pytest.mark.parametrize(
    "uri",
    [
        MEMBERSHIP + "Learner",
        MEMBERSHIP + "Instructor",
        INSTITUTION + "Faculty",
        SYSTEM + "SysAdmin",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
        "http://purl.imsglobal.org/vocab/lti/system/person#TestUser",
    ],
)
def test_full_role_uris_are_kept_as_they_are(uri):
    assert normalise_role(uri) == uri


@pytest.mark.parametrize(
    ("short", "uri"),
    [
        ("Learner", MEMBERSHIP + "Learner"),
        ("Instructor", MEMBERSHIP + "Instructor"),
        ("ContentDeveloper", MEMBERSHIP + "ContentDeveloper"),
        ("Mentor", MEMBERSHIP + "Mentor"),
        ("Administrator", MEMBERSHIP + "Administrator"),
        (" Learner ", MEMBERSHIP + "Learner"),
    ],
)
def test_nrps_short_context_role_names_become_full_uris(short, uri):
    assert normalise_role(short) == uri


def test_moodle_nrps_members_roles_normalise_like_their_launch_roles():
    # Moodle's NRPS answers "Learner" where its launch says membership#Learner.
    assert normalise_roles(["Learner"]) == normalise_roles([MEMBERSHIP + "Learner"])
    assert normalise_roles(["Instructor", MEMBERSHIP + "Instructor"]) == [MEMBERSHIP + "Instructor"]


@pytest.mark.parametrize(
    ("urn", "uri"),
    [
        ("urn:lti:role:ims/lis/Learner", MEMBERSHIP + "Learner"),
        ("urn:lti:role:ims/lis/Instructor", MEMBERSHIP + "Instructor"),
        ("urn:lti:role:ims/lis/Instructor/TeachingAssistant", "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"),
        ("urn:lti:role:ims/lis/Learner/NonCreditLearner", "http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#NonCreditLearner"),
        ("urn:lti:instrole:ims/lis/Administrator", INSTITUTION + "Administrator"),
        ("urn:lti:instrole:ims/lis/Student", INSTITUTION + "Student"),
        ("urn:lti:sysrole:ims/lis/Administrator", SYSTEM + "Administrator"),
    ],
)
def test_lti_1_1_role_urns_become_lis_v2_uris(urn, uri):
    assert normalise_role(urn) == uri


@pytest.mark.parametrize(
    ("short", "uri"),
    [
        ("Instructor/TeachingAssistant", "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"),
        ("Learner/GuestLearner", "http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#GuestLearner"),
    ],
)
def test_short_sub_roles_become_sub_role_uris(short, uri):
    assert normalise_role(short) == uri


def test_unknown_roles_are_kept_rather_than_guessed():
    assert normalise_role("Student") == "Student"
    assert normalise_role("Nobody/Special") == "Nobody/Special"


def test_normalised_roles_are_sorted_unique_and_skip_empty_or_non_text_values():
    assert normalise_roles(["Learner", "", "  ", None, 7, MEMBERSHIP + "Learner", "Mentor"]) == [
        MEMBERSHIP + "Learner",
        MEMBERSHIP + "Mentor",
    ]


def test_roles_split_into_context_roles_and_institution_or_system_roles():
    context, person = split_roles(MOODLE_SITE_ADMIN + ["Instructor/TeachingAssistant"])
    assert context == [
        MEMBERSHIP + "Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
    ]
    assert person == [INSTITUTION + "Administrator", SYSTEM + "Administrator"]


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (MOODLE_SITE_ADMIN, ADMIN),
        ([INSTITUTION + "Administrator", MEMBERSHIP + "Learner"], ADMIN),
        ([SYSTEM + "Administrator"], ADMIN),
        (["urn:lti:instrole:ims/lis/Administrator"], ADMIN),
        ([MEMBERSHIP + "Instructor", MEMBERSHIP + "Learner"], INSTRUCTOR),
        (["Instructor"], INSTRUCTOR),
        (["urn:lti:role:ims/lis/Instructor"], INSTRUCTOR),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], INSTRUCTOR),
        ([MEMBERSHIP + "Administrator"], INSTRUCTOR),
        ([MEMBERSHIP + "ContentDeveloper"], INSTRUCTOR),
        ([MEMBERSHIP + "Learner"], LEARNER),
        ([MEMBERSHIP + "Mentor"], LEARNER),
        ([INSTITUTION + "Faculty"], LEARNER),
        ([], LEARNER),
    ],
)
def test_primary_role_prefers_administrators_then_instructors_then_learners(roles, landing):
    assert primary_role(roles) == landing
