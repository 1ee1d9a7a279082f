"""hosted modules: packages, units, blocks, registrations

Revision ID: 0005_modules
Revises: 0004_portfolio
Create Date: 2026-11-23 16:04:27.173039
"""

from alembic import op
import sqlalchemy as sa
import lti_tool.db


revision = '0005_modules'
down_revision = '0004_portfolio'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('module_packages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('course_activity_id', sa.String(length=1024), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('content_key', sa.String(length=64), nullable=False),
    sa.Column('total_bytes', sa.Integer(), nullable=False),
    sa.Column('file_count', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_module_packages_platform_id_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_module_packages_uploaded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_packages')),
    sa.UniqueConstraint('content_key', name=op.f('uq_module_packages_content_key')),
    sa.UniqueConstraint('platform_id', 'course_activity_id', name=op.f('uq_module_packages_platform_id_course_activity_id'))
    )
    with op.batch_alter_table('module_packages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_packages_platform_id'), ['platform_id'], unique=False)

    op.create_table('module_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=False),
    sa.Column('block_id', sa.String(length=1024), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('parent_ids', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['package_id'], ['module_packages.id'], name=op.f('fk_module_blocks_package_id_module_packages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_blocks')),
    sa.UniqueConstraint('package_id', 'block_id', name=op.f('uq_module_blocks_package_id_block_id'))
    )
    op.create_table('module_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['package_id'], ['module_packages.id'], name=op.f('fk_module_registrations_package_id_module_packages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_module_registrations_platform_id_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_module_registrations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_registrations')),
    sa.UniqueConstraint('registration', name=op.f('uq_module_registrations_registration')),
    sa.UniqueConstraint('user_id', 'package_id', name=op.f('uq_module_registrations_user_id_package_id'))
    )
    with op.batch_alter_table('module_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_registrations_package_id'), ['package_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_module_registrations_platform_id'), ['platform_id'], unique=False)

    op.create_table('module_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.String(length=1024), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('activity_type', sa.String(length=1024), nullable=False),
    sa.Column('move_on', sa.String(length=30), nullable=False),
    sa.Column('mastery_score', sa.Double(), nullable=True),
    sa.Column('launch_method', sa.String(length=20), nullable=False),
    sa.Column('launch_parameters', sa.Text(), nullable=False),
    sa.Column('entitlement_key', sa.Text(), nullable=False),
    sa.Column('block_ids', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['package_id'], ['module_packages.id'], name=op.f('fk_module_units_package_id_module_packages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_units')),
    sa.UniqueConstraint('package_id', 'activity_id', name=op.f('uq_module_units_package_id_activity_id'))
    )



def downgrade() -> None:

    op.drop_table('module_units')
    with op.batch_alter_table('module_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_registrations_platform_id'))
        batch_op.drop_index(batch_op.f('ix_module_registrations_package_id'))

    op.drop_table('module_registrations')
    op.drop_table('module_blocks')
    with op.batch_alter_table('module_packages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_packages_platform_id'))

    op.drop_table('module_packages')

