"""Compute jobs report a heartbeat; console sessions and login throttling get generations; campaigns name
their organiser.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Hand-written against the model.
- ``compute_jobs.heartbeat_at`` / ``worker``: a running job stamps its row every few seconds, so a job whose
  process died is detected (survey_app.worker).
- ``users.session_generation``: part of the session id, raised on logout, so a copied cookie stops working.
- ``campaigns.organiser``: who runs the survey, named on every respondent page.
- ``users.lockout_generation``: part of the login-throttle keys; wrong passwords are now counted per account
  and client address in the rate limiter's store, not in ``failed_logins``/``locked_until``, which are
  dropped (a lock set by the old rule simply ends).
"""
from alembic import op
import sqlalchemy as sa

import survey_app.models.types

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('compute_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', survey_app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('worker', sa.String(length=100), nullable=False, server_default=''))

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organiser', sa.String(length=255), nullable=False, server_default=''))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('lockout_generation', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_constraint(op.f('ck_users_failed_logins'), type_='check')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', survey_app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_check_constraint('failed_logins', 'failed_logins >= 0')
        batch_op.drop_column('lockout_generation')
        batch_op.drop_column('session_generation')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('organiser')

    with op.batch_alter_table('compute_jobs', schema=None) as batch_op:
        batch_op.drop_column('worker')
        batch_op.drop_column('heartbeat_at')
