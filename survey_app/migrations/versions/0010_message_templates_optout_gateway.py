"""Per-campaign message templates, opt-out of contacts, and the WhatsApp/SMS gateway in the delivery log.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Hand-written against the model (survey_app/models/frames.py).
- ``message_templates``: a campaign's own invitation and reminder texts (subject and body per language) and
  the language of its messages (``id``, ``en`` or ``both``); no row: the built-in texts, in Indonesian.
- ``frame_contacts.optout_hash`` / ``opted_out_at``: the keyed hash of the contact's opt-out token and when
  the person asked for no more messages.
- ``delivery_log.channel`` (``email`` or ``gateway``), ``reference`` (the random reference a gateway's status
  report names) and the status ``bounced``.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import survey_app.models.types

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'message_templates',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('texts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('updated_at', survey_app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=255), nullable=False),
        sa.CheckConstraint("language IN ('id', 'en', 'both')", name=op.f('ck_message_templates_language')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_message_templates_campaign_id_campaigns'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_message_templates')),
    )

    with op.batch_alter_table('frame_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('optout_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('opted_out_at', survey_app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_frame_contacts_optout_hash'), ['optout_hash'])

    with op.batch_alter_table('delivery_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=20), nullable=False, server_default='email'))
        batch_op.add_column(sa.Column('reference', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_delivery_log_reference'), ['reference'])
        batch_op.drop_constraint(op.f('ck_delivery_log_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('sent', 'failed', 'bounced')")
        batch_op.create_check_constraint('channel', "channel IN ('email', 'gateway')")


def downgrade():
    op.execute("DELETE FROM delivery_log WHERE status = 'bounced'")
    with op.batch_alter_table('delivery_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_delivery_log_channel'), type_='check')
        batch_op.drop_constraint(op.f('ck_delivery_log_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('sent', 'failed')")
        batch_op.drop_constraint(batch_op.f('uq_delivery_log_reference'), type_='unique')
        batch_op.drop_column('reference')
        batch_op.drop_column('channel')

    with op.batch_alter_table('frame_contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_frame_contacts_optout_hash'), type_='unique')
        batch_op.drop_column('opted_out_at')
        batch_op.drop_column('optout_hash')

    op.drop_table('message_templates')
