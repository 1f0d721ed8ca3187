"""National averages of the index that an administrator corrected or added.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Hand-written against the model. The sourced defaults stay in the bundled ``survey_app/data/national_spi.csv``;
a row here overrides (or adds) one year's figure. Nothing links to it, so it starts empty.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('national_figures',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source_url', sa.String(length=500), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=255), nullable=False),
    sa.CheckConstraint('year >= 2000 AND year <= 2100', name=op.f('ck_national_figures_year')),
    sa.CheckConstraint('value >= 0 AND value <= 100', name=op.f('ck_national_figures_value')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_national_figures'))
    )


def downgrade():
    op.drop_table('national_figures')
