"""Names and roles: the whole roster over every page, normalised like a launch, kept per tenant."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from lti_tool.lti import claims
from lti_tool.lti.nrps import INACTIVE, Member, Roster, RosterError, fetch_roster, sync_context_roster, sync_roster
from lti_tool.people.models import Context, Membership, User
from tests.integration.test_service_clients import (  # noqa: F401  (fixtures)
    demo,
    demo_platform,
    scripted,
    served,
    service_client,
    settings_overrides,
)
from tests.support.platform import fixture

NRPS_TYPE = {"Content-Type": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"}


def _page(members, link=None):
    headers = dict(NRPS_TYPE)
    if link:
        headers["Link"] = link
    return (200, json.dumps({"members": members}), headers)


# --- the demo platform ----------------------------------------------------------------------


def test_the_demo_roster_is_read_whole_with_roles_as_full_uris(demo_platform, served, service_client):
    roster = fetch_roster(service_client, demo_platform, served.base_url + "/demo/nrps/memberships")

    by_sub = {m.sub: m for m in roster.members}
    assert set(by_sub) == {"3", "4", "5", "6"}
    assert by_sub["4"].roles == [claims.LEARNER]
    assert by_sub["3"].roles == [claims.INSTRUCTOR]
    assert (by_sub["4"].name, by_sub["4"].email, by_sub["4"].status) == ("Sam Student", "sam.student@example.com", "Active")
    assert roster.context["label"] == "DEMO101"
    assert roster.pages == 1


def test_a_paged_roster_follows_link_next_to_the_end(demo_platform, served, service_client):
    whole = fetch_roster(service_client, demo_platform, served.base_url + "/demo/nrps/memberships")

    paged = fetch_roster(service_client, demo_platform, served.base_url + "/demo/nrps/memberships?limit=1")

    assert paged.pages == 4
    assert sorted(m.sub for m in paged.members) == sorted(m.sub for m in whole.members)


def test_a_role_filter_applies_to_every_page(demo_platform, served, service_client):
    roster = fetch_roster(service_client, demo_platform, served.base_url + "/demo/nrps/memberships?limit=2", role=claims.LEARNER)

    assert sorted(m.sub for m in roster.members) == ["4", "5", "6"]
    assert roster.pages == 2


# --- Moodle's answers, served by a scripted platform -----------------------------------------


def test_moodles_members_are_normalised_and_a_relative_next_link_is_followed(db, scripted, service_client):
    platform = scripted.register_in(db)
    moodle = fixture("nrps-membership-members")["members"]
    scripted.routes["/members"] = _page(moodle[:1], link='</members?page=2>; rel="next"')
    scripted.routes["/members?page=2"] = _page([moodle[1], moodle[0], {"status": "Active", "roles": ["Learner"]}])

    roster = fetch_roster(service_client, platform, scripted.base_url + "/members")

    assert roster.pages == 2
    assert [(m.sub, m.name, m.email, m.roles) for m in roster.members] == [
        ("4", "Sam Student", "student1@example.com", [claims.LEARNER]),
        ("3", "Terry Teacher", "teacher1@example.com", [claims.INSTRUCTOR]),
    ]
    requests = scripted.requests_to("/members")
    assert requests[0]["headers"]["Accept"] == "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    assert requests[0]["headers"]["Authorization"].startswith("Bearer ")


def test_a_member_without_status_counts_as_active_and_numbers_become_strings(db, scripted, service_client):
    platform = scripted.register_in(db)
    scripted.routes["/members"] = _page([{"user_id": 42, "roles": ["urn:lti:role:ims/lis/Learner"]}, {"user_id": "7", "status": "Inactive"}])

    roster = fetch_roster(service_client, platform, scripted.base_url + "/members")

    assert [(m.sub, m.status, m.roles) for m in roster.members] == [("42", "Active", [claims.LEARNER]), ("7", "Inactive", [])]


def test_a_next_link_to_another_host_is_not_followed_with_our_token(db, scripted, service_client):
    platform = scripted.register_in(db)
    scripted.routes["/members"] = _page([{"user_id": "1"}], link='<https://attacker.example/steal>; rel="next"')

    with pytest.raises(RosterError, match="another host"):
        fetch_roster(service_client, platform, scripted.base_url + "/members")


def test_pages_that_link_back_are_detected(db, scripted, service_client):
    platform = scripted.register_in(db)
    scripted.routes["/members"] = _page([{"user_id": "1"}], link='</members?page=2>; rel="next"')
    scripted.routes["/members?page=2"] = _page([{"user_id": "2"}], link='</members>; rel="next"')

    with pytest.raises(RosterError, match="loop"):
        fetch_roster(service_client, platform, scripted.base_url + "/members")


@pytest.mark.parametrize("body", ["not json", json.dumps({"members": "everyone"}), json.dumps([1, 2])])
def test_a_roster_page_that_is_not_a_membership_container_is_refused(db, scripted, service_client, body):
    platform = scripted.register_in(db)
    scripted.routes["/members"] = (200, body, NRPS_TYPE)

    with pytest.raises(RosterError):
        fetch_roster(service_client, platform, scripted.base_url + "/members")


# --- syncing into memberships --------------------------------------------------------------------


def _context(db, platform, nrps_url=None) -> Context:
    context = Context(platform_id=platform.id, context_id="2", label="DEMO101", title="Demo", types=[], nrps_url=nrps_url)
    db.add(context)
    db.flush()
    return context


def test_syncing_the_demo_roster_adds_learners_who_never_launched(db, demo_platform, served, service_client):
    context = _context(db, demo_platform, served.base_url + "/demo/nrps/memberships")
    db.commit()

    result = sync_context_roster(db, service_client, context)
    db.commit()

    assert (result.created_users, result.added) == (4, 4)
    rows = db.execute(
        select(User.sub, User.name, Membership.roles, Membership.source)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.context_id == context.id)
        .order_by(User.sub)
    ).all()
    assert [(sub, roles, source) for sub, _, roles, source in rows] == [
        ("3", [claims.INSTRUCTOR], "nrps"),
        ("4", [claims.LEARNER], "nrps"),
        ("5", [claims.LEARNER], "nrps"),
        ("6", [claims.LEARNER], "nrps"),
    ]


def test_a_sync_keeps_launch_details_the_roster_withholds_and_deactivates_who_left(db, scripted):
    platform = scripted.register_in(db)
    context = _context(db, platform)
    launched = User(platform_id=platform.id, sub="4", name="Sam Student", email="sam@school.nl", institution_roles=[])
    leaver = User(platform_id=platform.id, sub="9", name="Gone", institution_roles=[])
    db.add_all([launched, leaver])
    db.flush()
    db.add(Membership(user_id=leaver.id, context_id=context.id, roles=[claims.LEARNER], source="launch"))
    db.flush()

    result = sync_roster(db, platform, context, Roster(context={}, members=[Member(sub="4", roles=[claims.LEARNER])], pages=1))
    db.commit()

    assert (result.created_users, result.added, result.deactivated) == (0, 1, 1)
    assert (launched.name, launched.email) == ("Sam Student", "sam@school.nl")
    statuses = dict(db.execute(select(Membership.user_id, Membership.status).where(Membership.context_id == context.id)).all())
    assert statuses == {launched.id: "Active", leaver.id: INACTIVE}


def test_a_partial_roster_deactivates_nobody(db, scripted):
    platform = scripted.register_in(db)
    context = _context(db, platform)
    teacher = User(platform_id=platform.id, sub="3", institution_roles=[])
    db.add(teacher)
    db.flush()
    db.add(Membership(user_id=teacher.id, context_id=context.id, roles=[claims.INSTRUCTOR]))
    db.flush()

    result = sync_roster(db, platform, context, Roster(context={}, members=[Member(sub="4", roles=[claims.LEARNER])], pages=1), complete=False)

    assert result.deactivated == 0


def test_a_sync_stays_inside_its_tenant(db, scripted):
    ours = scripted.register_in(db, client_id="ours")
    theirs = scripted.register_in(db, client_id="theirs")
    same_sub_elsewhere = User(platform_id=theirs.id, sub="4", name="Someone else", institution_roles=[])
    db.add(same_sub_elsewhere)
    context = _context(db, ours)
    roster = Roster(context={}, members=[Member(sub="4", name="Sam Student", roles=[claims.LEARNER])], pages=1)

    result = sync_roster(db, ours, context, roster)
    db.commit()

    assert result.created_users == 1
    assert same_sub_elsewhere.name == "Someone else"
    assert db.scalars(select(User).where(User.platform_id == ours.id, User.sub == "4")).one().name == "Sam Student"
    with pytest.raises(RosterError, match="another platform"):
        sync_roster(db, theirs, context, roster)


def test_a_course_without_a_memberships_url_says_how_to_get_one(db, scripted, service_client):
    platform = scripted.register_in(db)
    context = _context(db, platform)

    with pytest.raises(RosterError, match="launch it once"):
        sync_context_roster(db, service_client, context)
