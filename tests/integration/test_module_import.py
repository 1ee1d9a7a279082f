"""Importing a package records it and unpacks it, or leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from lti_tool.modules.archive import PackageError
from lti_tool.modules.models import ModulePackage, ModuleUnit
from lti_tool.modules.services import content_store_for, importing_package
from tests.unit.test_module_packages import CMI5, TINCAN, make_zip


def _store(app):
    return content_store_for(app.extensions["leerpaspoort.settings"].instance_path)


def test_import_records_units_and_unpacks_the_content(app, db, platform):
    from lti_tool.lti.models import Platform

    tenant = db.scalars(select(Platform)).one()
    files = {"cmi5.xml": CMI5, "au1/index.html": b"<h1>AU 1</h1>", "au2/index.html": b"<h1>AU 2</h1>"}
    with importing_package(db, _store(app), make_zip(files), platform_id=tenant.id) as package:
        db.commit()
    units = db.scalars(select(ModuleUnit).order_by(ModuleUnit.position)).all()
    assert [u.move_on for u in units] == ["Completed", "Passed"]
    assert (Path(_store(app).folder(package.content_key)) / "au1" / "index.html").read_bytes() == b"<h1>AU 1</h1>"


def test_content_is_served_sandboxed_with_its_type(app, db, platform, client):
    from lti_tool.lti.models import Platform

    tenant = db.scalars(select(Platform)).one()
    files = {"tincan.xml": TINCAN, "index_lms.html": b"<html>module</html>"}
    with importing_package(db, _store(app), make_zip(files), platform_id=tenant.id) as package:
        db.commit()
    response = client.get(f"/modules/content/{package.content_key}/index_lms.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"].startswith("sandbox allow-scripts")
    assert "allow-same-origin" not in response.headers["Content-Security-Policy"]
    response.close()
    assert client.get(f"/modules/content/{package.content_key}/../../leerpaspoort.db").status_code == 404
    assert client.get(f"/modules/content/{package.content_key}/missing.html").status_code == 404


def test_a_second_import_of_the_same_activity_is_refused_and_stores_nothing(app, db, platform):
    from lti_tool.lti.models import Platform

    tenant = db.scalars(select(Platform)).one()
    files = {"tincan.xml": TINCAN, "index_lms.html": b""}
    with importing_package(db, _store(app), make_zip(files), platform_id=tenant.id):
        db.commit()
    folders_before = sorted(p.name for p in _store(app).root.iterdir())
    with pytest.raises(PackageError, match="already installed"):
        with importing_package(db, _store(app), make_zip(files), platform_id=tenant.id):
            db.commit()
    db.rollback()
    assert db.scalar(select(func.count()).select_from(ModulePackage)) == 1
    assert sorted(p.name for p in _store(app).root.iterdir()) == folders_before


def test_a_failure_after_unpacking_removes_the_files(app, db, platform):
    from lti_tool.lti.models import Platform

    tenant = db.scalars(select(Platform)).one()
    files = {"tincan.xml": TINCAN, "index_lms.html": b""}
    with pytest.raises(RuntimeError):
        with importing_package(db, _store(app), make_zip(files), platform_id=tenant.id):
            raise RuntimeError("commit failed")
    db.rollback()
    assert list(_store(app).root.iterdir()) == []
    assert db.scalar(select(func.count()).select_from(ModulePackage)) == 0


def test_cli_imports_a_package_and_reports_errors_in_one_line(app, platform, settings_overrides, tmp_path, monkeypatch):
    from lti_tool.cli import main

    for key in ("database_url", "base_url", "instance_path", "env"):
        monkeypatch.setenv(f"LEERPASPOORT_{key.upper()}", str(settings_overrides[key]))
    good = tmp_path / "module.zip"
    good.write_bytes(make_zip({"tincan.xml": TINCAN, "index_lms.html": b""}).getvalue())
    result = CliRunner().invoke(main, ["modules", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "Imported tincan module 'Safety at work'" in result.output
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    result = CliRunner().invoke(main, ["modules", "import", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error: This file is not a zip archive")
