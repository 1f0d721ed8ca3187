"""Campaigns remember the day they were closed; campaigns, institutions and questionnaire versions can be
archived; correction cases entered in the console.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Hand-written against the model. ``closed_on`` of campaigns already closed is taken from the audit log's last
``campaign.close`` entry for them (its UTC date; the survey's time zone is configuration the migration does
not read); a closed campaign without such an entry keeps ``NULL`` and its links say it is closed without a
date. Adding columns leaves the questionnaire versions' immutability trigger in place (SQLite adds them with
``ALTER TABLE``, no table copy).
"""
from datetime import date, datetime

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _as_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('questionnaire_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'correction_cases',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=100), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('entered_by', sa.String(length=255), nullable=False),
        sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('cases >= 0', name=op.f('ck_correction_cases_cases')),
        sa.ForeignKeyConstraint(
            ['campaign_id'], ['campaigns.id'], name=op.f('fk_correction_cases_campaign_id_campaigns'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('campaign_id', 'rule', name=op.f('pk_correction_cases')),
    )
    connection = op.get_bind()
    closed = connection.execute(
        sa.text(
            "SELECT c.id, MAX(a.at) FROM campaigns c JOIN audit_log a "
            "ON a.action = 'campaign.close' AND a.target = 'campaign:' || c.slug "
            "WHERE c.status = 'closed' GROUP BY c.id"
        )
    ).all()
    for campaign_id, at in closed:
        connection.execute(
            sa.text("UPDATE campaigns SET closed_on = :day WHERE id = :id"),
            {"day": _as_date(at), "id": campaign_id},
        )


def downgrade():
    op.drop_table('correction_cases')
    with op.batch_alter_table('questionnaire_versions', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
        batch_op.drop_column('closed_on')
