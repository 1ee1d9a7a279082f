"""outbox delivery bookkeeping

Revision ID: 0008_outbox_delivery
Revises: 0007_xapi_documents
Create Date: 2026-11-23 18:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import lti_tool.db  # noqa: F401

revision = "0008_outbox_delivery"
down_revision = "0007_xapi_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
