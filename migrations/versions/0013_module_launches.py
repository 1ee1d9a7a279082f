"""module launches: remember the course link a registration was opened from (for grades)

Revision ID: 0013_module_launches
Revises: 0012_formal_evidence
Create Date: 2026-11-23 18:45:00
"""

import sqlalchemy as sa
from alembic import op

import lti_tool.db  # noqa: F401

revision = "0013_module_launches"
down_revision = "0012_formal_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("module_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resource_link_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_module_registrations_resource_link_id_resource_links"),
            "resource_links",
            ["resource_link_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("module_registrations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_module_registrations_resource_link_id_resource_links"), type_="foreignkey")
        batch_op.drop_column("resource_link_id")
