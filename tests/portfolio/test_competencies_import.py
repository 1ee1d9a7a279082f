"""Competency frameworks from CSV and JSON: the sample imports, every problem is named, nothing half-imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from lti_tool.competencies.frameworks import FrameworkFileError, parse_framework
from lti_tool.competencies.importer import import_framework_file
from lti_tool.competencies.models import Competency, CompetencyFramework

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "competencies"
HEADER = "kind,code,title,description,parent\n"
GOOD_CSV = HEADER + (
    "framework,,Samenwerken,,\n"
    "level,,Startend,,\n"
    "level,,Gevorderd,,\n"
    "competency,S1,Overleggen,,\n"
    "competency,S1.1,Afspraken maken,,S1\n"
)


def _counts(db) -> tuple[int, int]:
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(CompetencyFramework)),
        db.scalar(select(func.count()).select_from(Competency)),
    )


def _problems(filename: str, text: str) -> str:
    with pytest.raises(FrameworkFileError) as caught:
        parse_framework(filename, text.encode())
    return "\n".join(caught.value.problems)


@pytest.mark.parametrize("name", ["digitale-vaardigheden.csv", "digitale-vaardigheden.json"])
def test_the_sample_framework_imports_with_its_hierarchy(app, db, platform, name):
    from lti_tool.lti.models import Platform

    tenant = db.scalars(select(Platform)).one()
    with app.test_request_context():
        framework = import_framework_file(db, tenant.id, name, (EXAMPLES / name).read_bytes())
    db.commit()

    assert framework.name == "Digitale vaardigheden"
    assert framework.levels == ["Beginner", "Gevorderd", "Bekwaam", "Expert"]
    by_code = {c.code: c for c in framework.competencies}
    assert len(by_code) == 15
    assert by_code["DV-B3"].parent_id == by_code["DV-B"].id
    assert by_code["DV-B"].parent_id is None


def test_both_sample_files_describe_the_same_framework(app):
    with app.test_request_context():
        from_csv = parse_framework("x.csv", (EXAMPLES / "digitale-vaardigheden.csv").read_bytes())
        from_json = parse_framework("x.json", (EXAMPLES / "digitale-vaardigheden.json").read_bytes())

    def shape(data):
        return data.name, data.levels, [(c.code, c.title, c.parent) for c in data.competencies]

    assert shape(from_csv) == shape(from_json)


def test_semicolon_separated_csv_from_a_dutch_spreadsheet_is_read(app):
    with app.test_request_context():
        data = parse_framework("f.csv", GOOD_CSV.replace(",", ";").encode("utf-8-sig"))

    assert [c.code for c in data.competencies] == ["S1", "S1.1"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("kind,title\nframework,X\n", "missing the column(s) code"),
        (GOOD_CSV + "competency,S1,Nog eens,,\n", "Line 7: code S1 is already used at line 5"),
        (GOOD_CSV + "competency,S2,Kind,,S9\n", "Line 7: parent S9 is not a code in this file"),
        (GOOD_CSV + "groep,S3,X,,\n", "Line 7: unknown kind “groep”"),
        (GOOD_CSV + "competency,,Zonder code,,\n", "Line 7: the code is missing"),
        (GOOD_CSV + "competency,S4,,,\n", "Line 7: the title is missing"),
        (GOOD_CSV.replace("level,,Gevorderd,,\n", ""), "between 2 and 10 levels (found 1)"),
        (GOOD_CSV.replace("framework,,Samenwerken,,\n", ""), "exactly one row of kind framework (found 0)"),
        (HEADER + "framework,,F,,\nlevel,,a,,\nlevel,,b,,\ncompetency,A,A,,B\ncompetency,B,B,,A\n", "its own ancestor"),
        (HEADER + "framework,,F,,\nlevel,,a,,\nlevel,,a,,\ncompetency,A,A,,\n", "Level names must differ"),
    ],
)
def test_csv_problems_are_named_with_their_line(app, text, expected):
    with app.test_request_context():
        assert expected in _problems("f.csv", text)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("{not json", "Line 1, column 2"),
        ("[]", "must hold one object"),
        (json.dumps({"name": "F", "levels": "a,b", "competencies": []}), "levels: a list of level names"),
        (
            json.dumps({"name": "F", "levels": ["a", "b"], "competencies": [{"code": "A", "title": "A"}, {"code": "A", "title": "B"}]}),
            "Competencies[1]: code A is already used at competencies[0]",
        ),
        (
            json.dumps({"name": "F", "levels": ["a", "b"], "competencies": [{"code": "A", "title": "A", "parent": "Z"}]}),
            "parent Z is not a code in this file",
        ),
        (
            json.dumps({"name": "F", "levels": ["a", "b"], "competencies": [{"code": "A", "title": "A", "competencies": [{"title": "x"}]}]}),
            "Competencies[0].competencies[0]: the code is missing",
        ),
    ],
)
def test_json_problems_are_named_with_their_path(app, body, expected):
    with app.test_request_context():
        assert expected in _problems("f.json", body)


def test_a_file_that_is_not_utf8_is_refused_with_advice(app):
    with app.test_request_context():
        with pytest.raises(FrameworkFileError) as caught:
            parse_framework("f.csv", GOOD_CSV.replace("Afspraken", "Afspraków").encode("cp1250"))

    assert "Save it as UTF-8" in caught.value.problems[0]


def test_a_second_framework_with_the_same_name_is_refused_and_nothing_is_added(app, db, platform):
    from lti_tool.lti.models import Platform

    tenant = db.scalars(select(Platform)).one()
    with app.test_request_context():
        import_framework_file(db, tenant.id, "f.csv", GOOD_CSV.encode())
        db.commit()
        with pytest.raises(FrameworkFileError) as caught:
            import_framework_file(db, tenant.id, "f.csv", GOOD_CSV.replace("Overleggen", "Anders").encode())
    db.rollback()

    assert "already exists" in caught.value.problems[0]
    assert _counts(db) == (1, 2)


def test_the_same_name_may_exist_in_another_tenant(app, db, platform, other_platform):
    from lti_tool.lti.models import Platform

    tenants = db.scalars(select(Platform).order_by(Platform.id)).all()
    with app.test_request_context():
        for tenant in tenants:
            import_framework_file(db, tenant.id, "f.csv", GOOD_CSV.encode())
    db.commit()

    assert _counts(db) == (2, 4)


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, settings_overrides, app):
    for key, value in settings_overrides.items():
        monkeypatch.setenv("LEERPASPOORT_" + key.upper(), str(value))
    return CliRunner()


def test_the_command_imports_the_sample(cli_env, db, platform):
    from lti_tool.cli import main

    result = cli_env.invoke(main, ["competencies", "import", str(EXAMPLES / "digitale-vaardigheden.csv")])

    assert result.exit_code == 0, result.output
    assert "Imported 'Digitale vaardigheden' with 15 competencies and 4 levels" in result.output
    assert _counts(db) == (1, 15)


def test_the_command_lists_every_problem_and_imports_nothing(cli_env, db, platform, tmp_path):
    from lti_tool.cli import main

    broken = tmp_path / "broken.csv"
    broken.write_text(GOOD_CSV + "competency,S1,Dubbel,,\ncompetency,S2,Wees,,NOPE\n")

    result = cli_env.invoke(main, ["competencies", "import", str(broken)])

    assert result.exit_code == 1
    assert "the framework was not imported" in result.output
    assert "Line 7: code S1 is already used at line 5" in result.output
    assert "Line 8: parent NOPE is not a code in this file" in result.output
    assert _counts(db) == (0, 0)


def test_the_command_needs_a_tenant_when_there_are_several(cli_env, db, platform, other_platform):
    from lti_tool.cli import main

    sample = str(EXAMPLES / "digitale-vaardigheden.json")
    refused = cli_env.invoke(main, ["competencies", "import", sample])
    assert refused.exit_code == 1 and "--tenant" in refused.output
    assert _counts(db) == (0, 0)

    chosen = cli_env.invoke(main, ["competencies", "import", sample, "--tenant", other_platform.issuer])
    assert chosen.exit_code == 0, chosen.output
    from lti_tool.lti.models import Platform

    owner = db.scalars(select(CompetencyFramework.platform_id)).one()
    assert db.get(Platform, owner).issuer == other_platform.issuer
