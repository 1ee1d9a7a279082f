"""Formal evidence: its outcome's status as an indexed column

Revision ID: 0018_evidence_outcome_status
Revises: 0017_actor_links
Create Date: 2026-11-24 02:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_evidence_outcome_status"
down_revision = "0017_actor_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The L&D view filters a course's evidence by status; out of the JSON that is a parse per row.
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome_status", sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_evidence_platform_id_outcome_status"), ["platform_id", "outcome_status"], unique=False)
    # Evidence projected before this revision: copy the status out of its outcome.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE evidence SET outcome_status = outcome ->> 'status' WHERE outcome IS NOT NULL")
    else:
        op.execute("UPDATE evidence SET outcome_status = json_extract(outcome, '$.status') WHERE outcome IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_platform_id_outcome_status"))
        batch_op.drop_column("outcome_status")
