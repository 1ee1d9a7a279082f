"""xAPI document resources

Revision ID: 0007_xapi_documents
Revises: 0006_placed_items
Create Date: 2026-11-23 18:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import lti_tool.db  # noqa: F401

revision = "0007_xapi_documents"
down_revision = "0006_placed_items"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
