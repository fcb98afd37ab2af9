"""engagement activity counter

Revision ID: 0007_activity
Revises: 0006_indexes
Create Date: 2026-11-25 06:00:00

Goes up with every committed change to an engagement's rows, so that rendered pages know when to re-render.
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0007_activity"
down_revision = "0006_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("engagements") as batch:
        batch.add_column(sa.Column("activity", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("engagements") as batch:
        batch.drop_column("activity")
