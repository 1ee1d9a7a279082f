"""Statement store: indexes that keep filtered statement queries fast

Revision ID: 0015_statement_query_indexes
Revises: 0014_cmi5
Create Date: 2026-11-23 21:15:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import lti_tool.db  # noqa: F401

revision = "0015_statement_query_indexes"
down_revision = "0014_cmi5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
