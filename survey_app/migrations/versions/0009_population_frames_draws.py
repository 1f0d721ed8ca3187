"""Population frames per campaign × unit × group, their contacts, and the recorded draw.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Hand-written against the model (survey_app/models/frames.py).
- ``population_frames``: one per campaign × unit × group, with its size (kept after the contacts go: the
  results are weighted to it) and the hash of the upload.
- ``frame_contacts``: e-mail, phone, auxiliary columns; ``invitation_id`` once drawn (the invitation points
  to nothing, and no response points to an invitation).
- ``sample_draws``: the seed, frame hash and record of the one draw of a campaign.
- ``delivery_log``: each message's outcome (sent / failed with reason), no token, link or address;
  ``frame_contacts.messages_sent`` counts the messages a contact got (invitation and reminders).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import survey_app.models.types

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

GROUPS = "respondent_group IN ('internal', 'external', 'expert')"


def upgrade():
    op.create_table(
        'population_frames',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('respondent_group', sa.String(length=20), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('upload_hash', sa.String(length=64), nullable=False),
        sa.Column('uploaded_at', survey_app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('uploaded_by', sa.String(length=255), nullable=False),
        sa.Column('contacts_deleted_at', survey_app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(GROUPS, name=op.f('ck_population_frames_respondent_group')),
        sa.CheckConstraint('size > 0', name=op.f('ck_population_frames_size_positive')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_population_frames_campaign_id_campaigns'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_population_frames_unit_id_units'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_population_frames')),
        sa.UniqueConstraint('campaign_id', 'unit_id', 'respondent_group', name=op.f('uq_population_frames_campaign_id')),
    )
    with op.batch_alter_table('population_frames', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_population_frames_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_population_frames_unit_id'), ['unit_id'], unique=False)

    op.create_table(
        'frame_contacts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('frame_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('auxiliary', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('invitation_id', sa.Integer(), nullable=True),
        sa.Column('messages_sent', sa.Integer(), nullable=False, server_default='0'),
        sa.ForeignKeyConstraint(['frame_id'], ['population_frames.id'], name=op.f('fk_frame_contacts_frame_id_population_frames'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_frame_contacts_invitation_id_invitations'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_frame_contacts')),
        sa.UniqueConstraint('invitation_id', name=op.f('uq_frame_contacts_invitation_id')),
    )
    with op.batch_alter_table('frame_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_frame_contacts_frame_id'), ['frame_id'], unique=False)

    op.create_table(
        'sample_draws',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('seed', sa.BigInteger(), nullable=False),
        sa.Column('frame_hash', sa.String(length=64), nullable=False),
        sa.Column('record', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('drawn_at', survey_app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('drawn_by', sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_sample_draws_campaign_id_campaigns'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sample_draws')),
        sa.UniqueConstraint('campaign_id', name=op.f('uq_sample_draws_campaign_id')),
    )

    op.create_table(
        'delivery_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('at', survey_app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('invitation', 'reminder')", name=op.f('ck_delivery_log_kind')),
        sa.CheckConstraint("status IN ('sent', 'failed')", name=op.f('ck_delivery_log_status')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_delivery_log_campaign_id_campaigns'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['contact_id'], ['frame_contacts.id'], name=op.f('fk_delivery_log_contact_id_frame_contacts'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_log')),
    )
    with op.batch_alter_table('delivery_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_log_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_log_contact_id'), ['contact_id'], unique=False)


def downgrade():
    with op.batch_alter_table('delivery_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_log_contact_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_log_campaign_id'))
    op.drop_table('delivery_log')
    op.drop_table('sample_draws')
    with op.batch_alter_table('frame_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_frame_contacts_frame_id'))
    op.drop_table('frame_contacts')
    with op.batch_alter_table('population_frames', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_population_frames_unit_id'))
        batch_op.drop_index(batch_op.f('ix_population_frames_campaign_id'))
    op.drop_table('population_frames')
