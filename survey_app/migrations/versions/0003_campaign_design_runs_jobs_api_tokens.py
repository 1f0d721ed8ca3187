"""Campaign design settings, published score runs, compute jobs, API tokens.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Hand-written against the models. New columns on existing tables carry server defaults so rows that exist
get a value (linearisation with the finite population correction, which is what results used before). The
ALTERs go through batch mode, so SQLite (which rebuilds the table) and PostgreSQL take the same path.
``api_tokens`` holds keyed hashes only, as ``invitations`` does.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variance_method', sa.String(length=20), server_default='linearization', nullable=False))
        batch_op.add_column(sa.Column('use_fpc', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_campaigns_variance_method'), "variance_method IN ('linearization', 'bootstrap')"
        )

    with op.batch_alter_table('score_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('published_by', sa.String(length=255), nullable=True))

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('compute_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.String(length=255), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('stage', sa.String(length=100), nullable=False),
    sa.Column('progress', sa.Double(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('score_run_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_compute_jobs_state')),
    sa.CheckConstraint('progress >= 0 AND progress <= 1', name=op.f('ck_compute_jobs_progress')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_compute_jobs_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['score_run_id'], ['score_runs.id'], name=op.f('fk_compute_jobs_score_run_id_score_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compute_jobs'))
    )
    with op.batch_alter_table('compute_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compute_jobs_campaign_id'), ['campaign_id'], unique=False)


def downgrade():
    with op.batch_alter_table('compute_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compute_jobs_campaign_id'))
    op.drop_table('compute_jobs')

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
    op.drop_table('api_tokens')

    with op.batch_alter_table('score_runs', schema=None) as batch_op:
        batch_op.drop_column('published_by')
        batch_op.drop_column('published_at')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_campaigns_variance_method'), type_='check')
        batch_op.drop_column('use_fpc')
        batch_op.drop_column('variance_method')
