"""Drafts carry the keyed hash of their resume code.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Hand-written against the model. A saved draft of an invitation is shown only to the browser that started it
or to one that gives its resume code; the draft keeps a keyed hash of that code. Drafts that exist have
none (they were started before codes existed) and resume from their link alone, as they did.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resume_hash', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_column('resume_hash')
