"""outbox delivery bookkeeping

Revision ID: 0008_outbox_delivery
Revises: 0007_xapi_documents
Create Date: 2026-11-23 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0008_outbox_delivery"
down_revision = "0007_xapi_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_stamp", lti_tool.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("stamp_conflicts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("stamp_conflicts")
        batch_op.drop_column("sent_stamp")
