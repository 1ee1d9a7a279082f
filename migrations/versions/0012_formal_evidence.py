"""formal evidence: which xAPI actor is which learner; per-platform e-mail matching

Revision ID: 0012_formal_evidence
Revises: 0011_collections_showcase
Create Date: 2026-11-23 18:20:00
"""

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0012_formal_evidence"
down_revision = "0011_collections_showcase"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("platforms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("match_learners_by_email", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "learner_actors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("actor_key", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", sa.String(length=20), nullable=True),
        sa.Column("first_seen_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], name=op.f("fk_learner_actors_platform_id_platforms"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_learner_actors_user_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner_actors")),
        sa.UniqueConstraint("platform_id", "actor_key", name=op.f("uq_learner_actors_platform_id_actor_key")),
    )
    with op.batch_alter_table("learner_actors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_learner_actors_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("learner_actors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_actors_user_id"))
    op.drop_table("learner_actors")
    with op.batch_alter_table("platforms", schema=None) as batch_op:
        batch_op.drop_column("match_learners_by_email")
