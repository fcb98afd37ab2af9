"""invitations to an engagement, by email, until the invited person next logs in

Revision ID: 0012_invitations
Revises: 0011_session_version
Create Date: 2026-12-06 01:10:00

Adding a member by email no longer says whether an account exists: every addition is an invitation.
"""

import sqlalchemy as sa
from alembic import op

import planner.models.base

# revision identifiers, used by Alembic.
revision = "0012_invitations"
down_revision = "0011_session_version"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", planner.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagements.id"], name="fk_invitations_engagement_id_engagements", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"], name="fk_invitations_invited_by_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.UniqueConstraint("engagement_id", "email", name="uq_invitations_engagement_id"),
    )
    op.create_index("ix_invitations_email", "invitations", ["email"])


def downgrade():
    op.drop_index("ix_invitations_email", table_name="invitations")
    op.drop_table("invitations")
