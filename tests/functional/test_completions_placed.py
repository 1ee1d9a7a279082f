"""The L&D view starts from what is placed in the course: every placed module is a column before
anyone opens it, every learner on the roster is "not started" until they do; learners are paged
and filtered by the database, and the CSV and `report completions` give the whole course."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from lti_tool.lti.deep_linking import PlacedItem
from lti_tool.modules.models import ModulePackage, ModuleUnit
from lti_tool.people.models import Context, Membership, User
from tests.functional.test_module_launch import _import, _launch, _parameters, _put, package, tenant  # noqa: F401
from tests.support.platform import TestPlatform

DEEP_LINKING = "launch-instructor-deep-linking-request"
INSTRUCTOR = "launch-instructor-resource-link"
LEARNER_ROLE = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]


def _place(launcher, client, package_id: int) -> None:
    """The instructor places the module through the real deep-linking picker."""
    page = launcher.enter(DEEP_LINKING)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    answer = client.post(page.request.path, data={"csrf_token": token, "item": f"module-{package_id}", "action": "place"})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def _roster(db, context: Context, count: int, prefix: str = "r") -> list[User]:
    people = [
        User(platform_id=context.platform_id, sub=f"{prefix}{n:03d}", given_name=f"Roster{n:03d}", family_name="Learner",
             name=f"Roster{n:03d} Learner", email=f"{prefix}{n:03d}@example.org")
        for n in range(count)
    ]
    db.add_all(people)
    db.flush()
    db.add_all(Membership(user_id=u.id, context_id=context.id, roles=LEARNER_ROLE, source="nrps") for u in people)
    db.commit()
    return people


@pytest.fixture
def placed_course(launcher, client, db, package):  # noqa: F811
    """The module is placed in the course; nobody has opened it; three learners are on the roster."""
    _place(launcher, client, package.id)
    context = db.scalars(select(Context)).one()
    _roster(db, context, 3)
    launcher.enter(INSTRUCTOR)
    return context


def _csv_rows(client, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_placed_item_remembers_which_module_it_is(db, placed_course, package):  # noqa: F811
    (item,) = db.scalars(select(PlacedItem)).all()
    assert (item.kind, item.custom, item.context_id) == ("module", {"leerpaspoort_module": str(package.id)}, placed_course.id)


def test_a_placed_module_is_a_column_before_anyone_opened_it(client, placed_course):
    page = client.get(f"/courses/{placed_course.id}/completions").get_data(as_text=True)
    assert "Veilig werken op hoogte" in page
    assert page.count('class="status status-not_started"') == 3
    assert "3 learners match" in page
    rows = _csv_rows(client, f"/courses/{placed_course.id}/completions.csv")
    assert sorted((r["learner_sub"], r["status"]) for r in rows) == [("r000", "not_started"), ("r001", "not_started"), ("r002", "not_started")]


def test_placing_and_launching_the_same_module_gives_one_column(launcher, client, db, placed_course, package):  # noqa: F811
    params = _parameters(_launch(launcher, client, package.id))
    _put(client, params, "passed", {"success": True, "score": {"scaled": 0.9}})
    launcher.enter(INSTRUCTOR)
    rows = _csv_rows(client, f"/courses/{placed_course.id}/completions.csv")
    assert len(rows) == 4  # three on the roster and the learner who launched, once each
    assert {r["learner_sub"]: r["status"] for r in rows}["4"] == "passed"


def test_a_module_placed_in_another_course_or_of_another_platform_is_no_column(app, client, db, placed_course, tenant):  # noqa: F811
    other_course = Context(platform_id=tenant.id, context_id="other-course", title="Other")
    db.add(other_course)
    db.flush()
    own_elsewhere = ModulePackage(platform_id=tenant.id, kind="tincan", course_activity_id="https://m.example/fire",
                                  title="Brandveiligheid", content_key="k" * 32, total_bytes=1, file_count=1)
    own_elsewhere.units = [ModuleUnit(activity_id="https://m.example/fire", lms_activity_id="https://m.example/fire",
                                      title="Brandveiligheid", url="index.html")]
    db.add(own_elsewhere)
    db.flush()
    with TestPlatform(issuer="https://other-moodle.example") as other:
        other.register_in(db)
    from lti_tool.lti.models import Platform

    foreign = db.scalars(select(Platform).where(Platform.issuer == "https://other-moodle.example")).one()
    foreign_package = _import(app, db, foreign.id)
    db.add_all([
        PlacedItem(public_id="a" * 32, platform_id=tenant.id, context_id=other_course.id, kind="module", title="x",
                   custom={"leerpaspoort_module": str(own_elsewhere.id)}),
        # A placed item naming another platform's package (forged or stale) shows nothing.
        PlacedItem(public_id="b" * 32, platform_id=tenant.id, context_id=placed_course.id, kind="module", title="y",
                   custom={"leerpaspoort_module": str(foreign_package.id)}),
    ])
    db.commit()
    rows = _csv_rows(client, f"/courses/{placed_course.id}/completions.csv")
    assert len(rows) == 3 and {r["activity_id"] for r in rows} == {"https://leerpaspoort.example/modules/veilig-werken-op-hoogte"}


def test_learners_are_paged_and_every_page_shows_every_module(client, db, placed_course):
    _roster(db, placed_course, 52, prefix="p")  # 55 learners in all
    first = client.get(f"/courses/{placed_course.id}/completions").get_data(as_text=True)
    assert "55 learners match" in first and "page 1 of 2" in first
    assert first.count('class="status status-') == 50  # one module: one cell per learner
    assert 'rel="next"' in first
    second = client.get(f"/courses/{placed_course.id}/completions?page=2").get_data(as_text=True)
    assert second.count('class="status status-') == 5 and 'rel="prev"' in second
    assert set(re.findall(r"Roster\d+", first)).isdisjoint(re.findall(r"Roster\d+", second))
    assert client.get(f"/courses/{placed_course.id}/completions?page=abc").status_code == 200
    assert len(_csv_rows(client, f"/courses/{placed_course.id}/completions.csv")) == 55  # the CSV has everyone


def test_search_module_and_status_filters_choose_the_learners(launcher, client, db, placed_course, package):  # noqa: F811
    params = _parameters(_launch(launcher, client, package.id))
    _put(client, params, "failed", {"success": False, "score": {"scaled": 0.2}})
    launcher.enter(INSTRUCTOR)
    base = f"/courses/{placed_course.id}/completions"
    activity = "https://leerpaspoort.example/modules/veilig-werken-op-hoogte"
    searched = client.get(f"{base}?q=roster001").get_data(as_text=True)
    assert "1 learner matches" in searched and "Roster001" in searched
    failed = client.get(base, query_string={"module": activity, "status": "failed"}).get_data(as_text=True)
    assert "1 learner matches" in failed and "20%" in failed and "Roster" not in failed
    waiting = client.get(base, query_string={"module": activity, "status": "not_started"}).get_data(as_text=True)
    assert "3 learners match" in waiting and "20%" not in waiting
    assert "No learner matches the filter." in client.get(f"{base}?q=%25nobody").get_data(as_text=True)
    assert client.get(base, query_string={"module": "https://elsewhere.example/x"}).status_code == 404
    rows = _csv_rows(client, f"/courses/{placed_course.id}/completions.csv?status=failed")
    assert [r["learner_sub"] for r in rows] == ["4"]


def test_a_learner_search_ignores_case_beyond_a_to_z(client, db, placed_course):
    omer = User(platform_id=placed_course.platform_id, sub="oz1", given_name="Ömer", family_name="Özdemir",
                name="Ömer Özdemir", email="o.ozdemir@example.org")
    db.add(omer)
    db.flush()
    db.add(Membership(user_id=omer.id, context_id=placed_course.id, roles=LEARNER_ROLE, source="nrps"))
    db.commit()
    for term in ("özdemir", "ÖZDEMIR", "ömer öz"):
        page = client.get(f"/courses/{placed_course.id}/completions", query_string={"q": term}).get_data(as_text=True)
        assert "1 learner matches" in page and "Özdemir" in page, term


def test_the_command_line_lists_placed_modules_nobody_started(placed_course, settings_overrides, monkeypatch):
    from lti_tool.cli import main

    for key in ("database_url", "base_url", "instance_path", "env"):
        monkeypatch.setenv(f"LEERPASPOORT_{key.upper()}", str(settings_overrides[key]))
    result = CliRunner().invoke(main, ["report", "completions", "--course", placed_course.context_id, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert sorted((r["learner_sub"], r["status"]) for r in json.loads(result.output)) == [
        ("r000", "not_started"), ("r001", "not_started"), ("r002", "not_started"),
    ]


def test_the_summary_counts_every_learner_of_the_course_per_module(launcher, client, db, placed_course, package):  # noqa: F811
    from tests.functional.test_module_launch import LINKED, _module_link

    params = _parameters(_launch(launcher, client, package.id))
    _put(client, params, "passed", {"success": True, "score": {"scaled": 0.9}})

    def second_learner(claims):
        claims = _module_link(package.id)(claims)
        claims["sub"] = "5"
        return claims

    launcher.enter(LINKED, second_learner)  # opened the module, reported nothing yet
    launcher.enter(INSTRUCTOR)
    page = client.get(f"/courses/{placed_course.id}/completions/summary").get_data(as_text=True)
    row = page.split('data-activity="https://leerpaspoort.example/modules/veilig-werken-op-hoogte"', 1)[1].split("</tr>", 1)[0]
    numbers = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td>(.*?)</td>", row)]
    # not started, in progress, completed, passed, failed
    assert numbers == ["3", "1", "0", "1", "0"]
    assert f'href="/courses/{placed_course.id}/completions/summary"' in client.get(f"/courses/{placed_course.id}/completions").get_data(as_text=True)
    launcher.enter(LINKED, second_learner)
    assert client.get(f"/courses/{placed_course.id}/completions/summary").status_code == 403
