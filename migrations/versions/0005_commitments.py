"""commitments with history, contact notes and meeting outcomes

Revision ID: 0005_commitments
Revises: 0001_foundation
Create Date: 2026-11-25 00:50:00

"""
from alembic import op
import sqlalchemy as sa

import planner.models.base


# revision identifiers, used by Alembic.
revision = '0005_commitments'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('owed_by', sa.String(length=10), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('due_at', planner.models.base.UTCDateTime(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('marked_at_risk', sa.Boolean(), nullable=False),
    sa.Column('done_at', planner.models.base.UTCDateTime(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('promised_amount', sa.Float(), nullable=True),
    sa.Column('revised_amount', sa.Float(), nullable=True),
    sa.Column('amount_unit', sa.String(length=20), nullable=False),
    sa.Column('revised_due_at', planner.models.base.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('client_told_at', planner.models.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', planner.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', planner.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_commitments_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_commitments_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_commitments_meeting_id_meetings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_commitments_owner_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitments'))
    )
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitments_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitments_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitments_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitments_request_id'), ['request_id'], unique=False)

    op.create_table('commitment_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', planner.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_commitment_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitments.id'], name=op.f('fk_commitment_events_commitment_id_commitments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment_events'))
    )
    with op.batch_alter_table('commitment_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_events_commitment_id'), ['commitment_id'], unique=False)

    op.create_table('contact_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', planner.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_contact_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_notes_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_contact_notes_meeting_id_meetings'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_notes'))
    )
    with op.batch_alter_table('contact_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_notes_contact_id'), ['contact_id'], unique=False)

    op.create_table('meeting_outcomes',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('reached', sa.String(length=10), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('decisions', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', planner.models.base.UTCDateTime(), nullable=False),
    sa.Column('previous', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_outcomes_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_meeting_outcomes_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_meeting_outcomes'))
    )


def downgrade():
    op.drop_table('meeting_outcomes')
    with op.batch_alter_table('contact_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_notes_contact_id'))
    op.drop_table('contact_notes')
    with op.batch_alter_table('commitment_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_events_commitment_id'))
    op.drop_table('commitment_events')
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitments_request_id'))
        batch_op.drop_index(batch_op.f('ix_commitments_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_commitments_engagement_id'))
        batch_op.drop_index(batch_op.f('ix_commitments_contact_id'))
    op.drop_table('commitments')
