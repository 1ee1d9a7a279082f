"""The example modules in examples/ are real packages: they import cleanly and their scripts parse."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from lti_tool.modules.models import ModulePackage, ModuleUnit
from tests.support.examples import EXAMPLES, example_package



@pytest.fixture
def cli_environment(settings_overrides, monkeypatch):
    for key in ("database_url", "base_url", "instance_path", "env"):
        monkeypatch.setenv(f"LEERPASPOORT_{key.upper()}", str(settings_overrides[key]))


def _import(tmp_path: Path, name: str):
    from lti_tool.cli import main

    archive = tmp_path / f"{name}.zip"
    archive.write_bytes(example_package(name))
    return CliRunner().invoke(main, ["modules", "import", str(archive)])


def test_the_tincan_example_imports_with_its_launch_file(app, db, platform, cli_environment, tmp_path):
    result = _import(tmp_path, "tincan-module")
    assert result.exit_code == 0, result.output
    package = db.scalars(select(ModulePackage)).one()
    assert package.kind == "tincan"
    unit = db.scalars(select(ModuleUnit)).one()
    assert unit.activity_id == "https://leerpaspoort.example/modules/veilig-werken-op-hoogte"
    assert unit.url == "index.html"


def test_the_cmi5_example_has_a_completed_and_a_passed_unit(app, db, platform, cli_environment, tmp_path):
    result = _import(tmp_path, "cmi5-course")
    assert result.exit_code == 0, result.output
    units = db.scalars(select(ModuleUnit).order_by(ModuleUnit.position)).all()
    assert [(u.move_on, u.mastery_score) for u in units] == [("Completed", None), ("Passed", 0.8)]
    assert units[1].launch_parameters == '{"questions":5}'


@pytest.mark.parametrize("name", ["tincan-module", "cmi5-course"])
def test_every_page_of_an_example_finds_its_scripts_and_styles(name):
    import io
    import re
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(example_package(name)))
    names = set(archive.namelist())
    pages = [n for n in names if n.endswith(".html")]
    assert pages
    for page in pages:
        html = archive.read(page).decode()
        assert "http://" not in html and "https://" not in html, f"{page} loads something from outside the package"
        for reference in re.findall(r'(?:src|href)="([^"]+)"', html):
            resolved = (Path("/") / Path(page).parent / reference).resolve().as_posix().lstrip("/")
            assert resolved in names, f"{page} refers to {reference}, which is not in the package"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("script", sorted(p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.js")))
def test_example_scripts_are_valid_javascript(script):
    result = subprocess.run(["node", "--check", str(EXAMPLES / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_serve_puts_the_examples_in_the_demo_library_once(app, db, settings_overrides):
    from lti_tool.demo.services import ensure_demo_platform
    from lti_tool.modules.examples import ensure_example_modules

    settings = app.extensions["leerpaspoort.settings"]
    demo = ensure_demo_platform(db, settings)
    db.commit()
    assert ensure_example_modules(db, settings, demo.platform_id) == 2
    assert ensure_example_modules(db, settings, demo.platform_id) == 0
    kinds = sorted(db.scalars(select(ModulePackage.kind).where(ModulePackage.platform_id == demo.platform_id)))
    assert kinds == ["cmi5", "tincan"]
