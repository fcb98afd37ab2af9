"""a secret link per request for the client who sent it (only its hash is kept)

Revision ID: 0013_request_page_token
Revises: 0012_invitations
Create Date: 2026-12-06 01:30:00

The client's page of a request was reachable by its number under the client link, so anyone with the link
could read every request sent through it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_request_page_token"
down_revision = "0012_invitations"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meeting_requests") as batch:
        batch.add_column(sa.Column("page_token_hash", sa.String(64), nullable=True))
        batch.create_index("uq_meeting_requests_page_token_hash", ["page_token_hash"], unique=True)


def downgrade():
    with op.batch_alter_table("meeting_requests") as batch:
        batch.drop_index("uq_meeting_requests_page_token_hash")
        batch.drop_column("page_token_hash")
