"""Formal evidence: administrator links for unmatched actors

Revision ID: 0017_actor_links
Revises: 0016_lrs_forwarding
Create Date: 2026-11-23 21:15:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import lti_tool.db  # noqa: F401

revision = "0017_actor_links"
down_revision = "0016_lrs_forwarding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
