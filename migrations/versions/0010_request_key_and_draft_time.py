"""an API caller's Idempotency-Key on a meeting request, and when its reply was drafted

Revision ID: 0010_request_key_and_draft_time
Revises: 0009_contact_timezone
Create Date: 2026-12-03 18:40:00

A retried POST with the same key is the request already received, not a second one. An answer by mail is
due on the day the reply promised, counted from when it was drafted.
"""

import sqlalchemy as sa
from alembic import op

import planner.models.base


# revision identifiers, used by Alembic.
revision = "0010_request_key_and_draft_time"
down_revision = "0009_contact_timezone"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meeting_requests") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(255), nullable=True))
        batch.add_column(sa.Column("body_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("reply_drafted_at", planner.models.base.UTCDateTime(), nullable=True))
        batch.create_index(
            "uq_meeting_requests_idempotency_key", ["engagement_id", "idempotency_key"], unique=True
        )


def downgrade():
    with op.batch_alter_table("meeting_requests") as batch:
        batch.drop_index("uq_meeting_requests_idempotency_key")
        batch.drop_column("reply_drafted_at")
        batch.drop_column("body_digest")
        batch.drop_column("idempotency_key")
