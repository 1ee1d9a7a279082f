"""LRS forwarding to an external LRS and pull cursors

Revision ID: 0016_lrs_forwarding
Revises: 0015_statement_query_indexes
Create Date: 2026-11-23 21:15:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import lti_tool.db  # noqa: F401

revision = "0016_lrs_forwarding"
down_revision = "0015_statement_query_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nothing to change: forwarding queues ordinary outbox messages (kind "lrs_forward"), and
    # `lrs pull` keeps its position in xapi_pull_cursors, which 0002 already created.
    pass


def downgrade() -> None:
    pass
