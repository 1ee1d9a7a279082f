"""The L&D completion view and `leerpaspoort report completions`: modules × learners, from the database."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from lti_tool.people.models import Context, Membership, User
from tests.functional.test_module_launch import _launch, _parameters, _put, package, tenant  # noqa: F401

INSTRUCTOR = "launch-instructor-resource-link"


@pytest.fixture
def course(launcher, client, db, package):  # noqa: F811
    """Learner "4" passed the module; a second learner, known from the roster only, has not started."""
    params = _parameters(_launch(launcher, client, package.id))
    _put(client, params, "passed", {"success": True, "score": {"scaled": 0.67}})
    context = db.scalars(select(Context)).one()
    roster_only = User(platform_id=context.platform_id, sub="77", name="=HYPERLINK(\"http://evil\")", email="")
    db.add(roster_only)
    db.flush()
    db.add(Membership(user_id=roster_only.id, context_id=context.id, roles=["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"], source="nrps"))
    db.commit()
    return context


def _as_instructor(launcher):
    launcher.enter(INSTRUCTOR)


def test_instructors_see_every_learner_against_every_module(launcher, client, course):
    _as_instructor(launcher)
    page = client.get(f"/courses/{course.id}/completions").get_data(as_text=True)
    assert "Veilig werken op hoogte" in page
    assert "Passed" in page and "67%" in page
    assert "Not started" in page
    assert "HYPERLINK" in page  # shown as text, escaped by the template


def test_the_status_filter_narrows_the_rows(launcher, client, course):
    _as_instructor(launcher)
    page = client.get(f"/courses/{course.id}/completions?status=not_started").get_data(as_text=True)
    assert "Not started" in page and "67%" not in page
    assert client.get(f"/courses/{course.id}/completions?status=bogus").status_code == 404


def test_csv_export_has_one_row_per_learner_and_module_and_defuses_formulas(launcher, client, course):
    _as_instructor(launcher)
    response = client.get(f"/courses/{course.id}/completions.csv")
    assert response.mimetype == "text/csv"
    assert response.is_streamed  # a whole course is never built in memory
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_sub = {row["learner_sub"]: row for row in rows}
    assert set(by_sub) == {"4", "77"}
    assert (by_sub["4"]["status"], by_sub["4"]["score_scaled"]) == ("passed", "0.67")
    assert by_sub["4"]["completed_at"].startswith("20")
    assert by_sub["77"]["status"] == "not_started"
    assert by_sub["77"]["learner_name"].startswith("'=")


def test_learners_may_not_see_the_report(launcher, client, course):
    assert client.get(f"/courses/{course.id}/completions").status_code == 403
    assert client.get(f"/courses/{course.id}/completions.csv").status_code == 403


def test_anonymous_visitors_are_refused(app, course):
    assert app.test_client().get(f"/courses/{course.id}/completions").status_code == 401


def test_the_command_line_gives_the_same_rows_as_json(course, settings_overrides, monkeypatch):
    from lti_tool.cli import main

    for key in ("database_url", "base_url", "instance_path", "env"):
        monkeypatch.setenv(f"LEERPASPOORT_{key.upper()}", str(settings_overrides[key]))
    result = CliRunner().invoke(main, ["report", "completions", "--course", course.context_id, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert sorted((r["learner_sub"], r["status"]) for r in rows) == [("4", "passed"), ("77", "not_started")]
    assert set(rows[0]) == {
        "platform_issuer", "learner_sub", "learner_name", "course_id", "activity_id",
        "module_title", "status", "score_scaled", "completed_at",
    }
    unknown = CliRunner().invoke(main, ["report", "completions", "--course", "nope", "--format", "csv"])
    assert unknown.exit_code == 1 and "No course with context id nope" in unknown.output


def test_the_grade_sync_state_shows_next_to_the_result(launcher, client, db, course):
    from lti_tool.outbox.models import DELIVERED, OutboxMessage

    _as_instructor(launcher)
    page = client.get(f"/courses/{course.id}/completions").get_data(as_text=True)
    assert page.count("grade waiting to be sent") == 1  # only the learner with a result
    for message in db.scalars(select(OutboxMessage)):
        message.status = DELIVERED
    db.commit()
    assert "grade in the gradebook" in client.get(f"/courses/{course.id}/completions").get_data(as_text=True)


def test_the_course_view_links_to_the_completion_report(launcher, client, course):
    _as_instructor(launcher)
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert f'href="/courses/{course.id}/completions"' in page
