"""Rules every /xapi request shares: version header and negotiation, CORS, HEAD, caching, errors."""

from __future__ import annotations

import json

import pytest

from xapi.protocol import negotiate_version

ACTIVITY = "https://leerpaspoort.example/activities/module-1"
LEARNER = {"mbox": "mailto:learner@example.nl"}
STATE_QUERY = {"activityId": ACTIVITY, "agent": json.dumps(LEARNER), "stateId": "bookmark"}
ORIGIN = "https://content.example.org"


# --- version negotiation (Communication 3.3) ------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "answer"),
    [
        ("1.0", "1.0.3"),
        ("1.0.0", "1.0.3"),
        ("1.0.1", "1.0.3"),
        ("1.0.2", "1.0.3"),
        ("1.0.3", "1.0.3"),
        ("1.0.9", "1.0.3"),
        (" 1.0.3 ", "1.0.3"),
        ("2.0", "2.0.0"),
        ("2.0.0", "2.0.0"),
        ("0.9", None),
        ("0.95", None),
        ("1.1.0", None),
        ("1.0.x", None),
        ("2.1.0", None),
        ("3.0.0", None),
        ("", None),
        ("latest", None),
    ],
)
def test_version_negotiation(header, answer):
    assert negotiate_version(header) == answer


@pytest.mark.parametrize("version", ["1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3"])
def test_every_1_0_x_version_is_accepted_and_answered_with_1_0_3(lrs, version):
    response = lrs.as_version(version).get("activities/state", query_string={"activityId": ACTIVITY, "agent": json.dumps(LEARNER)})
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_a_2_0_client_is_answered_in_2_0_0(lrs):
    response = lrs.as_version("2.0.0").get("activities/profile", query_string={"activityId": ACTIVITY})
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


@pytest.mark.parametrize("path", ["statements", "activities/state", "activities/profile", "agents/profile", "agents", "activities"])
def test_request_without_version_header_is_400_on_every_resource_but_about(lrs, path):
    response = lrs.as_version(None).get(path)
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.json["error"]["message"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_missing_version_is_refused_before_authentication(lrs):
    response = lrs.without_auth().as_version(None).put("activities/state", query_string=STATE_QUERY, json_body={})
    assert response.status_code == 400


@pytest.mark.parametrize("version", ["0.9", "0.95", "1.1.0", "2.1.0", "banana"])
def test_unsupported_version_header_is_400_and_changes_nothing(lrs, version):
    response = lrs.as_version(version).put("activities/state", query_string=STATE_QUERY, json_body={"a": 1})
    assert response.status_code == 400
    assert version in response.json["error"]["message"]
    assert lrs.get("activities/state", query_string=STATE_QUERY).status_code == 404


def test_version_2_requires_a_time_zone_in_since(lrs):
    query = {"activityId": ACTIVITY, "since": "2024-05-01T12:00:00"}
    assert lrs.as_version("1.0.3").get("activities/profile", query_string=query).status_code == 200
    response = lrs.as_version("2.0.0").get("activities/profile", query_string=query)
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == "since"


# --- headers on every response, errors included -------------------------------------------------


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_routing_404_carries_json_and_the_negotiated_version(lrs, version):
    response = lrs.as_version(version).get("no/such/resource")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.json["error"]["code"] == 404
    assert response.headers["X-Experience-API-Version"] == version


def test_routing_405_carries_json_allow_and_the_version(lrs):
    response = lrs.delete("about")
    assert response.status_code == 405
    assert response.json["error"]["code"] == 405
    assert "GET" in response.headers["Allow"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_errors_from_views_carry_the_negotiated_version(lrs):
    response = lrs.as_version("2.0.0").get("activities/state", query_string={"activityId": "not an iri"})
    assert response.status_code == 400
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


def test_xapi_responses_are_not_cached_and_carry_no_html_security_policy(lrs):
    response = lrs.get("activities/profile", query_string={"activityId": ACTIVITY})
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" not in response.headers
    assert "Set-Cookie" not in response.headers


def test_unexpected_exception_is_a_json_500_with_the_version(app, lrs, monkeypatch):
    from xapi import documents

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(documents, "list_document_ids", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = lrs.get("activities/profile", query_string={"activityId": ACTIVITY})
    assert response.status_code == 500
    assert response.json["error"]["code"] == 500
    assert "boom" not in response.get_data(as_text=True)
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


# --- HEAD (Communication 1.1) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("about", {}),
        ("activities", {"activityId": ACTIVITY}),
        ("agents", {"agent": json.dumps(LEARNER)}),
        ("activities/profile", {"activityId": ACTIVITY}),
        ("agents/profile", {"agent": json.dumps(LEARNER)}),
        ("activities/state", {"activityId": ACTIVITY, "agent": json.dumps(LEARNER)}),
    ],
)
def test_head_is_answered_like_get_without_a_body(lrs, path, query):
    get = lrs.get(path, query_string=query)
    head = lrs.head(path, query_string=query)
    assert head.status_code == get.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["X-Experience-API-Version"] == get.headers["X-Experience-API-Version"]


# --- CORS (Communication Appendix C) -------------------------------------------------------------


@pytest.mark.parametrize("path", ["statements", "activities/state", "agents/profile", "about", "no/such/thing"])
def test_preflight_from_a_browser_origin_is_answered_without_credentials(client, path):
    response = client.options(
        f"/xapi/{path}?stateId=x",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type, x-experience-api-version, if-match",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    allowed_headers = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-experience-api-version", "if-match", "if-none-match"} <= allowed_headers
    allowed_methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "PUT", "POST", "DELETE", "HEAD"} <= allowed_methods
    assert "Origin" in response.headers["Vary"]


def test_cross_origin_responses_expose_the_xapi_headers(lrs):
    lrs.put("activities/state", query_string=STATE_QUERY, json_body={"a": 1})
    response = lrs.get("activities/state", query_string=STATE_QUERY, headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip().lower() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "last-modified", "x-experience-api-version", "x-experience-api-consistent-through"} <= exposed


def test_cross_origin_errors_are_readable_by_the_browser(lrs):
    response = lrs.without_auth().get("activities/state", query_string=STATE_QUERY, headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_same_origin_requests_get_no_cors_headers(lrs):
    response = lrs.get("about")
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_headers_stay_off_the_rest_of_the_application(client):
    response = client.get("/", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "X-Experience-API-Version" not in response.headers
