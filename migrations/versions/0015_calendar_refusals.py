"""calendar sync: refused events, occurrences of repeating events, kept organizers, error codes

Revision ID: 0015_calendar_refusals
Revises: 0014_idempotent_answers
Create Date: 2026-12-06 01:10:00

A meeting a calendar server refused is flagged with the server's reason and tried again; a meeting
that is one occurrence of a repeating event there remembers which one; the ORGANIZER and ATTENDEEs of
an event made elsewhere are written back with it; a link's last error is kept as a code so that it
is shown in the reader's language.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_calendar_refusals"
down_revision = "0014_idempotent_answers"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("calendar_links") as batch:
        batch.add_column(sa.Column("last_error_code", sa.String(40), nullable=True))
        batch.add_column(sa.Column("last_error_params", sa.Text(), nullable=True))
    with op.batch_alter_table("calendar_sync_states") as batch:
        batch.add_column(sa.Column("refused", sa.String(80), nullable=True))
        batch.add_column(sa.Column("refused_detail", sa.Text(), nullable=True))
        batch.add_column(sa.Column("refused_sequence", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("recurrence_id", sa.String(40), nullable=True))
        batch.add_column(sa.Column("kept", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("calendar_sync_states") as batch:
        batch.drop_column("kept")
        batch.drop_column("recurrence_id")
        batch.drop_column("refused_sequence")
        batch.drop_column("refused_detail")
        batch.drop_column("refused")
    with op.batch_alter_table("calendar_links") as batch:
        batch.drop_column("last_error_params")
        batch.drop_column("last_error_code")
