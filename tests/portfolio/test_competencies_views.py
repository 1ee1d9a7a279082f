"""Competency pages: the administrators' upload, the learner's overview and levels, the one-page summary."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lti_tool.competencies.models import Competency, CompetencyFramework, EvidenceCompetency, SelfAssessment
from lti_tool.portfolio.models import Evidence
from tests.portfolio.conftest import launch_person

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "competencies"
ADMIN_LAUNCH = "launch-site-admin-resource-link"


@pytest.fixture
def admin(app, db, platform):
    return launch_person(app, db, platform, ADMIN_LAUNCH)


@pytest.fixture
def framework(app, db, platform):
    from lti_tool.competencies.importer import import_framework_file
    from lti_tool.lti.models import Platform

    tenant = db.scalars(select(Platform).where(Platform.issuer == platform.issuer)).one()
    with app.test_request_context():
        imported = import_framework_file(
            db, tenant.id, "dv.csv", (EXAMPLES / "digitale-vaardigheden.csv").read_bytes()
        )
    db.commit()
    return imported


def _code(db, framework, code: str) -> Competency:
    return db.scalars(select(Competency).where(Competency.framework_id == framework.id, Competency.code == code)).one()


def _upload(person, name: str, content: bytes):
    return person.post(
        "/competencies/admin",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _evidence(db, person, title: str, kind: str = "informal", **values) -> Evidence:
    item = Evidence(
        portfolio_id=person.portfolio_id, platform_id=person.platform_id, kind=kind,
        type=values.pop("type", "note"), title=title, occurred_on=date(2026, 9, 1), **values,
    )
    db.add(item)
    db.commit()
    return item


# --- administrators ------------------------------------------------------------------------------


def test_an_administrator_uploads_the_sample_framework(admin, db):
    response = _upload(admin, "digitale-vaardigheden.json", (EXAMPLES / "digitale-vaardigheden.json").read_bytes())

    assert response.status_code == 302
    page = admin.get("/competencies/admin").get_data(as_text=True)
    assert "Imported “Digitale vaardigheden” with 15 competencies." in page
    assert "Beginner, Gevorderd, Bekwaam, Expert" in page
    assert db.scalar(select(func.count()).select_from(Competency)) == 15


def test_a_broken_upload_lists_its_problems_and_stores_nothing(admin, db):
    broken = b"kind,code,title,parent\nframework,,F,\nlevel,,a,\nlevel,,b,\ncompetency,A,A,\ncompetency,A,B,\ncompetency,C,C,Z\n"

    response = _upload(admin, "broken.csv", broken)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The framework was not imported" in page
    assert "Line 6: code A is already used at line 5." in page
    assert "Line 7: parent Z is not a code in this file." in page
    assert db.scalar(select(func.count()).select_from(CompetencyFramework)) == 0


def test_an_upload_without_a_file_is_refused(admin, db):
    response = admin.post("/competencies/admin", {}, content_type="multipart/form-data")

    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(CompetencyFramework)) == 0


def test_an_upload_without_csrf_token_is_refused(admin, db):
    response = admin.client.post(
        "/competencies/admin",
        data={"file": (io.BytesIO((EXAMPLES / "digitale-vaardigheden.csv").read_bytes()), "dv.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(CompetencyFramework)) == 0


@pytest.mark.parametrize("who", ["learner", "instructor", "anonymous"])
def test_only_administrators_manage_frameworks(request, db, who):
    person = request.getfixturevalue(who)
    sample = (EXAMPLES / "digitale-vaardigheden.csv").read_bytes()
    if who == "anonymous":
        assert person.get("/competencies/admin").status_code == 401
    else:
        assert person.get("/competencies/admin").status_code == 403
        assert _upload(person, "dv.csv", sample).status_code == 403
    assert db.scalar(select(func.count()).select_from(CompetencyFramework)) == 0


def test_an_administrator_of_another_tenant_sees_and_changes_only_their_own(framework, app, db, other_platform):
    foreign_admin = launch_person(app, db, other_platform, ADMIN_LAUNCH)

    page = foreign_admin.get("/competencies/admin").get_data(as_text=True)

    assert "Digitale vaardigheden" not in page
    assert _upload(foreign_admin, "dv.csv", (EXAMPLES / "digitale-vaardigheden.csv").read_bytes()).status_code == 302
    owners = db.scalars(select(CompetencyFramework.platform_id).order_by(CompetencyFramework.id)).all()
    assert owners == [framework.platform_id, foreign_admin.platform_id]


# --- learners -----------------------------------------------------------------------------------


def test_the_overview_shows_each_competency_with_level_and_linked_evidence(learner, framework, db):
    item = _evidence(db, learner, "Zoekopdracht bibliotheek")
    db.add(EvidenceCompetency(evidence_id=item.id, competency_id=_code(db, framework, "DV-A1").id))
    db.add(SelfAssessment(portfolio_id=learner.portfolio_id, competency_id=_code(db, framework, "DV-A2").id, level=3))
    db.commit()

    page = learner.get("/competencies/").get_data(as_text=True)

    assert "Digitale vaardigheden" in page and "Zoeken en filteren" in page
    assert "Zoekopdracht bibliotheek" in page
    level_select = page.split(f'name="level-{_code(db, framework, "DV-A2").id}"', 1)[1].split("</select>", 1)[0]
    assert 'value="3" selected' in level_select
    assert "You assessed 1 of 15 competencies." in page


def test_saving_levels_sets_changes_and_clears(learner, framework, db):
    a1, a2 = _code(db, framework, "DV-A1"), _code(db, framework, "DV-A2")
    learner.post(f"/competencies/frameworks/{framework.id}/levels", {f"level-{a1.id}": "2", f"level-{a2.id}": "4"})

    response = learner.post(f"/competencies/frameworks/{framework.id}/levels", {f"level-{a1.id}": "", f"level-{a2.id}": "1"})

    assert response.status_code == 302
    db.expire_all()
    rows = dict(db.execute(select(SelfAssessment.competency_id, SelfAssessment.level)).all())
    assert rows == {a2.id: 1}


@pytest.mark.parametrize("value", ["5", "0", "x", "-1"])
def test_a_level_outside_the_scale_changes_nothing(learner, framework, db, value):
    a1, a2 = _code(db, framework, "DV-A1"), _code(db, framework, "DV-A2")

    response = learner.post(f"/competencies/frameworks/{framework.id}/levels", {f"level-{a1.id}": "2", f"level-{a2.id}": value})

    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(SelfAssessment)) == 0


def test_a_competency_of_another_framework_or_tenant_is_refused(learner, framework, app, db, other_platform):
    from lti_tool.competencies.importer import import_framework_file
    from lti_tool.lti.models import Platform

    other = db.scalars(select(Platform).where(Platform.issuer == other_platform.issuer)).one()
    with app.test_request_context():
        foreign = import_framework_file(db, other.id, "dv.json", (EXAMPLES / "digitale-vaardigheden.json").read_bytes())
    db.commit()
    foreign_competency = foreign.competencies[0].id

    mixed = learner.post(f"/competencies/frameworks/{framework.id}/levels", {f"level-{foreign_competency}": "2"})
    foreign_framework = learner.post(f"/competencies/frameworks/{foreign.id}/levels", {f"level-{foreign_competency}": "2"})

    assert mixed.status_code == 400
    assert foreign_framework.status_code == 404
    assert db.scalar(select(func.count()).select_from(SelfAssessment)) == 0


def test_levels_without_csrf_token_are_refused(learner, framework, db):
    competency = _code(db, framework, "DV-A1")

    response = learner.client.post(f"/competencies/frameworks/{framework.id}/levels", data={f"level-{competency.id}": "2"})

    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(SelfAssessment)) == 0


def test_the_overview_shows_only_the_own_levels_and_evidence(learner, second_learner, framework, db):
    item = _evidence(db, learner, "Geheim bewijs")
    db.add(EvidenceCompetency(evidence_id=item.id, competency_id=_code(db, framework, "DV-A1").id))
    db.add(SelfAssessment(portfolio_id=learner.portfolio_id, competency_id=_code(db, framework, "DV-A2").id, level=3))
    db.commit()

    page = second_learner.get("/competencies/").get_data(as_text=True)

    main = page.split('<main id="main"', 1)[1]
    assert "Geheim bewijs" not in main and " selected" not in main
    assert "Geheim bewijs" not in second_learner.get("/competencies/summary").get_data(as_text=True)


def test_a_learner_of_another_tenant_does_not_see_this_tenants_frameworks(framework, foreign_learner):
    page = foreign_learner.get("/competencies/").get_data(as_text=True)

    assert "Digitale vaardigheden" not in page
    assert "No competency framework has been set up" in page
    assert foreign_learner.post(f"/competencies/frameworks/{framework.id}/levels", {}).status_code == 404


@pytest.mark.parametrize("path", ["/competencies/", "/competencies/summary"])
def test_anonymous_visitors_get_no_competency_page(anonymous, path):
    assert anonymous.get(path).status_code == 401


def test_the_summary_lists_qualifications_experience_and_competencies_without_navigation(learner, framework, db):
    _evidence(db, learner, "Diploma mbo-4 Verzorgende", kind="formal", type="diploma", issuer="ROC Midden")
    informal = _evidence(db, learner, "Vrijwilliger bij de voedselbank")
    _evidence(db, learner, "Weggegooid", deleted_at=datetime(2026, 10, 1, tzinfo=timezone.utc))
    db.add(EvidenceCompetency(evidence_id=informal.id, competency_id=_code(db, framework, "DV-B1").id))
    db.add(SelfAssessment(portfolio_id=learner.portfolio_id, competency_id=_code(db, framework, "DV-C2").id, level=2))
    db.commit()

    response = learner.get("/competencies/summary")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    formal, rest = page.split("Formal qualifications", 1)[1].split("Informal experience", 1)
    informal_part, competencies = rest.split("<h2>Competencies</h2>", 1)
    assert "Diploma mbo-4 Verzorgende" in formal and "ROC Midden" in formal
    assert "Vrijwilliger bij de voedselbank" in informal_part and "Diploma" not in informal_part
    assert "DV-B1 Online communiceren" in competencies and "Gevorderd" in competencies
    assert "DV-A1" not in competencies
    assert "Weggegooid" not in page
    assert 'class="mainnav"' not in page and "reflections.css" in page


def test_the_print_stylesheet_fits_the_summary_on_a_page(app):
    css = (Path(app.static_folder) / "css" / "reflections.css").read_text()

    assert "@page" in css and "@media print" in css


def test_linking_evidence_to_competencies_keeps_to_the_own_tenant(learner, framework, app, db, other_platform):
    from lti_tool.competencies.importer import import_framework_file
    from lti_tool.competencies.services import SelfAssessmentError, link_evidence
    from lti_tool.lti.models import Platform
    from lti_tool.people.models import User

    user = db.get(User, learner.user_id)
    item = _evidence(db, learner, "Presentatie")
    a1, a2 = _code(db, framework, "DV-A1"), _code(db, framework, "DV-A2")
    other = db.scalars(select(Platform).where(Platform.issuer == other_platform.issuer)).one()
    with app.test_request_context():
        foreign = import_framework_file(db, other.id, "dv.json", (EXAMPLES / "digitale-vaardigheden.json").read_bytes())
        link_evidence(db, user, item, [a1.id, a2.id])
        link_evidence(db, user, item, [a2.id])
        with pytest.raises(SelfAssessmentError):
            link_evidence(db, user, item, [a2.id, foreign.competencies[0].id])
    db.commit()

    assert db.scalars(select(EvidenceCompetency.competency_id)).all() == [a2.id]
