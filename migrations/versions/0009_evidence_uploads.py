"""evidence uploads and trash

Revision ID: 0009_evidence_uploads
Revises: 0008_outbox_delivery
Create Date: 2026-11-23 18:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import lti_tool.db  # noqa: F401

revision = "0009_evidence_uploads"
down_revision = "0008_outbox_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
