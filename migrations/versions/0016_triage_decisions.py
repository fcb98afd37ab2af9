"""a request's decision kept as data, the engagement's new triage thresholds, who signs and who is addressed

Revision ID: 0016_triage_decisions
Revises: 0015_calendar_refusals
Create Date: 2026-12-06 01:00:00

A request's history and its decision (rule parameters, proposed slots, format) are stored as data and its explanation is written
when it is shown, in the reader's language; the stored English and Japanese explanations are kept inside
that data for requests decided before, and the history's old sentences as its text, so they stay readable. Engagements gain the thresholds of the new
rules and a lunch hour (12:00-13:00 in Japan), contacts a department, users the company, title and phone
their replies are signed with.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0016_triage_decisions"
down_revision = "0015_calendar_refusals"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meeting_requests") as batch:
        batch.add_column(sa.Column("decision", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("format", sa.String(20), nullable=True))
        batch.add_column(sa.Column("proposed_slots", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("booking_nonce", sa.String(32), nullable=True))
        batch.add_column(sa.Column("booking_hash", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_meeting_requests_booking_hash", ["booking_hash"])
    requests = sa.table(
        "meeting_requests",
        sa.column("id", sa.Integer),
        sa.column("explanation_en", sa.Text),
        sa.column("explanation_ja", sa.Text),
        sa.column("decision", sa.JSON),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(requests.c.id, requests.c.explanation_en, requests.c.explanation_ja).where(
            sa.or_(requests.c.explanation_en != "", requests.c.explanation_ja != "")
        )
    ).all()
    for row in rows:
        data = {"legacy": {"en": row.explanation_en or "", "ja": row.explanation_ja or ""}}
        connection.execute(requests.update().where(requests.c.id == row.id).values(decision=data))
    with op.batch_alter_table("meeting_requests") as batch:
        batch.drop_column("explanation_en")
        batch.drop_column("explanation_ja")

    with op.batch_alter_table("engagements") as batch:
        batch.add_column(
            sa.Column("simple_question_minutes", sa.Integer(), nullable=False, server_default="10")
        )
        batch.add_column(sa.Column("many_people", sa.Integer(), nullable=False, server_default="5"))
        batch.add_column(sa.Column("new_work_minutes", sa.Integer(), nullable=False, server_default="60"))
        batch.add_column(sa.Column("estimate_working_days", sa.Integer(), nullable=False, server_default="5"))
        batch.add_column(sa.Column("lunch_from", sa.Time(), nullable=True))
        batch.add_column(sa.Column("lunch_until", sa.Time(), nullable=True))
        batch.add_column(
            sa.Column(
                "requests_user_id",
                sa.Integer(),
                sa.ForeignKey("users.id", name="fk_engagements_requests_user", ondelete="SET NULL"),
                nullable=True,
            )
        )
    engagements = sa.table(
        "engagements",
        sa.column("country", sa.String),
        sa.column("timezone", sa.String),
        sa.column("lunch_from", sa.Time),
        sa.column("lunch_until", sa.Time),
    )
    import datetime as _dt

    connection.execute(
        engagements.update()
        .where(
            sa.or_(
                engagements.c.country == "JP",
                sa.and_(engagements.c.country.is_(None), engagements.c.timezone == "Asia/Tokyo"),
            )
        )
        .values(lunch_from=_dt.time(12), lunch_until=_dt.time(13))
    )

    with op.batch_alter_table("request_events") as batch:
        batch.add_column(sa.Column("data", sa.JSON(), nullable=True))
    events = sa.table(
        "request_events", sa.column("id", sa.Integer), sa.column("detail", sa.Text), sa.column("data", sa.JSON)
    )
    for row in connection.execute(sa.select(events.c.id, events.c.detail)).all():
        # Words written before: kept as they were, shown as they are.
        connection.execute(events.update().where(events.c.id == row.id).values(data={"text": row.detail or ""}))
    with op.batch_alter_table("request_events") as batch:
        batch.alter_column("data", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("detail")

    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("department", sa.String(200), nullable=False, server_default=""))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("company", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("title", sa.String(120), nullable=False, server_default=""))
        batch.add_column(sa.Column("phone", sa.String(40), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone")
        batch.drop_column("title")
        batch.drop_column("company")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("department")
    with op.batch_alter_table("request_events") as batch:
        batch.add_column(sa.Column("detail", sa.Text(), nullable=False, server_default=""))
    events = sa.table(
        "request_events", sa.column("id", sa.Integer), sa.column("detail", sa.Text), sa.column("data", sa.JSON)
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(events.c.id, events.c.data)).all():
        data = row.data if isinstance(row.data, dict) else json.loads(row.data or "null") or {}
        text = data.get("text") or json.dumps(data, ensure_ascii=False)
        connection.execute(events.update().where(events.c.id == row.id).values(detail=text))
    with op.batch_alter_table("request_events") as batch:
        batch.drop_column("data")
    with op.batch_alter_table("engagements") as batch:
        batch.drop_column("requests_user_id")
        batch.drop_column("lunch_until")
        batch.drop_column("lunch_from")
        batch.drop_column("estimate_working_days")
        batch.drop_column("new_work_minutes")
        batch.drop_column("many_people")
        batch.drop_column("simple_question_minutes")
    with op.batch_alter_table("meeting_requests") as batch:
        batch.add_column(sa.Column("explanation_en", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("explanation_ja", sa.Text(), nullable=False, server_default=""))
    requests = sa.table(
        "meeting_requests",
        sa.column("id", sa.Integer),
        sa.column("explanation_en", sa.Text),
        sa.column("explanation_ja", sa.Text),
        sa.column("decision", sa.JSON),
    )
    for row in connection.execute(sa.select(requests.c.id, requests.c.decision)).all():
        data = row.decision if isinstance(row.decision, dict) else json.loads(row.decision or "null") or {}
        legacy = data.get("legacy") or {}
        connection.execute(
            requests.update()
            .where(requests.c.id == row.id)
            .values(explanation_en=legacy.get("en", ""), explanation_ja=legacy.get("ja", ""))
        )
    with op.batch_alter_table("meeting_requests") as batch:
        batch.drop_constraint("uq_meeting_requests_booking_hash", type_="unique")
        batch.drop_column("booking_hash")
        batch.drop_column("booking_nonce")
        batch.drop_column("proposed_slots")
        batch.drop_column("format")
        batch.drop_column("decision")
