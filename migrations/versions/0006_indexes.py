"""indexes for foreign keys that deletions search through

Revision ID: 0006_indexes
Revises: 0002_feeds, 0003_calendars, 0004_requests, 0005_commitments
Create Date: 2026-11-25 01:15:00

Deleting an agenda item sets meeting_requests.agenda_item_id to NULL, and deleting a meeting sets
contact_notes.meeting_id to NULL: without these indexes each deletion reads the whole table.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0006_indexes"
down_revision = ("0002_feeds", "0003_calendars", "0004_requests", "0005_commitments")
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_meeting_requests_agenda_item_id", "meeting_requests", ["agenda_item_id"])
    op.create_index("ix_contact_notes_meeting_id", "contact_notes", ["meeting_id"])


def downgrade():
    op.drop_index("ix_contact_notes_meeting_id", table_name="contact_notes")
    op.drop_index("ix_meeting_requests_agenda_item_id", table_name="meeting_requests")
