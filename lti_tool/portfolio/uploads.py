"""Check an uploaded file before anything is stored: size, real type, and a clean image.

The type comes from the bytes (libmagic), never from the file name or the browser, and must be
on the allow-list of the evidence type. Images are decoded and re-encoded by Pillow: that drops
EXIF and other metadata (GPS positions in phone photos), applies the orientation, and turns any
polyglot (an image that is also HTML or a script) into plain pixels. SVG is refused outright: it
is a document that can carry scripts, not a picture.
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import magic
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from lti_tool.errors import DomainError

THUMBNAIL_SIZE = (480, 480)
THUMBNAIL_TYPE = "image/jpeg"
JPEG_QUALITY = 85

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
PDF_TYPES = frozenset({"application/pdf"})
OFFICE_TYPES = frozenset(
    {
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "application/rtf",
        "text/rtf",
    }
)
TEXT_TYPES = frozenset({"text/plain", "text/csv"})
DOCUMENT_TYPES = PDF_TYPES | OFFICE_TYPES | TEXT_TYPES
VIDEO_TYPES = frozenset({"video/mp4", "video/webm", "video/quicktime", "video/ogg", "video/x-m4v"})
AUDIO_TYPES = frozenset(
    {"audio/mpeg", "audio/ogg", "audio/wav", "audio/x-wav", "audio/webm", "audio/mp4", "audio/x-m4a", "audio/flac",
     "audio/x-flac", "video/webm"}
)

# What each evidence type accepts. A scan of a diploma is an image or a PDF; a note or a link
# may carry pictures and documents as attachments.
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    "photo": IMAGE_TYPES,
    "video": VIDEO_TYPES,
    "audio": AUDIO_TYPES,
    "document": DOCUMENT_TYPES,
    "link": IMAGE_TYPES | DOCUMENT_TYPES,
    "note": IMAGE_TYPES | DOCUMENT_TYPES,
    "diploma": IMAGE_TYPES | PDF_TYPES,
    "certificate": IMAGE_TYPES | PDF_TYPES,
    "licence": IMAGE_TYPES | PDF_TYPES,
}

# Extensions for the stored key (cosmetic: serving uses the sniffed type recorded in the row).
_EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf", "text/plain": "txt", "text/csv": "csv",
    "video/mp4": "mp4", "video/webm": "webm", "audio/mpeg": "mp3", "audio/ogg": "ogg",
}

# OOXML and OpenDocument files are zip archives; older libmagic builds call them application/zip.
_ZIP_MARKERS = (
    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)


class UploadError(DomainError):
    """An upload we refuse; the message tells the person what to do instead."""

    status = 400

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class QuotaExceededError(UploadError):
    status = 413


@dataclass(frozen=True)
class UploadLimits:
    max_file_size: int
    max_image_pixels: int


@dataclass(frozen=True)
class PreparedFile:
    """A checked file, ready to store: the bytes as they will be kept and what they are."""

    original_name: str
    content_type: str
    data: bytes
    sha256: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.data) + len(self.thumbnail or b"")

    @property
    def extension(self) -> str:
        return _EXTENSIONS.get(self.content_type, "bin")


def read_limited(stream: BinaryIO, limit: int, name: str) -> bytes:
    """Read at most `limit` bytes; a longer stream is refused without reading it all."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError(
            _l("%(name)s is larger than %(size)s MB; upload a smaller file.", name=name, size=_megabytes(limit))
        )
    return data


def sniff(data: bytes) -> str:
    """The content type the bytes say they have."""
    detected = magic.from_buffer(data[:65536] if len(data) > 65536 else data, mime=True)
    if detected == "application/zip":
        return _office_type_in_zip(data) or detected
    return detected


def _office_type_in_zip(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                if declared.startswith("application/vnd.oasis.opendocument."):
                    return declared
            if "[Content_Types].xml" in names:
                for marker, content_type in _ZIP_MARKERS:
                    if any(name.startswith(marker) for name in names):
                        return content_type
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def prepare_upload(data: bytes, original_name: str, evidence_type: str, limits: UploadLimits) -> PreparedFile:
    """Check one uploaded file for an evidence type; return it as it will be stored."""
    name = _clean_name(original_name)
    if not data:
        raise UploadError(_l("%(name)s is empty.", name=name))
    if len(data) > limits.max_file_size:
        raise UploadError(
            _l("%(name)s is larger than %(size)s MB; upload a smaller file.", name=name, size=_megabytes(limits.max_file_size))
        )
    content_type = sniff(data)
    if content_type == "image/svg+xml":
        raise UploadError(_l("%(name)s is an SVG drawing, which can contain scripts; export it as PNG or PDF.", name=name))
    allowed = ALLOWED_TYPES.get(evidence_type, frozenset())
    if content_type not in allowed:
        raise UploadError(
            _l("%(name)s is not a file this kind of evidence accepts (it contains %(type)s).", name=name, type=content_type)
        )
    if content_type in IMAGE_TYPES:
        return _reencode_image(data, name, limits)
    return PreparedFile(name, content_type, data, hashlib.sha256(data).hexdigest())


def _reencode_image(data: bytes, name: str, limits: UploadLimits) -> PreparedFile:
    unreadable = _l("%(name)s could not be read as an image; it may be damaged. Save it again and retry.", name=name)
    try:
        with warnings.catch_warnings():
            # Pillow warns (and later refuses) on huge images; we check the size ourselves first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > limits.max_image_pixels:
                    raise UploadError(
                        _l("%(name)s has too many pixels (%(width)s × %(height)s); make it smaller and retry.",
                           name=name, width=width, height=height)
                    )
                image.load()
                upright = ImageOps.exif_transpose(image)
                clean, content_type = _without_metadata(upright)
                thumbnail = _thumbnail(upright)
    except UploadError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UploadError(unreadable) from exc
    return PreparedFile(
        name, content_type, clean, hashlib.sha256(clean).hexdigest(), upright.width, upright.height, thumbnail
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info)


def _without_metadata(image: Image.Image) -> tuple[bytes, str]:
    """Pixels only: a fresh image is saved without EXIF, XMP, ICC text chunks or comments."""
    out = io.BytesIO()
    if _has_alpha(image):
        pixels = image.convert("RGBA")
        bare = Image.new("RGBA", pixels.size)
        bare.paste(pixels)
        bare.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    pixels = image.convert("RGB")
    bare = Image.new("RGB", pixels.size)
    bare.paste(pixels)
    bare.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue(), "image/jpeg"


def _thumbnail(image: Image.Image) -> bytes:
    small = image.convert("RGBA") if _has_alpha(image) else image.convert("RGB")
    small.thumbnail(THUMBNAIL_SIZE)
    if small.mode == "RGBA":
        # JPEG has no transparency: flatten on white, as the page behind it is.
        background = Image.new("RGB", small.size, "white")
        background.paste(small, mask=small.getchannel("A"))
        small = background
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def _clean_name(name: str | None) -> str:
    """A display name only: path parts and control characters removed, length capped."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return (base or "file")[:200]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}" if size >= 1024 * 1024 else f"{size / (1024 * 1024):.2f}"
