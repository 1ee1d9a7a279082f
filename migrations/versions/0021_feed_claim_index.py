"""LRS feed: find a reader's claimed rows by its token through a partial index

Revision ID: 0021_feed_claim_index
Revises: 0020_xapi_stored_batches
Create Date: 2026-11-24 12:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_feed_claim_index"
down_revision = "0020_xapi_stored_batches"
branch_labels = None
depends_on = None

CLAIMED = sa.text("claimed_by IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("xapi_stored_batches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_xapi_stored_batches_claimed_by", ["claimed_by"], unique=False, sqlite_where=CLAIMED, postgresql_where=CLAIMED
        )


def downgrade() -> None:
    with op.batch_alter_table("xapi_stored_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_xapi_stored_batches_claimed_by")
