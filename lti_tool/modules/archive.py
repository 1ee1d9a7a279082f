"""Check an uploaded package (zip) before anything is stored: limits, paths and manifest."""

from __future__ import annotations

import posixpath
import stat
import zipfile
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlsplit

from lti_tool.modules.manifests import Manifest, ManifestError, parse_cmi5, parse_tincan


class PackageError(Exception):
    """The package cannot be accepted; the message tells the uploader what to fix."""


@dataclass(frozen=True)
class PackageLimits:
    max_total_bytes: int = 500 * 1024 * 1024
    max_file_bytes: int = 200 * 1024 * 1024
    max_files: int = 5000
    # Guards against zip bombs: a member may not expand more than this factor.
    max_compression_ratio: int = 200


@dataclass
class CheckedPackage:
    manifest: Manifest
    members: list[zipfile.ZipInfo]
    total_bytes: int


def safe_member_path(name: str) -> str:
    """Return the normalised path of a zip member, or raise if it could escape the package."""
    if "\\" in name or "\x00" in name:
        raise PackageError(f"The package contains an invalid file name: {name!r}")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise PackageError(f"The package contains an absolute path: {name!r}")
    normalised = posixpath.normpath(name)
    if normalised == ".." or normalised.startswith("../") or "/../" in f"/{normalised}/":
        raise PackageError(f"The package contains a path that escapes it: {name!r}")
    return normalised


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def check_package(file: IO[bytes], limits: PackageLimits = PackageLimits()) -> CheckedPackage:
    """Validate the zip and its manifest; nothing is extracted."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError):
        raise PackageError("This file is not a zip archive. Export the module as a Tin Can (xAPI) or cmi5 package.") from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > limits.max_files:
            raise PackageError(f"The package has {len(infos)} files; at most {limits.max_files} are allowed.")
        total = 0
        paths: set[str] = set()
        for info in infos:
            path = safe_member_path(info.filename)
            if _is_symlink(info):
                raise PackageError(f"The package contains a symbolic link: {info.filename!r}")
            if info.file_size > limits.max_file_bytes:
                raise PackageError(f"{path} is larger than {limits.max_file_bytes // (1024 * 1024)} MB.")
            if info.compress_size and info.file_size / info.compress_size > limits.max_compression_ratio:
                raise PackageError(f"{path} expands suspiciously much; the package was refused.")
            total += info.file_size
            paths.add(path)
        if total > limits.max_total_bytes:
            raise PackageError(f"The package unpacks to {total // (1024 * 1024)} MB; at most {limits.max_total_bytes // (1024 * 1024)} MB is allowed.")
        manifest = _read_manifest(archive, paths)
    _check_launch_files(manifest, paths)
    return CheckedPackage(manifest, infos, total)


def _read_manifest(archive: zipfile.ZipFile, paths: set[str]) -> Manifest:
    try:
        if "cmi5.xml" in paths:
            return parse_cmi5(archive.read("cmi5.xml"))
        if "tincan.xml" in paths:
            return parse_tincan(archive.read("tincan.xml"))
    except ManifestError as exc:
        raise PackageError(str(exc)) from None
    raise PackageError("The package has no tincan.xml or cmi5.xml at its top level. Export it as Tin Can (xAPI) or cmi5.")


def _check_launch_files(manifest: Manifest, paths: set[str]) -> None:
    for unit in manifest.units:
        parts = urlsplit(unit.url)
        if parts.scheme in {"http", "https"}:
            continue  # cmi5 allows AUs hosted elsewhere (cmi5 13.1.4, url).
        if parts.scheme or parts.netloc:
            raise PackageError(f"The launch URL of {unit.title!r} is not allowed: {unit.url!r}")
        path = safe_member_path(parts.path)
        if path not in paths:
            raise PackageError(f"The launch file {path!r} of {unit.title!r} is missing from the package.")
