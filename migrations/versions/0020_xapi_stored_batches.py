"""LRS: a durable feed of committed stores, read by the application after the commit

Revision ID: 0020_xapi_stored_batches
Revises: 0019_coach_messages
Create Date: 2026-11-24 07:10:00
"""

import sqlalchemy as sa
from alembic import op

import xapi.models

revision = "0020_xapi_stored_batches"
down_revision = "0019_coach_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xapi_stored_batches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("statement_ids", sa.Text(), nullable=False),
        sa.Column("voided_ids", sa.Text(), nullable=False),
        sa.Column("created_at", xapi.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", xapi.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_stored_batches")),
    )
    with op.batch_alter_table("xapi_stored_batches", schema=None) as batch_op:
        batch_op.create_index("ix_xapi_stored_batches_tenant_id_created_at", ["tenant_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("xapi_stored_batches")
