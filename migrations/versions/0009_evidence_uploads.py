"""evidence uploads and trash

Files are stored under a key derived from their content, so two rows may name the same key:
the unique constraint on evidence_files.storage_key becomes a plain index, and thumbnails get
one too (both are looked up when deciding whether a file is still referenced). The timeline
index gains created_at, so a page of the timeline is read in index order without a sort.

Revision ID: 0009_evidence_uploads
Revises: 0008_outbox_delivery
Create Date: 2026-11-23 18:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op

import lti_tool.db  # noqa: F401

revision = "0009_evidence_uploads"
down_revision = "0008_outbox_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_evidence_files_storage_key"), type_="unique")
        batch_op.create_index(batch_op.f("ix_evidence_files_storage_key"), ["storage_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_files_thumbnail_key"), ["thumbnail_key"], unique=False)
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_timeline")
        batch_op.create_index(
            "ix_evidence_timeline", ["portfolio_id", "deleted_at", "occurred_on", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_timeline")
        batch_op.create_index("ix_evidence_timeline", ["portfolio_id", "deleted_at", "occurred_on", "id"], unique=False)
    with op.batch_alter_table("evidence_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_files_thumbnail_key"))
        batch_op.drop_index(batch_op.f("ix_evidence_files_storage_key"))
        batch_op.create_unique_constraint(batch_op.f("uq_evidence_files_storage_key"), ["storage_key"])
