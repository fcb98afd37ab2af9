"""calendar links, sync state and conflicts

Revision ID: 0003_calendars
Revises: 0001_foundation
Create Date: 2026-11-25 01:00:00

"""
from alembic import op
import sqlalchemy as sa

import planner.models.base


revision = "0003_calendars"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("server_url", sa.String(length=500), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("calendar_url", sa.String(length=500), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("on_cancel", sa.String(length=10), nullable=False),
        sa.Column("sync_token", sa.Text(), nullable=True),
        sa.Column("ctag", sa.String(length=255), nullable=True),
        sa.Column("last_full_listing_at", planner.models.base.UTCDateTime(), nullable=True),
        sa.Column("last_success_at", planner.models.base.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", planner.models.base.UTCDateTime(), nullable=True),
        sa.Column("last_counts", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", planner.models.base.UTCDateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", planner.models.base.UTCDateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", planner.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_calendar_links_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_calendar_links_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_links")),
    )
    with op.batch_alter_table("calendar_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_links_engagement_id"), ["engagement_id"], unique=False)

    op.create_table(
        "calendar_sync_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("href", sa.String(length=1000), nullable=False),
        sa.Column("etag", sa.String(length=255), nullable=True),
        sa.Column("schedule_tag", sa.String(length=255), nullable=True),
        sa.Column("pushed_sequence", sa.Integer(), nullable=True),
        sa.Column("pushed_hash", sa.String(length=64), nullable=True),
        sa.Column("base", sa.Text(), nullable=True),
        sa.Column("removed_on_server", sa.Boolean(), nullable=False),
        sa.Column("updated_at", planner.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["calendar_links.id"],
            name=op.f("fk_calendar_sync_states_link_id_calendar_links"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_calendar_sync_states_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_sync_states")),
        sa.UniqueConstraint("link_id", "href", name="uq_calendar_sync_states_link_href"),
        sa.UniqueConstraint("link_id", "meeting_id", name="uq_calendar_sync_states_link_meeting"),
    )
    with op.batch_alter_table("calendar_sync_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_sync_states_link_id"), ["link_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendar_sync_states_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "calendar_sync_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("theirs", sa.Text(), nullable=False),
        sa.Column("created_at", planner.models.base.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", planner.models.base.UTCDateTime(), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["calendar_links.id"],
            name=op.f("fk_calendar_sync_conflicts_link_id_calendar_links"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_calendar_sync_conflicts_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_sync_conflicts")),
    )
    with op.batch_alter_table("calendar_sync_conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_sync_conflicts_link_id"), ["link_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendar_sync_conflicts_meeting_id"), ["meeting_id"], unique=False)


def downgrade():
    with op.batch_alter_table("calendar_sync_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_sync_conflicts_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_sync_conflicts_link_id"))
    op.drop_table("calendar_sync_conflicts")
    with op.batch_alter_table("calendar_sync_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_sync_states_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_sync_states_link_id"))
    op.drop_table("calendar_sync_states")
    with op.batch_alter_table("calendar_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_links_engagement_id"))
    op.drop_table("calendar_links")
