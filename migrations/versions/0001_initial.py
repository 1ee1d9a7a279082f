"""initial schema: platforms, keys, people, outbox

Revision ID: 0001_initial
Revises: 
Create Date: 2026-11-23 15:36:41.779682
"""

from alembic import op
import sqlalchemy as sa
import lti_tool.db


revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('platform_key_set_cache',
    sa.Column('url', sa.String(length=1024), nullable=False),
    sa.Column('key_set', sa.JSON(), nullable=False),
    sa.Column('fetched_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('url', name=op.f('pk_platform_key_set_cache'))
    )
    op.create_table('platforms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('auth_login_url', sa.String(length=1024), nullable=False),
    sa.Column('auth_token_url', sa.String(length=1024), nullable=False),
    sa.Column('auth_audience', sa.String(length=1024), nullable=True),
    sa.Column('key_set_url', sa.String(length=1024), nullable=True),
    sa.Column('key_set', sa.JSON(), nullable=True),
    sa.Column('product_family', sa.String(length=100), nullable=False),
    sa.Column('granted_scopes', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platforms')),
    sa.UniqueConstraint('issuer', 'client_id', name=op.f('uq_platforms_issuer_client_id'))
    )
    op.create_table('tool_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('private_pem', sa.Text(), nullable=False),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tool_keys')),
    sa.UniqueConstraint('kid', name=op.f('uq_tool_keys_kid'))
    )
    op.create_table('contexts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.String(length=255), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=512), nullable=False),
    sa.Column('types', sa.JSON(), nullable=False),
    sa.Column('nrps_url', sa.String(length=1024), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_contexts_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contexts')),
    sa.UniqueConstraint('platform_id', 'context_id', name=op.f('uq_contexts_platform_id_context_id'))
    )
    op.create_table('deployments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_deployments_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployments')),
    sa.UniqueConstraint('platform_id', 'deployment_id', name=op.f('uq_deployments_platform_id_deployment_id'))
    )
    op.create_table('login_states',
    sa.Column('state', sa.String(length=128), nullable=False),
    sa.Column('nonce', sa.String(length=128), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('target_link_uri', sa.String(length=1024), nullable=False),
    sa.Column('storage_target', sa.String(length=255), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_login_states_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('state', name=op.f('pk_login_states')),
    sa.UniqueConstraint('nonce', name=op.f('uq_login_states_nonce'))
    )
    with op.batch_alter_table('login_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_states_created_at'), ['created_at'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=True),
    sa.Column('target_url', sa.String(length=1024), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('ordering_key', sa.String(length=512), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_by', sa.String(length=128), nullable=True),
    sa.Column('locked_until', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_outbox_messages_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_ordering_key'), ['ordering_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_platform_id'), ['platform_id'], unique=False)

    op.create_table('service_tokens',
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('scope_key', sa.String(length=64), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=False),
    sa.Column('expires_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_service_tokens_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('platform_id', 'scope_key', name=op.f('pk_service_tokens'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('given_name', sa.String(length=255), nullable=False),
    sa.Column('family_name', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('locale', sa.String(length=35), nullable=False),
    sa.Column('institution_roles', sa.JSON(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_launch_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_users_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('platform_id', 'sub', name=op.f('uq_users_platform_id_sub'))
    )
    op.create_table('launch_records',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('message_type', sa.String(length=64), nullable=False),
    sa.Column('claims', sa.JSON(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_launch_records_platform_id_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_launch_records_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_launch_records'))
    )
    with op.batch_alter_table('launch_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_launch_records_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_launch_records_user_id'), ['user_id'], unique=False)

    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('updated_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['context_id'], ['contexts.id'], name=op.f('fk_memberships_context_id_contexts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('user_id', 'context_id', name=op.f('uq_memberships_user_id_context_id'))
    )
    op.create_table('resource_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=True),
    sa.Column('resource_link_id', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=512), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('custom', sa.JSON(), nullable=False),
    sa.Column('lineitem_url', sa.String(length=1024), nullable=True),
    sa.Column('lineitems_url', sa.String(length=1024), nullable=True),
    sa.Column('ags_scopes', sa.JSON(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['context_id'], ['contexts.id'], name=op.f('fk_resource_links_context_id_contexts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_resource_links_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_links')),
    sa.UniqueConstraint('platform_id', 'resource_link_id', name=op.f('uq_resource_links_platform_id_resource_link_id'))
    )
    op.create_table('session_tickets',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('launch_id', sa.String(length=64), nullable=False),
    sa.Column('next_path', sa.String(length=512), nullable=False),
    sa.Column('proof', sa.String(length=128), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['launch_id'], ['launch_records.id'], name=op.f('fk_session_tickets_launch_id_launch_records'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_tickets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_session_tickets'))
    )
    with op.batch_alter_table('session_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_tickets_created_at'), ['created_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('session_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_tickets_created_at'))

    op.drop_table('session_tickets')
    op.drop_table('resource_links')
    op.drop_table('memberships')
    with op.batch_alter_table('launch_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_launch_records_user_id'))
        batch_op.drop_index(batch_op.f('ix_launch_records_created_at'))

    op.drop_table('launch_records')
    op.drop_table('users')
    op.drop_table('service_tokens')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_platform_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_ordering_key'))
        batch_op.drop_index('ix_outbox_messages_due')

    op.drop_table('outbox_messages')
    with op.batch_alter_table('login_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_states_created_at'))

    op.drop_table('login_states')
    op.drop_table('deployments')
    op.drop_table('contexts')
    op.drop_table('tool_keys')
    op.drop_table('platforms')
    op.drop_table('platform_key_set_cache')

