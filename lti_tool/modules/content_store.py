"""Where unpacked module content lives: a folder per package under the instance path.

Several machines share it by mounting the same volume (see README, "Production").
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from lti_tool.modules.archive import safe_member_path


class ModuleContentStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def folder(self, content_key: str) -> Path:
        return self.root / content_key

    def unpack(self, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], content_key: str) -> None:
        """Extract checked members into a temporary folder, then move it in place at once."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".incoming-{content_key}"
        try:
            for info in members:
                target = staging / safe_member_path(info.filename)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out, 1024 * 1024)
            staging.rename(self.folder(content_key))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def remove(self, content_key: str) -> None:
        shutil.rmtree(self.folder(content_key), ignore_errors=True)

    def resolve(self, content_key: str, path: str) -> Path | None:
        """Return the file for a content URL path, or None if it is outside the package or absent."""
        try:
            relative = safe_member_path(path)
        except Exception:
            return None
        base = self.folder(content_key).resolve()
        candidate = (base / relative).resolve()
        if base not in candidate.parents or not candidate.is_file():
            return None
        return candidate
