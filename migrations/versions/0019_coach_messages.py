"""Coaching: messages between a learner and a coach

Revision ID: 0019_coach_messages
Revises: 0018_evidence_outcome_status
Create Date: 2026-11-24 02:40:00
"""

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0019_coach_messages"
down_revision = "0018_evidence_outcome_status"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coach_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_coach_messages_author_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["grant_id"], ["coach_grants.id"], name=op.f("fk_coach_messages_grant_id_coach_grants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_messages")),
    )
    with op.batch_alter_table("coach_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coach_messages_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_coach_messages_grant_id_created_at", ["grant_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("coach_messages")
