"""reflection drafts and activities

Revision ID: 0010_reflection_activities
Revises: 0009_evidence_uploads
Create Date: 2026-11-23 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0010_reflection_activities"
down_revision = "0009_evidence_uploads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reflections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_title", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("draft_content", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("draft_saved_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_unique_constraint(
            batch_op.f("uq_reflections_portfolio_id_resource_link_id"), ["portfolio_id", "resource_link_id"]
        )

    with op.batch_alter_table("reflection_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("submitted", sa.Boolean(), server_default=sa.false(), nullable=False))

    # Number the versions a reflection already has, oldest first, before the pair becomes unique.
    revisions = sa.table("reflection_revisions", sa.column("id"), sa.column("reflection_id"), sa.column("number"))
    connection = op.get_bind()
    counters: dict[int, int] = {}
    for row in connection.execute(
        sa.select(revisions.c.id, revisions.c.reflection_id).order_by(revisions.c.reflection_id, revisions.c.id)
    ):
        counters[row.reflection_id] = counters.get(row.reflection_id, 0) + 1
        connection.execute(
            revisions.update().where(revisions.c.id == row.id).values(number=counters[row.reflection_id])
        )

    with op.batch_alter_table("reflection_revisions", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_reflection_revisions_reflection_id_number"), ["reflection_id", "number"]
        )


def downgrade() -> None:
    with op.batch_alter_table("reflection_revisions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_reflection_revisions_reflection_id_number"), type_="unique")
        batch_op.drop_column("submitted")
        batch_op.drop_column("number")

    with op.batch_alter_table("reflections", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_reflections_portfolio_id_resource_link_id"), type_="unique")
        batch_op.drop_column("revision")
        batch_op.drop_column("draft_saved_at")
        batch_op.drop_column("draft_content")
        batch_op.drop_column("draft_title")
