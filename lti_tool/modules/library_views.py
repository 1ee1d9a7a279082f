"""The module library: instructors and administrators upload e-learning packages for their platform."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from lti_tool import current_settings
from lti_tool.db import get_session
from lti_tool.errors import ForbiddenError
from lti_tool.modules.archive import PackageError
from lti_tool.modules.library_forms import UploadModuleForm
from lti_tool.modules.models import ModulePackage
from lti_tool.modules.services import content_store_for, importing_package
from lti_tool.policy import may_manage_modules

bp = Blueprint("module_library", __name__, url_prefix="/modules")


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.extensions.setdefault("leerpaspoort.nav_links", []).append(
        ("module_library.index", _l("E-learning modules"), may_manage_modules)
    )


def _require_manager():
    if not may_manage_modules(current_user):
        raise ForbiddenError("only instructors and administrators manage modules")


def _render(form: UploadModuleForm, status: int = 200):
    packages = get_session().scalars(
        select(ModulePackage)
        .where(ModulePackage.platform_id == current_user.platform_id)
        .order_by(ModulePackage.created_at.desc(), ModulePackage.id.desc())
    ).all()
    return render_template("modules/library.html", form=form, packages=packages), status


@bp.get("/")
@login_required
def index():
    _require_manager()
    return _render(UploadModuleForm())


@bp.post("/")
@login_required
def upload():
    _require_manager()
    form = UploadModuleForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    session = get_session()
    store = content_store_for(current_settings().instance_path)
    try:
        with importing_package(
            session, store, form.package.data.stream, platform_id=current_user.platform_id, uploaded_by=current_user.id
        ) as package:
            session.commit()
    except PackageError as exc:
        session.rollback()
        form.package.errors.append(str(exc))
        return _render(form, 400)
    flash(_("Module “%(title)s” was added with %(count)d unit(s).", title=package.title, count=len(package.units)))
    return redirect(url_for("module_library.index"), 303)
