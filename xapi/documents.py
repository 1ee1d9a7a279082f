"""The document store behind activities/state, activities/profile and agents/profile.

xAPI 1.0.3 Communication 2.2-2.7 and 3.1. Documents are stored byte for byte with the content
type they were sent with; the ETag is the SHA-1 of the stored bytes. Every function takes a
session and a tenant id, never commits, and never trusts a read it made earlier: updates are
compare-and-swap on the ETag, creations rely on the unique document key, so two requests
racing on one document cannot both win.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from xapi.errors import BadRequestError, ConflictError, PreconditionFailedError
from xapi.models import Document, insert_ignoring_conflicts
from xapi.statement_keys import value_key
from xapi.write_lock import begin_writing

STATE = "state"
ACTIVITY_PROFILE = "activity_profile"
AGENT_PROFILE = "agent_profile"
KINDS = (STATE, ACTIVITY_PROFILE, AGENT_PROFILE)

JSON_MEDIA_TYPE = "application/json"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# A compare-and-swap that keeps losing means someone else is writing the same document.
_MAX_ATTEMPTS = 5


class DocumentConflictError(ConflictError):
    """The document changed under this request too many times to apply it safely."""


@dataclass(frozen=True)
class DocumentScope:
    """Where documents live: a kind plus its activity and/or agent, and (state only) a registration.

    `agent_key` is the hashed identity of the agent (xapi.statement_keys.agent_key), so the same
    person is found whatever name or key order a client sends. `registration` is lower case.
    """

    kind: str
    activity_id: str | None = None
    agent_key: str | None = None
    registration: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown document kind {self.kind!r}")

    @property
    def scope_key(self) -> str:
        """The key shared by every document of this activity/agent, across registrations."""
        return value_key("document-scope", json.dumps([self.kind, self.activity_id or "", self.agent_key or ""]))

    def document_key(self, document_id: str) -> str:
        """The unique key of one document in this scope."""
        return value_key("document", json.dumps([self.scope_key, self.registration or "", document_id]))


@dataclass(frozen=True)
class Preconditions:
    """The If-Match / If-None-Match headers of a request, parsed (RFC 7232 section 3).

    Each is None when the header was absent, else the set of entity tags it lists ("*" kept as is).
    """

    if_match: frozenset[str] | None = None
    if_none_match: frozenset[str] | None = None

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None


@dataclass(frozen=True)
class StoredDocument:
    """A document as read from the store, detached from the session."""

    document_id: str
    content: bytes
    content_type: str
    etag: str
    updated: datetime


def parse_entity_tags(header: str | None) -> frozenset[str] | None:
    """Parse an If-Match / If-None-Match value into bare, lower-case tags ("*" stays "*").

    Weak tags (W/"...") are kept with their prefix so If-Match, which compares strongly, never
    matches them. Unquoted tags are accepted as well: some clients send the bare SHA-1.
    """
    if header is None:
        return None
    tags = set()
    for part in header.split(","):
        tag = part.strip()
        if not tag:
            continue
        if tag == "*":
            tags.add("*")
            continue
        weak = tag[:2].upper() == "W/"
        if weak:
            tag = tag[2:]
        if len(tag) >= 2 and tag[0] == tag[-1] == '"':
            tag = tag[1:-1]
        tags.add(("W/" if weak else "") + tag.lower())
    return frozenset(tags)


def compute_etag(content: bytes) -> str:
    """Communication 3.1.s4.b2: the ETag is the lower-case hex SHA-1 of the contents."""
    return hashlib.sha1(content).hexdigest()


def is_json_type(content_type: str | None) -> bool:
    """True for application/json, with or without parameters such as charset."""
    return bool(content_type) and content_type.split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_json(content: bytes):
    """Parse JSON sent as UTF-8 (Communication 1.4); raise ValueError when it is not valid JSON."""
    text = content.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    return json.loads(text, parse_constant=_reject_constant)


def check_preconditions(current_etag: str | None, preconditions: Preconditions) -> None:
    """Raise 412 when If-Match or If-None-Match is not met by the current document (or its absence)."""
    if preconditions.if_match is not None:
        if current_etag is None:
            raise PreconditionFailedError(
                "If-Match was given but there is no such document (any more); to create it, send If-None-Match: * instead."
            )
        if "*" not in preconditions.if_match and current_etag not in preconditions.if_match:
            raise PreconditionFailedError(
                "The document has changed since you read it (If-Match does not match its ETag); "
                "GET it again and retry with the new ETag."
            )
    if preconditions.if_none_match is not None and current_etag is not None:
        tags = {tag.removeprefix("W/") for tag in preconditions.if_none_match}
        if "*" in tags or current_etag in tags:
            raise PreconditionFailedError(
                "A document already exists here (If-None-Match); GET it and retry with If-Match and its ETag."
            )


def _find(
    session: Session, tenant_id: int, scope: DocumentScope, document_id: str, *, for_update: bool = False
) -> Document | None:
    query = select(Document).where(
        Document.tenant_id == tenant_id, Document.document_key == scope.document_key(document_id)
    )
    if for_update:
        # PostgreSQL: writers of one document queue on its row, so each reads the version it
        # replaces and none loses its turn to another. SQLite renders nothing here: there, the
        # writer holds the database's write lock before it reads (_write).
        # populate_existing: a row this session read earlier is refreshed, not reused.
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()


def _detached(row: Document) -> StoredDocument:
    return StoredDocument(row.document_id, bytes(row.content), row.content_type, row.etag, row.updated)


def get_document(session: Session, tenant_id: int, scope: DocumentScope, document_id: str) -> StoredDocument | None:
    """Return one document, or None when there is none."""
    row = _find(session, tenant_id, scope, document_id)
    return _detached(row) if row is not None else None


def _scope_filter(tenant_id: int, scope: DocumentScope):
    conditions = [Document.tenant_id == tenant_id, Document.scope_key == scope.scope_key]
    # Communication 2.3.s4/s5: the registration narrows the context only when it is given.
    if scope.registration is not None:
        conditions.append(Document.registration == scope.registration)
    return conditions


def list_document_ids(
    session: Session, tenant_id: int, scope: DocumentScope, since: datetime | None = None
) -> tuple[list[str], datetime | None]:
    """Return the ids in a scope stored or updated after `since` (exclusive), and the latest update."""
    conditions = _scope_filter(tenant_id, scope)
    if since is not None:
        conditions.append(Document.updated > since)
    rows = session.execute(
        select(Document.document_id, func.max(Document.updated))
        .where(*conditions)
        .group_by(Document.document_id)
        .order_by(Document.document_id)
    ).all()
    latest = max((row[1] for row in rows), default=None)
    return [row[0] for row in rows], latest


def _validated_content(content: bytes, content_type: str) -> None:
    """Communication 3.2.s3.b6: a document labelled application/json must be JSON."""
    if is_json_type(content_type):
        try:
            parse_json(content)
        except ValueError:
            raise BadRequestError(
                "The document is labelled application/json but is not valid JSON; fix the JSON or send another Content-Type."
            ) from None


def _write(
    session: Session,
    tenant_id: int,
    scope: DocumentScope,
    document_id: str,
    now: datetime,
    decide: Callable[[StoredDocument | None], tuple[bytes, str] | None],
) -> None:
    """Apply `decide(current) -> (content, content_type)` atomically, retrying when another writer wins.

    `decide` raises to refuse the write; it sees the document as it is at that moment.
    """
    key = scope.document_key(document_id)
    for _ in range(_MAX_ATTEMPTS):
        # SQLite: the write lock first, so the version read is the one replaced (xapi/write_lock.py).
        begin_writing(session.connection())
        row = _find(session, tenant_id, scope, document_id, for_update=True)
        current = _detached(row) if row is not None else None
        content, content_type = decide(current)
        etag = compute_etag(content)
        values = {"content": content, "content_type": content_type, "etag": etag, "updated": now}
        if current is None:
            result = session.execute(
                insert_ignoring_conflicts(session, Document).values(
                    tenant_id=tenant_id,
                    kind=scope.kind,
                    scope_key=scope.scope_key,
                    document_key=key,
                    activity_id=scope.activity_id,
                    agent_key=scope.agent_key,
                    registration=scope.registration,
                    document_id=document_id,
                    **values,
                )
                # RETURNING, not rowcount: PostgreSQL drivers report -1 for this INSERT.
                .returning(Document.id)
            )
            written = result.first() is not None
        else:
            result = session.execute(
                update(Document)
                .where(Document.id == row.id, Document.etag == current.etag)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            written = result.rowcount == 1
        if written:
            session.expire_all()
            return
        session.expire_all()
    raise DocumentConflictError("The document kept changing while this request was applied; send it again.")


def put_document(
    session: Session,
    tenant_id: int,
    scope: DocumentScope,
    document_id: str,
    content: bytes,
    content_type: str,
    preconditions: Preconditions,
    *,
    now: datetime,
    require_precondition: bool,
) -> None:
    """Store or replace a document (PUT).

    Communication 3.1.s3/s4: for profiles (`require_precondition`) a client MUST send If-Match or
    If-None-Match; without either, replacing an existing document is a 409 and creating one is
    a 400 naming the header to add. State documents may be written without them.
    """
    _validated_content(content, content_type)

    def decide(current: StoredDocument | None):
        if require_precondition and not preconditions.given:
            if current is not None:
                raise ConflictError(
                    "This document already exists and the request had neither If-Match nor If-None-Match. "
                    "GET the document to check its current state, then send If-Match with its ETag "
                    f'(currently "{current.etag}") to replace it.'
                )
            raise BadRequestError(
                "A profile PUT must carry If-Match or If-None-Match (xAPI Communication 3.1); "
                "send If-None-Match: * to create this document."
            )
        check_preconditions(current.etag if current else None, preconditions)
        return content, content_type

    _write(session, tenant_id, scope, document_id, now, decide)


def merge_json_documents(stored: bytes, posted: bytes) -> bytes:
    """Communication 2.2.s7: set each top-level property of the posted object on the stored one."""
    try:
        existing = parse_json(stored)
    except ValueError:
        existing = None
    if not isinstance(existing, dict):
        raise BadRequestError("The stored document is not a JSON object, so it cannot be merged; PUT to replace it.")
    try:
        update_with = parse_json(posted)
    except ValueError:
        update_with = None
    if not isinstance(update_with, dict):
        raise BadRequestError("A POST to an existing JSON document must send a JSON object to merge into it.")
    merged = {**existing, **update_with}
    return json.dumps(merged, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def post_document(
    session: Session,
    tenant_id: int,
    scope: DocumentScope,
    document_id: str,
    content: bytes,
    content_type: str,
    preconditions: Preconditions,
    *,
    now: datetime,
) -> None:
    """Merge a JSON object into a document, or store it when there is none yet (POST).

    Communication 2.2.s7/s8: with an existing document, both it and the posted one must be
    application/json objects, else 400 and nothing changes. Preconditions are honoured when given
    (3.1.s4.b7/b8); unlike PUT, a POST without them is allowed.
    """
    _validated_content(content, content_type)

    def decide(current: StoredDocument | None):
        check_preconditions(current.etag if current else None, preconditions)
        if current is None:
            return content, content_type
        if not is_json_type(current.content_type):
            raise BadRequestError(
                f"The stored document is {current.content_type}, not application/json, so it cannot be merged; "
                "PUT to replace it."
            )
        if not is_json_type(content_type):
            raise BadRequestError(
                f"Only an application/json object can be merged into the stored JSON document (got {content_type}); "
                "PUT to replace it instead."
            )
        return merge_json_documents(current.content, content), current.content_type

    _write(session, tenant_id, scope, document_id, now, decide)


def delete_document(
    session: Session, tenant_id: int, scope: DocumentScope, document_id: str, preconditions: Preconditions
) -> None:
    """Delete one document; deleting one that does not exist succeeds unless If-Match demands it."""
    row = _find(session, tenant_id, scope, document_id)
    check_preconditions(row.etag if row is not None else None, preconditions)
    if row is None:
        return
    conditions = [Document.id == row.id]
    if preconditions.given:
        # Only the version the precondition was checked against may go.
        conditions.append(Document.etag == row.etag)
    result = session.execute(delete(Document).where(*conditions).execution_options(synchronize_session=False))
    session.expire_all()
    if result.rowcount != 1 and preconditions.given:
        # It changed between our read and the delete: the precondition no longer holds.
        raise PreconditionFailedError("The document changed while it was being deleted; GET it again and retry.")


def delete_documents(session: Session, tenant_id: int, scope: DocumentScope) -> int:
    """Delete every document of a scope (all registrations unless the scope names one); return how many."""
    result = session.execute(delete(Document).where(*_scope_filter(tenant_id, scope)).execution_options(synchronize_session=False))
    session.expire_all()
    return result.rowcount
