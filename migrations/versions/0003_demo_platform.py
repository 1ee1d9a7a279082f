"""demo platform: its key and registration, course items, gradebook, tokens, nonces

Revision ID: 0003_demo_platform
Revises: 0002_xapi_store
Create Date: 2026-11-23 16:10:00
"""

from alembic import op
import sqlalchemy as sa
import lti_tool.db


revision = '0003_demo_platform'
down_revision = '0002_xapi_store'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('demo_used_nonces',
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('value', name=op.f('pk_demo_used_nonces'))
    )
    with op.batch_alter_table('demo_used_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demo_used_nonces_created_at'), ['created_at'], unique=False)

    op.create_table('demo_platforms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('private_pem', sa.Text(), nullable=False),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_demo_platforms_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demo_platforms')),
    sa.UniqueConstraint('issuer', name=op.f('uq_demo_platforms_issuer')),
    sa.UniqueConstraint('platform_id', name=op.f('uq_demo_platforms_platform_id'))
    )
    op.create_table('demo_access_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('demo_platform_id', sa.Integer(), nullable=False),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.Column('expires_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['demo_platform_id'], ['demo_platforms.id'], name=op.f('fk_demo_access_tokens_demo_platform_id_demo_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_demo_access_tokens'))
    )
    with op.batch_alter_table('demo_access_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demo_access_tokens_demo_platform_id'), ['demo_platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demo_access_tokens_expires_at'), ['expires_at'], unique=False)

    op.create_table('demo_course_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('demo_platform_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=512), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=1024), nullable=False),
    sa.Column('custom', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['demo_platform_id'], ['demo_platforms.id'], name=op.f('fk_demo_course_items_demo_platform_id_demo_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demo_course_items'))
    )
    with op.batch_alter_table('demo_course_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demo_course_items_demo_platform_id'), ['demo_platform_id'], unique=False)

    op.create_table('demo_deep_link_requests',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('demo_platform_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['demo_platform_id'], ['demo_platforms.id'], name=op.f('fk_demo_deep_link_requests_demo_platform_id_demo_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_demo_deep_link_requests'))
    )
    with op.batch_alter_table('demo_deep_link_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demo_deep_link_requests_demo_platform_id'), ['demo_platform_id'], unique=False)

    op.create_table('demo_line_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('demo_platform_id', sa.Integer(), nullable=False),
    sa.Column('course_item_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=512), nullable=False),
    sa.Column('score_maximum', sa.Float(), nullable=False),
    sa.Column('resource_id', sa.String(length=255), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_item_id'], ['demo_course_items.id'], name=op.f('fk_demo_line_items_course_item_id_demo_course_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['demo_platform_id'], ['demo_platforms.id'], name=op.f('fk_demo_line_items_demo_platform_id_demo_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demo_line_items'))
    )
    with op.batch_alter_table('demo_line_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demo_line_items_course_item_id'), ['course_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demo_line_items_demo_platform_id'), ['demo_platform_id'], unique=False)

    op.create_table('demo_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('score_given', sa.Float(), nullable=True),
    sa.Column('score_maximum', sa.Float(), nullable=True),
    sa.Column('activity_progress', sa.String(length=20), nullable=False),
    sa.Column('grading_progress', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('timestamp', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['line_item_id'], ['demo_line_items.id'], name=op.f('fk_demo_scores_line_item_id_demo_line_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demo_scores')),
    sa.UniqueConstraint('line_item_id', 'user_id', name=op.f('uq_demo_scores_line_item_id_user_id'))
    )


def downgrade() -> None:
    op.drop_table('demo_scores')
    op.drop_table('demo_line_items')
    op.drop_table('demo_deep_link_requests')
    op.drop_table('demo_course_items')
    op.drop_table('demo_access_tokens')
    op.drop_table('demo_platforms')
    op.drop_table('demo_used_nonces')
