"""collections, assessment and showcase

Revision ID: 0011_collections_showcase
Revises: 0010_reflection_activities
Create Date: 2026-11-23 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0011_collections_showcase"
down_revision = "0010_reflection_activities"
branch_labels = None
depends_on = None

ACTIVE_SUBMISSION = sa.text("status IN ('submitted', 'graded')")
ACTIVE_GRANT = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_collection_items_collection_id_evidence_id"), ["collection_id", "evidence_id"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_collection_items_collection_id_reflection_id"), ["collection_id", "reflection_id"]
        )

    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("share_created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returned_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_submissions_active_per_learner",
        "submissions",
        ["resource_link_id", "learner_id"],
        unique=True,
        sqlite_where=ACTIVE_SUBMISSION,
        postgresql_where=ACTIVE_SUBMISSION,
    )

    op.create_table(
        "showcase_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_showcase_comments_author_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["collection_id"], ["collections.id"], name=op.f("fk_showcase_comments_collection_id_collections"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_showcase_comments")),
    )
    op.create_index(op.f("ix_showcase_comments_collection_id"), "showcase_comments", ["collection_id"], unique=False)

    op.create_table(
        "coach_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("portfolio_id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("may_comment", sa.Boolean(), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["coach_id"], ["users.id"], name=op.f("fk_coach_grants_coach_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], name=op.f("fk_coach_grants_platform_id_platforms"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolios.id"], name=op.f("fk_coach_grants_portfolio_id_portfolios"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_grants")),
    )
    op.create_index(op.f("ix_coach_grants_coach_id"), "coach_grants", ["coach_id"], unique=False)
    op.create_index(op.f("ix_coach_grants_platform_id"), "coach_grants", ["platform_id"], unique=False)
    op.create_index(op.f("ix_coach_grants_portfolio_id"), "coach_grants", ["portfolio_id"], unique=False)
    op.create_index(
        "uq_coach_grants_active",
        "coach_grants",
        ["portfolio_id", "coach_id"],
        unique=True,
        sqlite_where=ACTIVE_GRANT,
        postgresql_where=ACTIVE_GRANT,
    )


def downgrade() -> None:
    op.drop_index("uq_coach_grants_active", table_name="coach_grants")
    op.drop_index(op.f("ix_coach_grants_portfolio_id"), table_name="coach_grants")
    op.drop_index(op.f("ix_coach_grants_platform_id"), table_name="coach_grants")
    op.drop_index(op.f("ix_coach_grants_coach_id"), table_name="coach_grants")
    op.drop_table("coach_grants")
    op.drop_index(op.f("ix_showcase_comments_collection_id"), table_name="showcase_comments")
    op.drop_table("showcase_comments")
    op.drop_index("uq_submissions_active_per_learner", table_name="submissions")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("returned_at")
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_column("share_created_at")
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_collection_items_collection_id_reflection_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_collection_items_collection_id_evidence_id"), type_="unique")
