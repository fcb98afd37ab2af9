"""a member's personal calendars, read for busy times when free slots are proposed

Revision ID: 0017_busy_calendars
Revises: 0016_triage_decisions
Create Date: 2026-12-06 02:15:00
"""

import sqlalchemy as sa
from alembic import op

import planner.models.base

revision = "0017_busy_calendars"
down_revision = "0016_triage_decisions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "busy_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("server_url", sa.String(500), nullable=False),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("calendar_url", sa.String(500), nullable=False),
        sa.Column("created_at", planner.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("busy_calendars") as batch:
        batch.create_index("ix_busy_calendars_user_id", ["user_id"])


def downgrade():
    with op.batch_alter_table("busy_calendars") as batch:
        batch.drop_index("ix_busy_calendars_user_id")
    op.drop_table("busy_calendars")
