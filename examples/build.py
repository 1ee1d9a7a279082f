"""Zip the example modules into packages that `leerpaspoort modules import` (or any LMS) takes.

    python examples/build.py [OUTPUT_DIR]      # default: examples/dist

The modules share one small xAPI client (examples/shared/xapi-client.js); each package gets its
own copy so it stays self-contained.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
SHARED_CLIENT = EXAMPLES / "shared" / "xapi-client.js"

# package name → (source folder, where the shared client goes inside the package)
PACKAGES = {
    "tincan-module": ("tincan-module", "xapi-client.js"),
    "cmi5-course": ("cmi5-course", "shared/xapi-client.js"),
}


def build_package(name: str) -> bytes:
    """The zip archive of one example package, built in memory."""
    folder, client_path = PACKAGES[name]
    source = EXAMPLES / folder
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(source).as_posix())
        archive.write(SHARED_CLIENT, client_path)
    return buffer.getvalue()


def main(output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    for name in PACKAGES:
        target = output / f"{name}.zip"
        target.write_bytes(build_package(name))
        print(target)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else EXAMPLES / "dist")
