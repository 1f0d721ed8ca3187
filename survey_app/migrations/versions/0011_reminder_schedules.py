"""Scheduled reminders: per campaign, every how many days after a person's last message, and how many.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Hand-written against the model (survey_app/models/frames.py ``ReminderSchedule``). No row: reminders only
when an administrator sends them, at most two per person (what the product did before).
"""
from alembic import op
import sqlalchemy as sa

import survey_app.models.types

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reminder_schedules',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('every_days', sa.Integer(), nullable=False),
        sa.Column('max_reminders', sa.Integer(), nullable=False),
        sa.Column('updated_at', survey_app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=255), nullable=False),
        sa.CheckConstraint('every_days >= 0 AND every_days <= 60', name=op.f('ck_reminder_schedules_every_days')),
        sa.CheckConstraint('max_reminders >= 0 AND max_reminders <= 5', name=op.f('ck_reminder_schedules_max_reminders')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_reminder_schedules_campaign_id_campaigns'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_reminder_schedules')),
    )


def downgrade():
    op.drop_table('reminder_schedules')
