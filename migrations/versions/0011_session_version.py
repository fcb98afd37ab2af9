"""a user's session version: raised to end every session and remember cookie they have

Revision ID: 0011_session_version
Revises: 0010_request_key_and_draft_time
Create Date: 2026-12-06 01:00:00

A logout, a password change and a reset by an operator raise it; cookies carry the version they were made with.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_session_version"
down_revision = "0010_request_key_and_draft_time"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
