"""Statement attachments: matching multipart parts to `sha2`, signatures, storing and serving content.

Communication 1.5.2: every part after the first carries X-Experience-API-Hash (the SHA-256 of
its content) and Content-Transfer-Encoding: binary, and matches an attachment of a statement;
every attachment without a fileUrl has a part.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from xapi.errors import StatementRejectedError
from xapi.models import Attachment, insert_ignoring_conflicts
from xapi.multipart import Part
from xapi.validation import SIGNATURE_USAGE_TYPE, StatementValidationError, check_signature

HASH_HEADER = "x-experience-api-hash"


@dataclass(frozen=True)
class AttachmentContent:
    sha2: str
    content_type: str
    content: bytes


def _reject(message: str, property: str, rule: str) -> StatementRejectedError:
    return StatementRejectedError(message, property=property, rule=rule)


def _declared(statements: list[dict]) -> dict[str, tuple[str, dict]]:
    """sha2 -> (path, attachment) for every attachment the statements declare."""
    declared: dict[str, tuple[str, dict]] = {}
    for index, statement in enumerate(statements):
        for position, attachment in enumerate(statement.get("attachments") or ()):
            declared.setdefault(attachment["sha2"].lower(), (f"statements[{index}].attachments[{position}]", attachment))
    return declared


def match_parts(statements: list[dict], parts: list[Part]) -> dict[str, AttachmentContent]:
    """Check the attachment parts against the statements; return their contents by sha2."""
    declared = _declared(statements)
    contents: dict[str, AttachmentContent] = {}
    for number, part in enumerate(parts, start=2):
        where = f"multipart part {number}"
        claimed = part.headers.get(HASH_HEADER, "").strip().lower()
        if not claimed:
            raise _reject(f"The {where} has no X-Experience-API-Hash header.", where, "every attachment part carries X-Experience-API-Hash")
        encoding = part.headers.get("content-transfer-encoding", "").strip().lower()
        if encoding != "binary":
            raise _reject(
                f"The {where} must have 'Content-Transfer-Encoding: binary'.", where, "attachment parts use Content-Transfer-Encoding: binary"
            )
        actual = hashlib.sha256(part.body).hexdigest()
        if actual != claimed:
            raise _reject(
                f"The content of {where} does not have the SHA-256 hash its X-Experience-API-Hash header claims.",
                where,
                "X-Experience-API-Hash is the SHA-256 of the part's content",
            )
        if claimed not in declared:
            raise _reject(
                f"The {where} (hash {claimed}) matches no attachment's sha2 in the statements.",
                where,
                "every attachment part matches an attachment's sha2",
            )
        contents[claimed] = AttachmentContent(claimed, part.content_type or declared[claimed][1]["contentType"], part.body)
    for sha2, (path, attachment) in declared.items():
        if sha2 not in contents and "fileUrl" not in attachment:
            raise _reject(
                f"No multipart part carries the content of {path} (sha2 {sha2}), and it has no fileUrl.",
                f"{path}.sha2",
                "an attachment without fileUrl must be sent as a part",
            )
    _check_signatures(statements, contents)
    return contents


def _check_signatures(statements: list[dict], contents: dict[str, AttachmentContent]) -> None:
    """Data 2.6: a signature attachment must be a JWS whose payload matches the statement."""
    for index, statement in enumerate(statements):
        for position, attachment in enumerate(statement.get("attachments") or ()):
            if attachment.get("usageType") != SIGNATURE_USAGE_TYPE:
                continue
            path = f"statements[{index}].attachments[{position}]"
            content = contents.get(attachment["sha2"].lower())
            if content is None:
                raise _reject(f"The signature of {path} must be sent as a part.", path, "a signature is sent as a part")
            try:
                check_signature(statement, content.content, path=path)
            except StatementValidationError as exc:
                raise _reject(f"The signature is not valid: {exc.rule}.", exc.path, exc.rule) from None


def require_no_content_needed(statements: list[dict]) -> None:
    """A JSON-only request can only carry attachments that point elsewhere (fileUrl)."""
    match_parts(statements, [])


def store_contents(session: Session, tenant_id: int, contents: Iterable[AttachmentContent]) -> None:
    """Keep attachment content once per tenant and hash."""
    for content in contents:
        session.execute(
            insert_ignoring_conflicts(session, Attachment).values(
                tenant_id=tenant_id, sha2=content.sha2, content_type=content.content_type, content=content.content
            )
        )


def load_contents(session: Session, tenant_id: int, statements: Iterable[dict]) -> list[AttachmentContent]:
    """The stored content of the attachments of these statements (those sent as parts)."""
    wanted = {
        attachment["sha2"].lower()
        for statement in statements
        for attachment in statement.get("attachments") or ()
        if isinstance(attachment, dict) and isinstance(attachment.get("sha2"), str)
    }
    if not wanted:
        return []
    rows = session.execute(
        select(Attachment.sha2, Attachment.content_type, Attachment.content).where(
            Attachment.tenant_id == tenant_id, Attachment.sha2.in_(sorted(wanted))
        )
    )
    return [AttachmentContent(sha2, content_type, bytes(content)) for sha2, content_type, content in rows]
