"""cmi5: LMS-generated activity ids for AUs, blocks and courses; cmi5 sessions

Revision ID: 0014_cmi5
Revises: 0013_module_launches
Create Date: 2026-11-23 19:00:00
"""

import sqlalchemy as sa
from alembic import op

import lti_tool.db  # noqa: F401

revision = "0014_cmi5"
down_revision = "0013_module_launches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("module_packages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lms_course_id", sa.String(length=1024), nullable=False, server_default=""))
    with op.batch_alter_table("module_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lms_activity_id", sa.String(length=1024), nullable=False, server_default=""))
    with op.batch_alter_table("module_blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lms_block_id", sa.String(length=1024), nullable=False, server_default=""))

    # Existing rows: Tin Can units keep the publisher's id; cmi5 ids are generated the way
    # import does (urn:leerpaspoort:cmi5:<content key>:...). `||` works on SQLite and PostgreSQL.
    op.execute(
        "UPDATE module_units SET lms_activity_id = activity_id WHERE package_id IN "
        "(SELECT id FROM module_packages WHERE kind <> 'cmi5')"
    )
    prefix = "urn:leerpaspoort:cmi5:"
    op.execute(
        sa.text(
            "UPDATE module_units SET lms_activity_id = (SELECT :prefix || p.content_key || :infix "
            "|| CAST(module_units.position AS VARCHAR(20)) FROM module_packages p WHERE p.id = module_units.package_id) "
            "WHERE package_id IN (SELECT id FROM module_packages WHERE kind = 'cmi5')"
        ).bindparams(prefix=prefix, infix=":au:")
    )
    op.execute(
        sa.text(
            "UPDATE module_blocks SET lms_block_id = (SELECT :prefix || p.content_key || :infix "
            "|| CAST(module_blocks.position AS VARCHAR(20)) FROM module_packages p WHERE p.id = module_blocks.package_id)"
        ).bindparams(prefix=prefix, infix=":block:")
    )
    op.execute(
        sa.text(
            "UPDATE module_packages SET lms_course_id = :prefix || content_key || :suffix WHERE kind = 'cmi5'"
        ).bindparams(prefix=prefix, suffix=":course")
    )
    op.create_index(op.f("ix_module_units_lms_activity_id"), "module_units", ["lms_activity_id"], unique=False)

    op.create_table(
        "cmi5_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_key", sa.String(length=64), nullable=True),
        sa.Column("fetch_token_hash", sa.String(length=64), nullable=False),
        sa.Column("fetch_used_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("launched_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("terminated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("abandoned_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], name=op.f("fk_cmi5_sessions_platform_id_platforms"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["registration_id"], ["module_registrations.id"],
            name=op.f("fk_cmi5_sessions_registration_id_module_registrations"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["module_units.id"], name=op.f("fk_cmi5_sessions_unit_id_module_units"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_cmi5_sessions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmi5_sessions")),
        sa.UniqueConstraint("fetch_token_hash", name=op.f("uq_cmi5_sessions_fetch_token_hash")),
    )
    op.create_index(op.f("ix_cmi5_sessions_platform_id"), "cmi5_sessions", ["platform_id"], unique=False)
    op.create_index(op.f("ix_cmi5_sessions_registration_id"), "cmi5_sessions", ["registration_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_cmi5_sessions_registration_id"), table_name="cmi5_sessions")
    op.drop_index(op.f("ix_cmi5_sessions_platform_id"), table_name="cmi5_sessions")
    op.drop_table("cmi5_sessions")
    op.drop_index(op.f("ix_module_units_lms_activity_id"), table_name="module_units")
    with op.batch_alter_table("module_blocks", schema=None) as batch_op:
        batch_op.drop_column("lms_block_id")
    with op.batch_alter_table("module_units", schema=None) as batch_op:
        batch_op.drop_column("lms_activity_id")
    with op.batch_alter_table("module_packages", schema=None) as batch_op:
        batch_op.drop_column("lms_course_id")
