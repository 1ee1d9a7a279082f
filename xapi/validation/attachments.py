"""Attachment metadata in a statement (Data 2.4.11) and the signature attachment's shape (Data 2.6)."""

from __future__ import annotations

from typing import Any

from xapi.validation.common import (
    array_items,
    check_properties,
    describe,
    require_array,
    require_object,
    require_present,
    require_string,
    validate_iri,
    validate_irl,
    validate_language_map,
)
from xapi.validation.errors import StatementValidationError, child
from xapi.validation.primitives import is_media_type, is_sha2_hex

SIGNATURE_USAGE_TYPE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_CONTENT_TYPE = "application/octet-stream"
ATTACHMENT_PROPERTIES = frozenset(("usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"))


def validate_attachments(value: Any, path: str) -> None:
    """Check the attachments array; at most one signature attachment."""
    attachments = require_array(value, path, "an array of Attachment objects")
    signatures = 0
    for attachment, attachment_path in array_items(attachments, path):
        validate_attachment(attachment, attachment_path)
        if attachment["usageType"] == SIGNATURE_USAGE_TYPE:
            signatures += 1
            if signatures > 1:
                raise StatementValidationError(attachment_path, "a statement can carry only one signature attachment")


def validate_attachment(value: Any, path: str) -> None:
    """Check one Attachment object."""
    attachment = require_object(value, path, "an Attachment object")
    check_properties(attachment, ATTACHMENT_PROPERTIES, path, "an Attachment")
    usage_type = validate_iri(
        require_present(attachment, "usageType", path, "an Attachment"), child(path, "usageType"), "a usageType IRI"
    )
    validate_language_map(require_present(attachment, "display", path, "an Attachment"), child(path, "display"))
    if "description" in attachment:
        validate_language_map(attachment["description"], child(path, "description"))
    content_type_path = child(path, "contentType")
    content_type = require_string(require_present(attachment, "contentType", path, "an Attachment"), content_type_path)
    if not is_media_type(content_type):
        raise StatementValidationError(content_type_path, f"contentType must be an Internet media type such as image/png (got {content_type!r})")
    length = require_present(attachment, "length", path, "an Attachment")
    if type(length) is not int or length < 0:
        raise StatementValidationError(
            child(path, "length"), f"length must be a non-negative integer number of octets (got {describe(length) if type(length) is not int else length})"
        )
    sha2_path = child(path, "sha2")
    sha2 = require_string(require_present(attachment, "sha2", path, "an Attachment"), sha2_path)
    if not is_sha2_hex(sha2):
        raise StatementValidationError(sha2_path, "sha2 must be a SHA-2 hash (e.g. SHA-256) of the content in hexadecimal")
    if "fileUrl" in attachment:
        validate_irl(attachment["fileUrl"], child(path, "fileUrl"))
    if usage_type == SIGNATURE_USAGE_TYPE and content_type.split(";", 1)[0].strip().lower() != SIGNATURE_CONTENT_TYPE:
        # Data 2.6.s4.b1: a signature is a JWS attachment of type application/octet-stream.
        raise StatementValidationError(
            content_type_path, f"a signature attachment must have contentType {SIGNATURE_CONTENT_TYPE} (got {content_type!r})"
        )
