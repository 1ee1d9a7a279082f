"""xapi store: credentials, statements and filter keys, documents, attachments, activities, pull cursors

Revision ID: 0002_xapi_store
Revises: 0001_initial
"""

from alembic import op
import sqlalchemy as sa
import xapi.models


revision = "0002_xapi_store"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('xapi_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('activity_key', sa.String(length=32), nullable=False),
    sa.Column('activity_id', sa.Text(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_activities')),
    sa.UniqueConstraint('tenant_id', 'activity_key', name=op.f('uq_xapi_activities_tenant_id_activity_key'))
    )
    op.create_table('xapi_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sha2', sa.String(length=128), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_attachments')),
    sa.UniqueConstraint('tenant_id', 'sha2', name=op.f('uq_xapi_attachments_tenant_id_sha2'))
    )
    op.create_table('xapi_credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('secret_digest', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scopes', sa.String(length=500), nullable=False),
    sa.Column('actor', sa.JSON(), nullable=True),
    sa.Column('actor_key', sa.String(length=32), nullable=True),
    sa.Column('registration', sa.String(length=36), nullable=True),
    sa.Column('created_at', xapi.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', xapi.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', xapi.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_credentials')),
    sa.UniqueConstraint('key', name=op.f('uq_xapi_credentials_key'))
    )
    op.create_index(op.f('ix_xapi_credentials_tenant_id'), 'xapi_credentials', ['tenant_id'], unique=False)
    op.create_table('xapi_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('scope_key', sa.String(length=32), nullable=False),
    sa.Column('document_key', sa.String(length=32), nullable=False),
    sa.Column('activity_id', sa.Text(), nullable=True),
    sa.Column('agent_key', sa.String(length=600), nullable=True),
    sa.Column('registration', sa.String(length=36), nullable=True),
    sa.Column('document_id', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('updated', xapi.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_documents')),
    sa.UniqueConstraint('tenant_id', 'document_key', name=op.f('uq_xapi_documents_tenant_id_document_key'))
    )
    op.create_index('ix_xapi_documents_tenant_id_scope_key', 'xapi_documents', ['tenant_id', 'scope_key'], unique=False)
    op.create_table('xapi_pull_cursors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=1024), nullable=False),
    sa.Column('since', sa.String(length=40), nullable=True),
    sa.Column('updated', xapi.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_pull_cursors')),
    sa.UniqueConstraint('tenant_id', 'endpoint', name=op.f('uq_xapi_pull_cursors_tenant_id_endpoint'))
    )
    op.create_table('xapi_statements',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.Column('stored', xapi.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('timestamp', xapi.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('actor_key', sa.String(length=32), nullable=True),
    sa.Column('verb_id', sa.Text(), nullable=False),
    sa.Column('object_activity_id', sa.Text(), nullable=True),
    sa.Column('object_ref_id', sa.String(length=36), nullable=True),
    sa.Column('registration', sa.String(length=36), nullable=True),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('voiding', sa.Boolean(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_xapi_statements')),
    sa.UniqueConstraint('tenant_id', 'statement_id', name=op.f('uq_xapi_statements_tenant_id_statement_id'))
    )
    op.create_index('ix_xapi_statements_tenant_id_object_ref_id', 'xapi_statements', ['tenant_id', 'object_ref_id'], unique=False)
    op.create_index('ix_xapi_statements_tenant_id_seq', 'xapi_statements', ['tenant_id', 'seq'], unique=False)
    op.create_index('ix_xapi_statements_tenant_id_stored', 'xapi_statements', ['tenant_id', 'stored'], unique=False)
    op.create_index('ix_xapi_statements_tenant_id_credential_id_seq', 'xapi_statements', ['tenant_id', 'credential_id', 'seq'], unique=False)
    op.create_table('xapi_statement_filters',
    sa.Column('statement_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.SmallInteger(), nullable=False),
    sa.Column('value_key', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['statement_seq'], ['xapi_statements.seq'], name=op.f('fk_xapi_statement_filters_statement_seq_xapi_statements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('statement_seq', 'kind', 'value_key', name=op.f('pk_xapi_statement_filters'))
    )
    op.create_index('ix_xapi_statement_filters_lookup', 'xapi_statement_filters', ['tenant_id', 'kind', 'value_key', 'statement_seq'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_xapi_statement_filters_lookup', table_name='xapi_statement_filters')
    op.drop_table('xapi_statement_filters')
    op.drop_index('ix_xapi_statements_tenant_id_credential_id_seq', table_name='xapi_statements')
    op.drop_index('ix_xapi_statements_tenant_id_stored', table_name='xapi_statements')
    op.drop_index('ix_xapi_statements_tenant_id_seq', table_name='xapi_statements')
    op.drop_index('ix_xapi_statements_tenant_id_object_ref_id', table_name='xapi_statements')
    op.drop_table('xapi_statements')
    op.drop_table('xapi_pull_cursors')
    op.drop_index('ix_xapi_documents_tenant_id_scope_key', table_name='xapi_documents')
    op.drop_table('xapi_documents')
    op.drop_index(op.f('ix_xapi_credentials_tenant_id'), table_name='xapi_credentials')
    op.drop_table('xapi_credentials')
    op.drop_table('xapi_attachments')
    op.drop_table('xapi_activities')
