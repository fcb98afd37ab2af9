"""meeting requests and their history

Revision ID: 0004_requests
Revises: 0001_foundation
Create Date: 2026-11-25 00:45:00

"""
from alembic import op
import sqlalchemy as sa

import planner.models.base


# revision identifiers, used by Alembic.
revision = '0004_requests'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=300), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('needed_by', planner.models.base.UTCDateTime(), nullable=True),
    sa.Column('expected_minutes', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('preferred_format', sa.String(length=20), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('requester_name', sa.String(length=120), nullable=False),
    sa.Column('requester_email', sa.String(length=254), nullable=False),
    sa.Column('received_via', sa.String(length=20), nullable=False),
    sa.Column('feed_id', sa.Integer(), nullable=True),
    sa.Column('logged_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', planner.models.base.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('rule', sa.String(length=4), nullable=True),
    sa.Column('decided_outcome', sa.String(length=20), nullable=True),
    sa.Column('explanation_en', sa.Text(), nullable=False),
    sa.Column('explanation_ja', sa.Text(), nullable=False),
    sa.Column('overridden_by_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('proposed_call_at', planner.models.base.UTCDateTime(), nullable=True),
    sa.Column('proposed_meeting_at', planner.models.base.UTCDateTime(), nullable=True),
    sa.Column('proposed_minutes', sa.Integer(), nullable=False),
    sa.Column('minutes_saved', sa.Integer(), nullable=False),
    sa.Column('reply_subject', sa.String(length=300), nullable=False),
    sa.Column('reply_body', sa.Text(), nullable=False),
    sa.Column('reply_language', sa.String(length=2), nullable=False),
    sa.Column('applied_at', planner.models.base.UTCDateTime(), nullable=True),
    sa.Column('replied_at', planner.models.base.UTCDateTime(), nullable=True),
    sa.Column('updated_at', planner.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_meeting_requests_agenda_item_id_agenda_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_meeting_requests_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_meeting_requests_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['logged_by_id'], ['users.id'], name=op.f('fk_meeting_requests_logged_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_requests_meeting_id_meetings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['overridden_by_id'], ['users.id'], name=op.f('fk_meeting_requests_overridden_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_requests'))
    )
    with op.batch_alter_table('meeting_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_requests_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_meeting_requests_engagement_status', ['engagement_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_requests_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('request_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', planner.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_request_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['meeting_requests.id'], name=op.f('fk_request_events_request_id_meeting_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_events'))
    )
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_events_request_id'), ['request_id'], unique=False)


def downgrade():
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_events_request_id'))

    op.drop_table('request_events')
    with op.batch_alter_table('meeting_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_requests_meeting_id'))
        batch_op.drop_index('ix_meeting_requests_engagement_status')
        batch_op.drop_index(batch_op.f('ix_meeting_requests_contact_id'))

    op.drop_table('meeting_requests')
