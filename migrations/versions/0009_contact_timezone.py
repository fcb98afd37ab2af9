"""the time zone a contact lives in

Revision ID: 0009_contact_timezone
Revises: 0008_call_hours
Create Date: 2026-11-25 12:10:00

Call hours are wall-clock times where the contact is; empty means the engagement's zone.
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0009_contact_timezone"
down_revision = "0008_call_hours"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("timezone")
