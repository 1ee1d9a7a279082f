"""placed items: what instructors placed in a course through deep linking

Revision ID: 0006_placed_items
Revises: 0005_modules
Create Date: 2026-11-24 10:00:00
"""

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0006_placed_items"
down_revision = "0005_modules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "placed_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=True),
        sa.Column("placed_by", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("score_maximum", sa.Float(), nullable=True),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["platforms.id"], name=op.f("fk_placed_items_platform_id_platforms"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name=op.f("fk_placed_items_context_id_contexts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["placed_by"], ["users.id"], name=op.f("fk_placed_items_placed_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placed_items")),
        sa.UniqueConstraint("public_id", name=op.f("uq_placed_items_public_id")),
    )
    op.create_index(op.f("ix_placed_items_platform_id"), "placed_items", ["platform_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_placed_items_platform_id"), table_name="placed_items")
    op.drop_table("placed_items")
