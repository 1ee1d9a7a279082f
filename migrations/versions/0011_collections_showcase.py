"""collections, assessment and showcase

Revision ID: 0011_collections_showcase
Revises: 0010_reflection_activities
Create Date: 2026-11-23 18:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import lti_tool.db  # noqa: F401

revision = "0011_collections_showcase"
down_revision = "0010_reflection_activities"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
