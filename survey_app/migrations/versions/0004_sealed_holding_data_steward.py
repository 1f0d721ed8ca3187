"""The sealed holding area for finished responses, the release batch size, the data-steward right.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Hand-written against the models. ``held_responses`` has exactly the columns and constraints of
``responses`` (a response moves from one to the other unchanged but for a new random id) and, like it, no
column or key referring to an invitation, a draft or a token. Responses that exist were stored before the
holding area and stay where they are. ``data_steward`` is off for every existing account: the right to
download row-level responses is given explicitly.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('held_responses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
    sa.Column('respondent_group', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('stratum', sa.String(length=100), nullable=True),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('open_access', sa.Boolean(), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.CheckConstraint("respondent_group IN ('internal', 'external', 'expert')", name=op.f('ck_held_responses_respondent_group')),
    sa.CheckConstraint('duration_seconds IS NULL OR duration_seconds >= 0', name=op.f('ck_held_responses_duration')),
    sa.CheckConstraint('weight > 0', name=op.f('ck_held_responses_weight_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_held_responses_campaign_id_campaigns'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_versions.id'], name=op.f('fk_held_responses_questionnaire_version_id_questionnaire_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_held_responses_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_responses')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('held_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_responses_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_held_responses_questionnaire_version_id'), ['questionnaire_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_held_responses_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('release_batch', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_campaigns_release_batch'), 'release_batch IS NULL OR release_batch >= 1'
        )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_steward', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('data_steward')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_campaigns_release_batch'), type_='check')
        batch_op.drop_column('release_batch')

    with op.batch_alter_table('held_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_responses_unit_id'))
        batch_op.drop_index(batch_op.f('ix_held_responses_questionnaire_version_id'))
        batch_op.drop_index(batch_op.f('ix_held_responses_campaign_id'))
    op.drop_table('held_responses')
