"""The LRS's tables: credentials, statements and their filter keys, documents, attachments."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import JSON, TypeDecorator

# The same convention as the application's metadata, so constraint names stay predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a real bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = metadata


class CredentialRecord(Base):
    """A key/secret pair of one tenant, with its scopes and optional actor/registration limits.

    Only a keyed digest of the secret is stored (see xapi.auth); `scopes` is space-separated.
    """

    __tablename__ = "xapi_credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer, index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_digest: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(500))
    actor: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    actor_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    registration: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Statement(Base):
    """One stored statement: its JSON as stored plus the columns lookups and voiding need."""

    __tablename__ = "xapi_statements"
    __table_args__ = (
        UniqueConstraint("tenant_id", "statement_id"),
        Index("ix_xapi_statements_tenant_id_seq", "tenant_id", "seq"),
        Index("ix_xapi_statements_tenant_id_object_ref_id", "tenant_id", "object_ref_id"),
        Index("ix_xapi_statements_tenant_id_stored", "tenant_id", "stored"),
        Index("ix_xapi_statements_tenant_id_credential_id_seq", "tenant_id", "credential_id", "seq"),
    )

    # `seq` orders statements by arrival; `more` links page on it, so new rows never shift a page.
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    # Lower-case canonical UUID; the payload keeps the id exactly as the client sent it.
    statement_id: Mapped[str] = mapped_column(String(36))
    stored: Mapped[datetime] = mapped_column(UTCDateTime)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[str] = mapped_column(String(20))
    actor_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    verb_id: Mapped[str] = mapped_column(Text)
    object_activity_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    object_ref_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    registration: Mapped[str | None] = mapped_column(String(36), nullable=True)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    voiding: Mapped[bool] = mapped_column(Boolean, default=False)
    # The credential that stored it: what `statements/read/mine` filters on.
    credential_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The statement as sent, plus only what the LRS adds (id, stored, authority, version, timestamp).
    payload: Mapped[str] = mapped_column(Text)


class StatementFilter(Base):
    """A (kind, hashed value) a statement matches in filter queries, with its arrival order.

    Kinds are the constants in xapi.statement_index; values are xapi.statement_keys hashes.
    """

    __tablename__ = "xapi_statement_filters"
    __table_args__ = (
        Index("ix_xapi_statement_filters_lookup", "tenant_id", "kind", "value_key", "statement_seq"),
    )

    statement_seq: Mapped[int] = mapped_column(
        BigId, ForeignKey("xapi_statements.seq", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    value_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)


class Activity(Base):
    """The LRS's canonical definition of an activity, merged from statements (GET /activities)."""

    __tablename__ = "xapi_activities"
    __table_args__ = (UniqueConstraint("tenant_id", "activity_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    activity_key: Mapped[str] = mapped_column(String(32))
    activity_id: Mapped[str] = mapped_column(Text)
    definition: Mapped[dict] = mapped_column(JSON)


class Document(Base):
    """A state, activity profile or agent profile document, stored byte for byte."""

    __tablename__ = "xapi_documents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "document_key"),
        Index("ix_xapi_documents_tenant_id_scope_key", "tenant_id", "scope_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    scope_key: Mapped[str] = mapped_column(String(32))
    document_key: Mapped[str] = mapped_column(String(32))
    activity_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    agent_key: Mapped[str | None] = mapped_column(String(600), nullable=True)
    registration: Mapped[str | None] = mapped_column(String(36), nullable=True)
    document_id: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(64))
    updated: Mapped[datetime] = mapped_column(UTCDateTime)


class Attachment(Base):
    """Attachment content, stored once per tenant and SHA-2 hash."""

    __tablename__ = "xapi_attachments"
    __table_args__ = (UniqueConstraint("tenant_id", "sha2"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    sha2: Mapped[str] = mapped_column(String(128))
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class PullCursor(Base):
    """Where `lrs pull` stopped reading a remote LRS, so the next run resumes there."""

    __tablename__ = "xapi_pull_cursors"
    __table_args__ = (UniqueConstraint("tenant_id", "endpoint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    endpoint: Mapped[str] = mapped_column(String(1024))
    since: Mapped[str | None] = mapped_column(String(40), nullable=True)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)



class StoredBatch(Base):
    """One committed store of statements, waiting for the application to hear about it.

    Written in the transaction that stores the statements, deleted once the application's
    callbacks have run (xapi/feed.py): a process that stops between the commit and the
    callbacks leaves the row, and the next reader picks it up."""

    __tablename__ = "xapi_stored_batches"
    __table_args__ = (
        # The administrator's page counts a tenant's waiting rows and finds the oldest.
        Index("ix_xapi_stored_batches_tenant_id_created_at", "tenant_id", "created_at"),
        # A reader finds the rows it has just claimed by its token: without an index, each round
        # of a reader catching up with a long backlog would read the whole backlog. Partial, so
        # that the insert in every storing transaction adds no index entry.
        Index(
            "ix_xapi_stored_batches_claimed_by",
            "claimed_by",
            sqlite_where=text("claimed_by IS NOT NULL"),
            postgresql_where=text("claimed_by IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    statement_ids: Mapped[str] = mapped_column(Text)  # JSON array, in storing order
    voided_ids: Mapped[str] = mapped_column(Text)  # JSON array
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A reader that stops while holding a claim loses it at this time.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

def insert_ignoring_conflicts(on, model):
    """An INSERT that skips rows violating a unique constraint (SQLite and PostgreSQL), for the
    database of `on` (a session or a connection)."""
    dialect = on.dialect if hasattr(on, "dialect") else on.get_bind().dialect
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model).on_conflict_do_nothing()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
