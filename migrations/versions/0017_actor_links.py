"""Formal evidence: administrator links for unmatched actors; placed items keep their parameters

Revision ID: 0017_actor_links
Revises: 0016_lrs_forwarding
Create Date: 2026-11-23 21:15:00
"""

import json

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision = "0017_actor_links"
down_revision = "0016_lrs_forwarding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Who linked an actor to a learner, and when: an administrator's decision must be traceable.
    with op.batch_alter_table("learner_actors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("linked_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("linked_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_learner_actors_linked_by_id_users"), "users", ["linked_by_id"], ["id"], ondelete="SET NULL"
        )
        # The unmatched list reads a tenant's actors by their learner (NULL while unmatched).
        batch_op.create_index(batch_op.f("ix_learner_actors_platform_id_user_id"), ["platform_id", "user_id"], unique=False)
    # The custom parameters a placed link carries (e.g. which module), so a course's report
    # knows what was placed before anyone launched it.
    with op.batch_alter_table("placed_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("custom", sa.JSON(), nullable=True))
    _backfill_placed_custom()


def _backfill_placed_custom() -> None:
    """Links launched before this revision carry the placed item's parameters: copy them over."""
    bind = op.get_bind()
    links = sa.table("resource_links", sa.column("platform_id"), sa.column("custom", sa.JSON()))
    placed = sa.table("placed_items", sa.column("id"), sa.column("platform_id"), sa.column("public_id"), sa.column("custom", sa.JSON()))
    known: dict[tuple[int, str], dict] = {}
    for platform_id, custom in bind.execute(sa.select(links.c.platform_id, links.c.custom)):
        if isinstance(custom, str):
            custom = json.loads(custom)
        if isinstance(custom, dict) and isinstance(custom.get("leerpaspoort_item"), str):
            extra = {k: v for k, v in custom.items() if k not in ("leerpaspoort_kind", "leerpaspoort_item") and isinstance(v, str)}
            known[(platform_id, custom["leerpaspoort_item"])] = extra
    for item_id, platform_id, public_id in bind.execute(sa.select(placed.c.id, placed.c.platform_id, placed.c.public_id)):
        extra = known.get((platform_id, public_id))
        if extra:
            bind.execute(sa.update(placed).where(placed.c.id == item_id).values(custom=extra))


def downgrade() -> None:
    with op.batch_alter_table("placed_items", schema=None) as batch_op:
        batch_op.drop_column("custom")
    with op.batch_alter_table("learner_actors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_actors_platform_id_user_id"))
        batch_op.drop_constraint(batch_op.f("fk_learner_actors_linked_by_id_users"), type_="foreignkey")
        batch_op.drop_column("linked_at")
        batch_op.drop_column("linked_by_id")
