"""feed links

Revision ID: 0002_feeds
Revises: 0001_foundation
Create Date: 2026-11-25 01:00:00

"""
from alembic import op
import sqlalchemy as sa

import planner.models.base


revision = "0002_feeds"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feed_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("audience", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", planner.models.base.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", planner.models.base.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", planner.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_feed_links_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_feed_links_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_feed_links_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_links")),
    )
    with op.batch_alter_table("feed_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_links_engagement_id"), ["engagement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feed_links_token_hash"), ["token_hash"], unique=True)


def downgrade():
    with op.batch_alter_table("feed_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_links_token_hash"))
        batch_op.drop_index(batch_op.f("ix_feed_links_engagement_id"))
    op.drop_table("feed_links")
