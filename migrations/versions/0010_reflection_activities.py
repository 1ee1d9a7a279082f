"""reflection drafts and activities

Revision ID: 0010_reflection_activities
Revises: 0009_evidence_uploads
Create Date: 2026-11-23 18:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import lti_tool.db  # noqa: F401

revision = "0010_reflection_activities"
down_revision = "0009_evidence_uploads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
