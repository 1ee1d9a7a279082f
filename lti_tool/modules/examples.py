"""Put the example modules from examples/ in the demo platform's library, so a newcomer can
place one in the demo course and complete it without uploading anything."""

from __future__ import annotations

import importlib.util
import io
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.modules.archive import PackageError, check_package
from lti_tool.modules.models import ModulePackage
from lti_tool.modules.services import content_store_for, importing_package
from lti_tool.settings import PROJECT_DIR, Settings

log = logging.getLogger(__name__)
EXAMPLES = PROJECT_DIR / "examples"


def example_builder():
    """The examples/build.py module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("leerpaspoort_example_build", EXAMPLES / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_example_modules(session: Session, settings: Settings, platform_id: int) -> int:
    """Import each example package the platform does not have yet; returns how many were added."""
    if not (EXAMPLES / "build.py").is_file():
        return 0  # an installed wheel has no examples folder
    builder = example_builder()
    store = content_store_for(settings.instance_path)
    added = 0
    for name in builder.PACKAGES:
        archive = builder.build_package(name)
        course_id = check_package(io.BytesIO(archive)).manifest.course_id
        known = session.scalars(
            select(ModulePackage.id).where(ModulePackage.platform_id == platform_id, ModulePackage.course_activity_id == course_id)
        ).first()
        if known is not None:
            continue
        try:
            with importing_package(session, store, io.BytesIO(archive), platform_id=platform_id):
                session.commit()
            added += 1
        except PackageError as exc:
            log.warning("example module %s was not imported: %s", name, exc)
    return added
