"""hours a contact takes calls

Revision ID: 0008_call_hours
Revises: 0007_activity
Create Date: 2026-11-25 09:30:00

A proposed call falls inside the hours the contact told us they can take one.
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0008_call_hours"
down_revision = "0007_activity"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("call_from", sa.Time(), nullable=True))
        batch.add_column(sa.Column("call_until", sa.Time(), nullable=True))


def downgrade():
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("call_until")
        batch.drop_column("call_from")
