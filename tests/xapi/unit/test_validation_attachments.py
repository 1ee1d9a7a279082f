"""Attachment metadata (Data 2.4.11) and the signature attachment's shape (Data 2.6)."""

from __future__ import annotations

import pytest

from tests.xapi.unit import DELETE, assert_rejected, changed, statement_with
from xapi.validation import SIGNATURE_USAGE_TYPE, find_signature_attachment, validate_statement

ATTACHMENT = {
    "usageType": "http://example.com/attachment-usage/test",
    "display": {"en-US": "A test attachment", "de": "Eine Testbefestigung"},
    "description": {"en-US": "A test attachment (description)"},
    "contentType": "text/plain; charset=ascii",
    "length": 27,
    "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
    "fileUrl": "http://over.there.com/file.txt",
}
SIGNATURE = {
    "usageType": SIGNATURE_USAGE_TYPE,
    "display": {"en-US": "Signature"},
    "contentType": "application/octet-stream",
    "length": 4235,
    "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
}


@pytest.mark.parametrize(
    "attachments",
    [
        [],
        [ATTACHMENT],
        [changed(ATTACHMENT, "fileUrl", DELETE)],
        [changed(ATTACHMENT, "description", DELETE)],
        [changed(ATTACHMENT, "length", 0)],
        [changed(ATTACHMENT, "contentType", "application/pdf")],
        [changed(ATTACHMENT, "sha2", "A" * 128)],
        [ATTACHMENT, SIGNATURE],
        [changed(SIGNATURE, "contentType", "application/octet-stream; charset=binary")],
    ],
)
def test_valid_attachments_are_accepted(attachments):
    validate_statement(statement_with("attachments", attachments))


@pytest.mark.parametrize(
    "dotted, value, path, fragment",
    [
        ("usageType", DELETE, "usageType", "requires the 'usageType'"),
        ("usageType", "certificate", "usageType", "usageType IRI"),
        ("usageType", None, "usageType", "usageType IRI"),
        ("display", DELETE, "display", "requires the 'display'"),
        ("display", "A test attachment", "display", "language map"),
        ("display", {"en-US": "x", "de-419-DE": "y"}, 'display["de-419-DE"]', "language tag"),
        ("description", {"de-419-DE": "y"}, 'description["de-419-DE"]', "language tag"),
        ("description", None, "description", "language map"),
        ("description", {}, "description", "at least one entry"),
        ("display", {}, "display", "at least one entry"),
        ("contentType", DELETE, "contentType", "requires the 'contentType'"),
        ("contentType", "text", "contentType", "media type"),
        ("contentType", 7, "contentType", "string"),
        ("length", DELETE, "length", "requires the 'length'"),
        ("length", "27", "length", "non-negative integer"),
        ("length", 27.5, "length", "non-negative integer"),
        ("length", True, "length", "non-negative integer"),
        ("length", -1, "length", "non-negative integer"),
        ("length", None, "length", "non-negative integer"),
        ("sha2", DELETE, "sha2", "requires the 'sha2'"),
        ("sha2", "not-a-hash", "sha2", "SHA-2"),
        ("sha2", "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848", "sha2", "SHA-2"),
        ("sha2", 12, "sha2", "string"),
        ("fileUrl", "file.txt", "fileUrl", "IRL"),
        ("fileUrl", None, "fileUrl", "IRL"),
        ("FileUrl", "http://over.there.com/file.txt", "FileUrl", "case-sensitive"),
        ("data", "aGVsbG8=", "data", "unknown property"),
    ],
)
def test_invalid_attachments_are_rejected(dotted, value, path, fragment):
    statement = statement_with("attachments", [changed(ATTACHMENT, dotted, value)])
    assert_rejected(statement, f"statement.attachments[0].{path}", fragment)


@pytest.mark.parametrize(
    "attachments, path, fragment",
    [
        (ATTACHMENT, "statement.attachments", "array of Attachment objects"),
        (None, "statement.attachments", "array of Attachment objects"),
        (["x"], "statement.attachments[0]", "Attachment object"),
        ([ATTACHMENT, {}], "statement.attachments[1].usageType", "requires the 'usageType'"),
    ],
)
def test_attachments_must_be_an_array_of_objects(attachments, path, fragment):
    assert_rejected(statement_with("attachments", attachments), path, fragment)


@pytest.mark.parametrize("content_type", ["text/plain; charset=ascii", "application/jose", "application/json"])
def test_a_signature_attachment_must_be_application_octet_stream(content_type):
    statement = statement_with("attachments", [changed(SIGNATURE, "contentType", content_type)])
    assert_rejected(statement, "statement.attachments[0].contentType", "application/octet-stream")


def test_only_one_signature_attachment_is_allowed():
    statement = statement_with("attachments", [SIGNATURE, ATTACHMENT, SIGNATURE])
    assert_rejected(statement, "statement.attachments[2]", "only one signature")


def test_find_signature_attachment():
    assert find_signature_attachment(statement_with("attachments", [ATTACHMENT, SIGNATURE])) == SIGNATURE
    assert find_signature_attachment(statement_with("attachments", [ATTACHMENT])) is None
    assert find_signature_attachment(statement_with("result", {})) is None
