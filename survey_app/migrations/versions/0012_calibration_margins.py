"""Known population margins per campaign × group, for calibrating the results.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

Hand-written against the model (survey_app/models/frames.py, ``CalibrationMargins``).
- ``calibration_margins``: one per campaign × respondent group: the method (poststratify, rake, linear) and
  the ``variable, level, total`` rows (totals only; the variables are questionnaire items).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import survey_app.models.types

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

GROUPS = "respondent_group IN ('internal', 'external', 'expert')"


def upgrade():
    op.create_table(
        'calibration_margins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('respondent_group', sa.String(length=20), nullable=False),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.Column('margins', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('uploaded_at', survey_app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('uploaded_by', sa.String(length=255), nullable=False),
        sa.CheckConstraint(GROUPS, name=op.f('ck_calibration_margins_respondent_group')),
        sa.CheckConstraint("method IN ('poststratify', 'rake', 'linear')", name=op.f('ck_calibration_margins_method')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_calibration_margins_campaign_id_campaigns'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_margins')),
        sa.UniqueConstraint('campaign_id', 'respondent_group', name=op.f('uq_calibration_margins_campaign_id')),
    )
    with op.batch_alter_table('calibration_margins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_margins_campaign_id'), ['campaign_id'], unique=False)


def downgrade():
    with op.batch_alter_table('calibration_margins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_margins_campaign_id'))
    op.drop_table('calibration_margins')
