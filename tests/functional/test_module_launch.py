"""A Tin Can module placed in a course: launch, statements with the module's own credential,
formal evidence, and the grade queued for the course's line item."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from lti_tool.lti.claims import CUSTOM
from lti_tool.lti.models import Platform
from lti_tool.modules.models import ModulePackage, ModuleRegistration
from lti_tool.outbox.models import OutboxMessage
from lti_tool.portfolio.models import Evidence
from tests.support.examples import example_package, install_package
from tests.support.platform import TestPlatform

LINKED = "launch-learner-deep-linked-link"
ACTIVITY = "https://leerpaspoort.example/modules/veilig-werken-op-hoogte"
LINE_ITEM = "http://127.0.0.1:8080/mod/lti/services.php/2/lineitems/7/lineitem?type_id=3"


def _import(app, db, platform_id: int) -> ModulePackage:
    instance = app.extensions["leerpaspoort.settings"].instance_path
    return install_package(db, instance, platform_id, example_package("tincan-module"))


@pytest.fixture
def tenant(db, platform) -> Platform:
    return db.scalars(select(Platform).where(Platform.issuer == platform.issuer)).one()


@pytest.fixture
def package(app, db, tenant) -> ModulePackage:
    return _import(app, db, tenant.id)


def _module_link(package_id: int):
    def mutate(claims):
        claims[CUSTOM] = {"leerpaspoort_kind": "module", "leerpaspoort_module": str(package_id)}
        return claims

    return mutate


def _launch(launcher, client, package_id: int):
    """A learner opens the module link; returns the response of /modules/launch/<id>."""
    landing = launcher.launch(LINKED, _module_link(package_id))
    assert landing.status_code == 302
    page = client.get(landing.headers["Location"]).get_data(as_text=True)
    next_path = page.split('data-next="', 1)[1].split('"', 1)[0]
    assert next_path.startswith("/modules/launch/")
    return client.get(next_path)


def _parameters(response) -> dict[str, str]:
    assert response.status_code == 303
    url = urlsplit(response.headers["Location"])
    return {key: values[0] for key, values in parse_qs(url.query).items()} | {"path": url.path}


def _put(client, params, verb: str, result=None):
    statement = {
        "actor": json.loads(params["actor"]),
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": params["activity_id"]},
        "context": {"registration": params["registration"]},
    }
    if result:
        statement["result"] = result
    statement_id = str(uuid.uuid4())
    return client.put(
        f"/xapi/statements?statementId={statement_id}",
        data=json.dumps(statement),
        headers={"Authorization": params["auth"], "X-Experience-API-Version": "1.0.2"},
        content_type="application/json",
    ), statement_id


def test_the_launch_passes_the_tin_can_parameters(launcher, client, platform, package):
    params = _parameters(_launch(launcher, client, package.id))
    assert params["path"] == f"/modules/content/{package.content_key}/index.html"
    assert params["endpoint"] == "http://localhost/xapi/"
    assert params["activity_id"] == ACTIVITY
    assert json.loads(params["actor"])["account"] == {"homePage": platform.issuer, "name": "4"}
    assert params["auth"].startswith("Basic ")
    uuid.UUID(params["registration"])


def test_the_module_reports_and_the_outcome_becomes_evidence_and_a_queued_grade(launcher, client, db, package):
    params = _parameters(_launch(launcher, client, package.id))
    for verb, result in [
        ("experienced", None),
        ("completed", {"completion": True, "duration": "PT4M"}),
        ("passed", {"success": True, "score": {"scaled": 0.67, "raw": 2, "min": 0, "max": 3}}),
    ]:
        response, _ = _put(client, params, verb, result)
        assert response.status_code == 204, response.get_data(as_text=True)
    db.expire_all()
    evidence = db.scalars(select(Evidence).where(Evidence.source == "xapi")).one()
    assert (evidence.title, evidence.outcome["status"], evidence.outcome["score_scaled"]) == (
        "Veilig werken op hoogte", "passed", 0.67,
    )
    scores = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.payload["scoreGiven"] for m in scores] == [100.0, 67.0]  # completed first, then the score
    assert {m.target_url for m in scores} == {LINE_ITEM.replace("/lineitem?", "/lineitem/scores?")}
    assert scores[-1].payload["userId"] == "4"
    assert scores[-1].payload["gradingProgress"] == "FullyGraded"


def test_a_second_launch_keeps_the_registration_so_the_module_can_resume(launcher, client, db, package):
    first = _parameters(_launch(launcher, client, package.id))
    second = _parameters(_launch(launcher, client, package.id))
    assert first["registration"] == second["registration"]
    assert first["auth"] != second["auth"]
    assert len(db.scalars(select(ModuleRegistration)).all()) == 1


def test_the_module_credential_cannot_void_or_write_for_someone_else(launcher, client, package):
    params = _parameters(_launch(launcher, client, package.id))
    response, statement_id = _put(client, params, "completed", {"completion": True})
    assert response.status_code == 204
    void = {
        "actor": json.loads(params["actor"]),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": statement_id},
    }
    headers = {"Authorization": params["auth"], "X-Experience-API-Version": "1.0.3"}
    assert client.post("/xapi/statements", data=json.dumps(void), headers=headers, content_type="application/json").status_code == 403
    other = dict(params, actor=json.dumps({"mbox": "mailto:someone.else@example.org"}))
    assert _put(client, other, "completed")[0].status_code == 403


def test_a_link_to_a_module_of_another_platform_is_not_found(app, launcher, client, db):
    with TestPlatform(issuer="https://other-moodle.example") as other:
        other.register_in(db)
    foreign = db.scalars(select(Platform).where(Platform.issuer == "https://other-moodle.example")).one()
    foreign_package = _import(app, db, foreign.id)
    assert _launch(launcher, client, foreign_package.id).status_code == 404


def test_someone_elses_link_id_is_not_found(launcher, client, db, package):
    _launch(launcher, client, package.id)
    assert client.get("/modules/launch/999999").status_code == 404


def test_the_deep_linking_picker_offers_the_module_with_a_gradebook_column(db, tenant, package):
    from lti_tool.lti.deep_linking import DeepLinkRequest, offers_for

    request = DeepLinkRequest(
        launch_id="x", platform=tenant, user_id=0, deployment_id="1", return_url="https://lms.example/return",
        accept_types=["ltiResourceLink"], accept_multiple=True, presentations=["iframe"], has_data=False,
        data=None, context_id=None,
    )
    (offer,) = [o for o in offers_for(db, request) if o.kind == "module"]
    assert (offer.title, offer.score_maximum, offer.custom) == ("Veilig werken op hoogte", 100, {"leerpaspoort_module": str(package.id)})
