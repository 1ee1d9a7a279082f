"""The example packages from examples/, built and installed for tests."""

from __future__ import annotations

import io

from sqlalchemy.orm import Session

from lti_tool.modules.examples import EXAMPLES, example_builder
from lti_tool.modules.models import ModulePackage
from lti_tool.modules.services import content_store_for, importing_package

__all__ = ["EXAMPLES", "example_package", "install_package"]


def example_package(name: str) -> bytes:
    """The zip of one example ("tincan-module" or "cmi5-course"), built in memory."""
    return example_builder().build_package(name)


def install_package(session: Session, instance_path: str, platform_id: int, data: bytes) -> ModulePackage:
    """Import a package into a platform's module library and commit."""
    with importing_package(session, content_store_for(instance_path), io.BytesIO(data), platform_id=platform_id) as package:
        session.commit()
    return package
