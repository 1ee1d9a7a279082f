"""Reading statements: by id, every filter, formats, paging with `more`, headers, HEAD."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import pytest

from tests.xapi.conftest import make_statement, new_id

SANNE = {"objectType": "Agent", "name": "Sanne", "mbox": "mailto:sanne@example.nl"}
JOOST = {"objectType": "Agent", "name": "Joost", "account": {"homePage": "https://moodle.example.nl", "name": "42"}}
COACH = {"objectType": "Agent", "mbox": "mailto:coach@example.nl"}
COURSE = "https://leerpaspoort.example/courses/zorg"
LESSON = "https://leerpaspoort.example/lessons/1"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"


def post(lrs, **overrides) -> str:
    statement_id = overrides.pop("id", None) or new_id()
    response = lrs.post("statements", json_body=make_statement(id=statement_id, **overrides))
    assert response.status_code == 200, response.get_data(as_text=True)
    return statement_id


def activity(activity_id, **definition):
    return {"objectType": "Activity", "id": activity_id, **({"definition": definition} if definition else {})}


def ids_of(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [s["id"] for s in response.get_json()["statements"]]


def query(lrs, **params) -> list[str]:
    encoded = "&".join(f"{name}={quote(value if isinstance(value, str) else json.dumps(value))}" for name, value in params.items())
    return ids_of(lrs.get(f"statements?{encoded}"))


# --- single statement ------------------------------------------------------------------------


def test_get_unknown_statement_id_is_404(lrs):
    response = lrs.get(f"statements?statementId={new_id()}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404


def test_get_by_statement_id_has_last_modified_and_consistent_through(lrs):
    statement_id = post(lrs)
    response = lrs.get(f"statements?statementId={statement_id}")
    assert response.get_json()["id"] == statement_id
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")


def test_statement_id_lookup_ignores_case(lrs):
    statement_id = post(lrs)
    assert lrs.get(f"statements?statementId={statement_id.upper()}").status_code == 200


@pytest.mark.parametrize("extra", ["verb=http://adlnet.gov/expapi/verbs/passed", "limit=1", "ascending=true", "since=2020-01-01T00:00:00Z"])
def test_statement_id_with_other_filters_is_400(lrs, extra):
    statement_id = post(lrs)
    response = lrs.get(f"statements?statementId={statement_id}&{extra}")
    assert response.status_code == 400
    assert response.get_json()["error"]["rule"]


def test_statement_id_with_format_and_attachments_is_allowed(lrs):
    statement_id = post(lrs)
    assert lrs.get(f"statements?statementId={statement_id}&format=ids&attachments=false").status_code == 200


def test_statement_id_and_voided_statement_id_together_is_400(lrs):
    statement_id = post(lrs)
    assert lrs.get(f"statements?statementId={statement_id}&voidedStatementId={statement_id}").status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        "statementId=not-a-uuid",
        "agent=not-json",
        'agent={"name":"no identifier"}',
        "verb=not an iri",
        "registration=123",
        "since=yesterday",
        "limit=-1",
        "limit=ten",
        "format=full",
        "ascending=yes",
        "related_agents=1",
        "attachments=maybe",
        "unknown=1",
        "verb=http://a.nl/x&verb=http://a.nl/y",
    ],
)
def test_invalid_query_parameters_are_400_naming_the_parameter(lrs, params):
    response = lrs.get(f"statements?{params}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["property"] and error["rule"]


# --- filters ---------------------------------------------------------------------------------


def test_no_filter_returns_newest_first_and_ascending_reverses(lrs):
    first, second, third = post(lrs), post(lrs), post(lrs)
    assert query(lrs) == [third, second, first]
    assert query(lrs, ascending="true") == [first, second, third]


def test_agent_filter_matches_actor_or_object_by_identifier(lrs):
    by_sanne = post(lrs, actor=SANNE)
    post(lrs, actor=JOOST)
    about_sanne = post(lrs, actor=COACH, object=SANNE)
    renamed = {"mbox": "mailto:sanne@example.nl", "name": "Another display name"}
    assert query(lrs, agent=renamed) == [about_sanne, by_sanne]
    assert query(lrs, agent=JOOST) != []


def test_agent_filter_is_broad_with_related_agents(lrs):
    direct = post(lrs, actor=SANNE)
    as_instructor = post(lrs, actor=JOOST, context={"instructor": SANNE})
    in_team = post(lrs, actor=JOOST, context={"team": {"objectType": "Group", "member": [SANNE]}})
    in_substatement = post(
        lrs,
        actor=JOOST,
        verb={"id": "http://adlnet.gov/expapi/verbs/commented"},
        object={"objectType": "SubStatement", "actor": SANNE, "verb": {"id": PASSED}, "object": activity(LESSON)},
    )
    unrelated = post(lrs, actor=JOOST)
    assert query(lrs, agent=SANNE) == [direct]
    related = query(lrs, agent=SANNE, related_agents="true")
    assert set(related) == {direct, as_instructor, in_team, in_substatement}
    assert unrelated not in related


def test_agent_filter_with_related_agents_matches_authority(lrs, lrs_credential):
    statement_id = post(lrs, actor=SANNE)
    authority = {"objectType": "Agent", "account": {"homePage": "http://localhost", "name": lrs_credential.key}}
    assert query(lrs, agent=authority) == []
    assert query(lrs, agent=authority, related_agents="true") == [statement_id]


def test_verb_filter(lrs):
    passed = post(lrs, verb={"id": PASSED})
    post(lrs, verb={"id": EXPERIENCED})
    assert query(lrs, verb=PASSED) == [passed]


def test_activity_filter_and_related_activities(lrs):
    direct = post(lrs, object=activity(LESSON))
    in_context = post(lrs, object=activity(LESSON + "/page"), context={"contextActivities": {"parent": [activity(LESSON)], "grouping": [activity(COURSE)]}})
    in_substatement = post(
        lrs,
        verb={"id": "http://adlnet.gov/expapi/verbs/planned"},
        object={"objectType": "SubStatement", "actor": SANNE, "verb": {"id": PASSED}, "object": activity(COURSE)},
    )
    assert query(lrs, activity=LESSON) == [direct]
    assert set(query(lrs, activity=LESSON, related_activities="true")) == {direct, in_context}
    assert query(lrs, activity=COURSE) == []
    assert set(query(lrs, activity=COURSE, related_activities="true")) == {in_context, in_substatement}


def test_registration_filter_ignores_case(lrs):
    registration = str(uuid.uuid4())
    mine = post(lrs, context={"registration": registration})
    post(lrs, context={"registration": str(uuid.uuid4())})
    post(lrs)
    assert query(lrs, registration=registration.upper()) == [mine]


def test_filters_combine_with_and(lrs):
    registration = str(uuid.uuid4())
    wanted = post(lrs, actor=SANNE, verb={"id": PASSED}, context={"registration": registration})
    post(lrs, actor=SANNE, verb={"id": EXPERIENCED}, context={"registration": registration})
    post(lrs, actor=JOOST, verb={"id": PASSED}, context={"registration": registration})
    assert query(lrs, agent=SANNE, verb=PASSED, registration=registration) == [wanted]


def test_since_is_exclusive_and_until_inclusive_on_stored(lrs):
    first = post(lrs)
    first_stored = lrs.get(f"statements?statementId={first}").get_json()["stored"]
    second = post(lrs)
    assert first not in query(lrs, since=first_stored)
    assert second in query(lrs, since=first_stored) or query(lrs, since=first_stored) == []
    assert first in query(lrs, until=first_stored)
    assert second not in query(lrs, until=first_stored) or lrs.get(f"statements?statementId={second}").get_json()["stored"] == first_stored


def test_since_and_until_use_stored_not_timestamp(lrs):
    statement_id = post(lrs, timestamp="2001-01-01T00:00:00Z")
    assert statement_id in query(lrs, since="2020-01-01T00:00:00Z")
    assert statement_id not in query(lrs, until="2020-01-01T00:00:00Z")


def test_statement_ref_targets_carry_their_filters(lrs):
    target = post(lrs, actor=SANNE, verb={"id": PASSED})
    referring = post(lrs, actor=COACH, verb={"id": "http://adlnet.gov/expapi/verbs/commented"}, object={"objectType": "StatementRef", "id": target})
    assert set(query(lrs, verb=PASSED)) == {target, referring}
    assert set(query(lrs, agent=SANNE)) == {target, referring}


# --- limit and more --------------------------------------------------------------------------


def test_limit_and_more_page_through_everything_once(lrs):
    posted = [post(lrs) for _ in range(7)]
    seen, url = [], "statements?limit=3"
    while url:
        body = lrs.get(url).get_json()
        seen += [s["id"] for s in body["statements"]]
        url = body["more"]
    assert seen == list(reversed(posted))


def test_more_is_stable_while_statements_arrive(lrs):
    older = [post(lrs) for _ in range(5)]
    first_page = lrs.get("statements?limit=2").get_json()
    newer = [post(lrs) for _ in range(3)]  # arrive while the client pages
    second_page = lrs.get(first_page["more"]).get_json()
    third_page = lrs.get(second_page["more"]).get_json()
    pages = [s["id"] for page in (first_page, second_page, third_page) for s in page["statements"]]
    assert pages == list(reversed(older))
    assert not set(newer) & set(pages)
    assert third_page["more"] == ""


def test_ascending_more_sees_statements_that_arrive_later_at_the_end(lrs):
    older = [post(lrs) for _ in range(3)]
    first_page = lrs.get("statements?limit=2&ascending=true").get_json()
    newer = post(lrs)
    rest = lrs.get(first_page["more"]).get_json()
    assert [s["id"] for s in first_page["statements"] + rest["statements"]] == older + [newer]


def test_more_keeps_the_original_filters(lrs):
    passed = [post(lrs, verb={"id": PASSED}) for _ in range(3)]
    post(lrs, verb={"id": EXPERIENCED})
    page = lrs.get(f"statements?verb={quote(PASSED)}&limit=2").get_json()
    rest = lrs.get(page["more"]).get_json()
    assert [s["id"] for s in page["statements"] + rest["statements"]] == list(reversed(passed))


def test_altered_more_token_is_400(lrs):
    [post(lrs) for _ in range(3)]
    more = lrs.get("statements?limit=1").get_json()["more"]
    response = lrs.get(more[:-3] + ("AAA" if not more.endswith("AAA") else "BBB"))
    assert response.status_code == 400


def test_more_cannot_cross_tenants(make_credential, lrs_client_for):
    first = lrs_client_for(make_credential(tenant_id=1))
    second = lrs_client_for(make_credential(tenant_id=2))
    [post(first) for _ in range(3)]
    more = first.get("statements?limit=1").get_json()["more"]
    assert second.get(more).status_code == 400


def test_limit_zero_means_the_server_maximum(app, lrs):
    app.config["XAPI_STATEMENT_LIMIT"] = 2
    [post(lrs) for _ in range(3)]
    body = lrs.get("statements?limit=0").get_json()
    assert len(body["statements"]) == 2 and body["more"]
    assert len(lrs.get("statements?limit=100").get_json()["statements"]) == 2


# --- formats ---------------------------------------------------------------------------------


def test_format_ids_keeps_only_identifiers(lrs):
    statement_id = post(
        lrs,
        actor=SANNE,
        verb={"id": PASSED, "display": {"en-US": "passed"}},
        object=activity(LESSON, name={"en-US": "Lesson"}),
        context={"team": {"objectType": "Group", "member": [JOOST]}},
    )
    statement = lrs.get(f"statements?statementId={statement_id}&format=ids").get_json()
    assert statement["actor"] == {"objectType": "Agent", "mbox": "mailto:sanne@example.nl"}
    assert statement["verb"] == {"id": PASSED}
    assert statement["object"] == {"objectType": "Activity", "id": LESSON}
    assert statement["context"]["team"] == {"objectType": "Group", "member": [{"objectType": "Agent", "account": JOOST["account"]}]}


def test_format_canonical_picks_one_language_by_accept_language(lrs):
    statement_id = post(
        lrs,
        verb={"id": PASSED, "display": {"en-US": "passed", "nl-NL": "geslaagd"}},
        object=activity(LESSON, name={"en-US": "Lesson", "nl-NL": "Les"}, description={"en-US": "About care"}),
    )
    dutch = lrs.get(f"statements?statementId={statement_id}&format=canonical", headers={"Accept-Language": "nl-NL, en;q=0.5"}).get_json()
    assert dutch["verb"]["display"] == {"nl-NL": "geslaagd"}
    assert dutch["object"]["definition"]["name"] == {"nl-NL": "Les"}
    assert dutch["object"]["definition"]["description"] == {"en-US": "About care"}
    english = lrs.get(f"statements?statementId={statement_id}&format=canonical", headers={"Accept-Language": "en-US"}).get_json()
    assert english["verb"]["display"] == {"en-US": "passed"}


def test_format_canonical_uses_the_lrs_definition_of_an_activity(lrs):
    first = post(lrs, object=activity(LESSON, name={"en-US": "Lesson"}))
    post(lrs, object=activity(LESSON, name={"nl-NL": "Les"}, description={"nl-NL": "Over zorg"}))
    statement = lrs.get(f"statements?statementId={first}&format=canonical", headers={"Accept-Language": "nl-NL"}).get_json()
    assert statement["object"]["definition"] == {"name": {"nl-NL": "Les"}, "description": {"nl-NL": "Over zorg"}}
    exact = lrs.get(f"statements?statementId={first}").get_json()
    assert exact["object"]["definition"] == {"name": {"en-US": "Lesson"}}


def test_definitions_are_not_merged_without_the_define_scope(make_credential, lrs_client_for, db):
    from sqlalchemy import func, select

    from xapi.models import Activity

    writer = lrs_client_for(make_credential(["statements/write", "statements/read"]))
    first = post(writer, object=activity(LESSON, name={"en-US": "Lesson"}))
    post(writer, object=activity(LESSON, name={"nl-NL": "Les"}))
    statement = writer.get(f"statements?statementId={first}&format=canonical").get_json()
    assert statement["object"]["definition"] == {"name": {"en-US": "Lesson"}}  # its own, not a merged one
    assert db.scalar(select(func.count()).select_from(Activity)) == 0


# --- headers and HEAD ------------------------------------------------------------------------


def test_statement_queries_carry_consistent_through(lrs):
    post(lrs)
    response = lrs.get("statements")
    header = response.headers["X-Experience-API-Consistent-Through"]
    assert header.endswith("Z")
    assert header >= response.get_json()["statements"][0]["stored"]


def test_head_answers_like_get_without_a_body(lrs):
    statement_id = post(lrs)
    response = lrs.head(f"statements?statementId={statement_id}")
    assert response.status_code == 200
    assert response.get_data() == b""
    assert "X-Experience-API-Consistent-Through" in response.headers
    assert lrs.head(f"statements?statementId={new_id()}").status_code == 404
    assert lrs.head("statements?verb=bad").status_code == 400


def test_definition_from_a_failed_request_is_stored_by_the_next_one(lrs):
    taken = post(lrs)
    defined = activity(COURSE, name={"nl-NL": "Zorgopleiding"})
    failed = lrs.post("statements", json_body=[make_statement(object=defined), make_statement(id=taken, result={"success": True})])
    assert failed.status_code == 409
    later = post(lrs, object=defined)
    statement = lrs.get(f"statements?statementId={later}&format=canonical").get_json()
    assert statement["object"]["definition"] == {"name": {"nl-NL": "Zorgopleiding"}}
    plain = post(lrs, object=activity(COURSE))
    assert lrs.get(f"statements?statementId={plain}&format=canonical").get_json()["object"]["definition"] == {"name": {"nl-NL": "Zorgopleiding"}}
