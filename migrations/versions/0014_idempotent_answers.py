"""answers kept for API calls sent with an Idempotency-Key

Revision ID: 0014_idempotent_answers
Revises: 0013_request_page_token
Create Date: 2026-12-06 01:10:00

Every API call that creates something may carry an Idempotency-Key: a retry after a lost answer gets the
first answer again instead of creating a second meeting, contact or commitment.
"""

import sqlalchemy as sa
from alembic import op

import planner.models.base


# revision identifiers, used by Alembic.
revision = "0014_idempotent_answers"
down_revision = "0013_request_page_token"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "idempotent_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(300), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("body_digest", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("created_at", planner.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_idempotent_answers_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_idempotent_answers"),
        sa.UniqueConstraint("user_id", "scope", "key", name="uq_idempotent_answers_user_scope_key"),
    )


def downgrade():
    op.drop_table("idempotent_answers")
