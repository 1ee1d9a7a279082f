"""portfolio: evidence, files, tags, reflections, competencies, collections, submissions

Revision ID: 0004_portfolio
Revises: 0003_demo_platform
Create Date: 2026-11-23 15:59:59.201127
"""

from alembic import op
import sqlalchemy as sa
import lti_tool.db


revision = '0004_portfolio'
down_revision = '0003_demo_platform'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('competency_frameworks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_competency_frameworks_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_competency_frameworks')),
    sa.UniqueConstraint('platform_id', 'name', name=op.f('uq_competency_frameworks_platform_id_name'))
    )
    with op.batch_alter_table('competency_frameworks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_competency_frameworks_platform_id'), ['platform_id'], unique=False)

    op.create_table('competencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['framework_id'], ['competency_frameworks.id'], name=op.f('fk_competencies_framework_id_competency_frameworks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['competencies.id'], name=op.f('fk_competencies_parent_id_competencies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_competencies')),
    sa.UniqueConstraint('framework_id', 'code', name=op.f('uq_competencies_framework_id_code'))
    )
    op.create_table('portfolios',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_portfolios_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_portfolios_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolios')),
    sa.UniqueConstraint('owner_id', name=op.f('uq_portfolios_owner_id'))
    )
    with op.batch_alter_table('portfolios', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portfolios_platform_id'), ['platform_id'], unique=False)

    op.create_table('collections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portfolio_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('visibility', sa.String(length=20), nullable=False),
    sa.Column('share_token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_collections_platform_id_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['portfolio_id'], ['portfolios.id'], name=op.f('fk_collections_portfolio_id_portfolios'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collections')),
    sa.UniqueConstraint('share_token_hash', name=op.f('uq_collections_share_token_hash'))
    )
    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collections_platform_id'), ['platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collections_portfolio_id'), ['portfolio_id'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portfolio_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=2048), nullable=True),
    sa.Column('issuer', sa.String(length=300), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('activity_id', sa.String(length=2048), nullable=True),
    sa.Column('projection_key', sa.String(length=255), nullable=True),
    sa.Column('outcome', sa.JSON(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['context_id'], ['contexts.id'], name=op.f('fk_evidence_context_id_contexts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_evidence_platform_id_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['portfolio_id'], ['portfolios.id'], name=op.f('fk_evidence_portfolio_id_portfolios'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('projection_key', name=op.f('uq_evidence_projection_key'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_context_id'), ['context_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_platform_id'), ['platform_id'], unique=False)
        batch_op.create_index('ix_evidence_timeline', ['portfolio_id', 'deleted_at', 'occurred_on', 'id'], unique=False)

    op.create_table('self_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portfolio_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('updated_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_self_assessments_competency_id_competencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['portfolio_id'], ['portfolios.id'], name=op.f('fk_self_assessments_portfolio_id_portfolios'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_assessments')),
    sa.UniqueConstraint('portfolio_id', 'competency_id', name=op.f('uq_self_assessments_portfolio_id_competency_id'))
    )
    op.create_table('evidence_competencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_evidence_competencies_competency_id_competencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_evidence_competencies_evidence_id_evidence'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_competencies')),
    sa.UniqueConstraint('evidence_id', 'competency_id', name=op.f('uq_evidence_competencies_evidence_id_competency_id'))
    )
    with op.batch_alter_table('evidence_competencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_competencies_competency_id'), ['competency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_competencies_evidence_id'), ['evidence_id'], unique=False)

    op.create_table('evidence_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=255), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=255), nullable=True),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_evidence_files_evidence_id_evidence'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_files')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_evidence_files_storage_key'))
    )
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_files_evidence_id'), ['evidence_id'], unique=False)

    op.create_table('evidence_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_evidence_tags_evidence_id_evidence'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_tags')),
    sa.UniqueConstraint('evidence_id', 'tag', name=op.f('uq_evidence_tags_evidence_id_tag'))
    )
    with op.batch_alter_table('evidence_tags', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_tags_tag', ['tag'], unique=False)

    op.create_table('reflections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portfolio_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.Column('context_id', sa.Integer(), nullable=True),
    sa.Column('resource_link_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['context_id'], ['contexts.id'], name=op.f('fk_reflections_context_id_contexts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_reflections_evidence_id_evidence'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_reflections_platform_id_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['portfolio_id'], ['portfolios.id'], name=op.f('fk_reflections_portfolio_id_portfolios'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_links.id'], name=op.f('fk_reflections_resource_link_id_resource_links'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reflections'))
    )
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reflections_context_id'), ['context_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reflections_evidence_id'), ['evidence_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reflections_platform_id'), ['platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reflections_resource_link_id'), ['resource_link_id'], unique=False)
        batch_op.create_index('ix_reflections_timeline', ['portfolio_id', 'deleted_at', 'updated_at'], unique=False)

    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('resource_link_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('score_maximum', sa.Double(), nullable=True),
    sa.Column('feedback', sa.Text(), nullable=False),
    sa.Column('assessor_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('graded_at', lti_tool.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assessor_id'], ['users.id'], name=op.f('fk_submissions_assessor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name=op.f('fk_submissions_collection_id_collections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_submissions_learner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_submissions_platform_id_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_links.id'], name=op.f('fk_submissions_resource_link_id_resource_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions'))
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submissions_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_learner_id'), ['learner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_platform_id'), ['platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_resource_link_id'), ['resource_link_id'], unique=False)

    op.create_table('collection_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.Column('reflection_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(evidence_id IS NULL) <> (reflection_id IS NULL)', name=op.f('ck_collection_items_one_target')),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name=op.f('fk_collection_items_collection_id_collections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_collection_items_evidence_id_evidence'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reflection_id'], ['reflections.id'], name=op.f('fk_collection_items_reflection_id_reflections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_items'))
    )
    with op.batch_alter_table('collection_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_items_collection_id'), ['collection_id'], unique=False)

    op.create_table('reflection_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reflection_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reflection_id'], ['reflections.id'], name=op.f('fk_reflection_revisions_reflection_id_reflections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reflection_revisions'))
    )
    with op.batch_alter_table('reflection_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reflection_revisions_reflection_id'), ['reflection_id'], unique=False)

    op.create_table('submission_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('item_position', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', lti_tool.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_submission_comments_author_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_comments_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_comments'))
    )
    with op.batch_alter_table('submission_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_comments_submission_id'), ['submission_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('submission_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_comments_submission_id'))

    op.drop_table('submission_comments')
    with op.batch_alter_table('reflection_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reflection_revisions_reflection_id'))

    op.drop_table('reflection_revisions')
    with op.batch_alter_table('collection_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_items_collection_id'))

    op.drop_table('collection_items')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submissions_resource_link_id'))
        batch_op.drop_index(batch_op.f('ix_submissions_platform_id'))
        batch_op.drop_index(batch_op.f('ix_submissions_learner_id'))
        batch_op.drop_index(batch_op.f('ix_submissions_collection_id'))

    op.drop_table('submissions')
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.drop_index('ix_reflections_timeline')
        batch_op.drop_index(batch_op.f('ix_reflections_resource_link_id'))
        batch_op.drop_index(batch_op.f('ix_reflections_platform_id'))
        batch_op.drop_index(batch_op.f('ix_reflections_evidence_id'))
        batch_op.drop_index(batch_op.f('ix_reflections_context_id'))

    op.drop_table('reflections')
    with op.batch_alter_table('evidence_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_tags_tag')

    op.drop_table('evidence_tags')
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_files_evidence_id'))

    op.drop_table('evidence_files')
    with op.batch_alter_table('evidence_competencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_competencies_evidence_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_competencies_competency_id'))

    op.drop_table('evidence_competencies')
    op.drop_table('self_assessments')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_timeline')
        batch_op.drop_index(batch_op.f('ix_evidence_platform_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_context_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collections_portfolio_id'))
        batch_op.drop_index(batch_op.f('ix_collections_platform_id'))

    op.drop_table('collections')
    with op.batch_alter_table('portfolios', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portfolios_platform_id'))

    op.drop_table('portfolios')
    op.drop_table('competencies')
    with op.batch_alter_table('competency_frameworks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_competency_frameworks_platform_id'))

    op.drop_table('competency_frameworks')

