"""Import a package: check it, record it, unpack it — all or nothing."""

from __future__ import annotations

import secrets
import zipfile
from contextlib import contextmanager
from typing import IO, Iterator

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_tool.modules.archive import PackageError, PackageLimits, check_package
from lti_tool.modules.cmi5_ids import lms_au_id, lms_block_id, lms_course_id
from lti_tool.modules.content_store import ModuleContentStore
from lti_tool.modules.models import ModuleBlock, ModulePackage, ModuleUnit


def _refuse_known_activities(session: Session, platform_id: int, activity_ids: list[str]) -> None:
    taken = session.scalars(
        select(ModuleUnit.activity_id)
        .join(ModulePackage, ModulePackage.id == ModuleUnit.package_id)
        .where(ModulePackage.platform_id == platform_id, ModuleUnit.activity_id.in_(activity_ids))
    ).first()
    if taken:
        raise PackageError(f"A module with activity id {taken} is already installed. Remove it first, or give the new version its own id.")


@contextmanager
def importing_package(
    session: Session,
    store: ModuleContentStore,
    file: IO[bytes],
    *,
    platform_id: int,
    uploaded_by: int | None = None,
    limits: PackageLimits = PackageLimits(),
) -> Iterator[ModulePackage]:
    """Yield the new package; the caller commits inside the block. Any failure removes the files."""
    checked = check_package(file, limits)
    manifest = checked.manifest
    _refuse_known_activities(session, platform_id, [u.activity_id for u in manifest.units])
    package = ModulePackage(
        platform_id=platform_id,
        kind=manifest.kind,
        course_activity_id=manifest.course_id,
        title=manifest.title[:300],
        description=manifest.description,
        content_key=secrets.token_hex(16),
        total_bytes=checked.total_bytes,
        file_count=len(checked.members),
        uploaded_by=uploaded_by,
    )
    package.lms_course_id = lms_course_id(package) if manifest.kind == "cmi5" else ""
    package.units = [
        ModuleUnit(
            activity_id=unit.activity_id,
            lms_activity_id=lms_au_id(package, position) if manifest.kind == "cmi5" else unit.activity_id,
            title=unit.title[:300],
            description=unit.description,
            url=unit.url,
            activity_type=unit.activity_type,
            move_on=unit.move_on,
            mastery_score=unit.mastery_score,
            launch_method=unit.launch_method,
            launch_parameters=unit.launch_parameters,
            entitlement_key=unit.entitlement_key,
            block_ids=unit.block_ids,
            position=position,
        )
        for position, unit in enumerate(manifest.units)
    ]
    package.blocks = [
        ModuleBlock(
            block_id=b.block_id, lms_block_id=lms_block_id(package, i), title=b.title[:300], parent_ids=b.parent_ids, position=i
        )
        for i, b in enumerate(manifest.blocks)
    ]
    session.add(package)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise PackageError(f"The module {manifest.course_id} is already installed.") from None
    file.seek(0)
    with zipfile.ZipFile(file) as archive:
        store.unpack(archive, checked.members, package.content_key)
    try:
        yield package
    except BaseException:
        store.remove(package.content_key)
        raise


def content_store_for(instance_path: str) -> ModuleContentStore:
    from pathlib import Path

    return ModuleContentStore(Path(instance_path) / "modules")
