"""Importing .ics files into an engagement: good files, garbage, known UIDs and missing purposes."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from planner.extensions import db
from planner.models import Meeting

OTHER_TOOL = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Other tool//EN\r
BEGIN:VEVENT\r
UID:draft-1@other.example\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Asia/Tokyo:20270112T100000\r
DTEND;TZID=Asia/Tokyo:20270112T113000\r
SUMMARY:Kickoff with Sakura\r
DESCRIPTION:Bring the org chart\r
LOCATION:Sakura HQ\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:draft-2@other.example\r
DTSTAMP:20260101T000000Z\r
DTSTART:20270119T010000Z\r
DURATION:PT1H\r
SUMMARY:Design review\r
STATUS:TENTATIVE\r
X-PLANNER-PURPOSE:Approve the screen designs\r
X-PLANNER-OUTCOME:Signed-off designs\r
END:VEVENT\r
END:VCALENDAR\r
"""


@pytest.fixture
def engagement(make_user, make_engagement, login, client):
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner, timezone="Asia/Tokyo", language="en")
    login(client, owner)
    return engagement


def test_no_file_chosen(client, engagement):
    answer = client.post(f"/engagements/{engagement.id}/import", data={}, content_type="multipart/form-data")
    assert answer.status_code == 400
    assert "Choose an .ics file" in answer.get_data(as_text=True)
    assert meetings_of(engagement) == []


def upload(client, engagement, data: bytes, name: str = "schedule.ics"):
    return client.post(
        f"/engagements/{engagement.id}/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def flashes(client) -> str:
    with client.session_transaction() as session:
        return " ".join(message for _, message in session.get("_flashes", []))


def meetings_of(engagement) -> list[Meeting]:
    return list(db.session.query(Meeting).filter_by(engagement_id=engagement.id).order_by(Meeting.starts_at))


def test_import_creates_meetings_and_flags_missing_purposes(client, engagement):
    assert client.get(f"/engagements/{engagement.id}/import").status_code == 200
    answer = upload(client, engagement, OTHER_TOOL)
    assert answer.status_code == 302
    kickoff, review = meetings_of(engagement)
    assert kickoff.uid == "draft-1@other.example"
    assert kickoff.title == "Kickoff with Sakura"
    assert kickoff.starts_at == datetime(2027, 1, 12, 1, 0, tzinfo=UTC)
    assert kickoff.ends_at == datetime(2027, 1, 12, 2, 30, tzinfo=UTC)
    assert kickoff.location == "Sakura HQ"
    assert kickoff.purpose_missing is True
    assert kickoff.purpose.startswith("(Purpose missing")
    assert kickoff.internal_notes == "Bring the org chart"
    assert review.purpose == "Approve the screen designs"
    assert review.desired_outcome == "Signed-off designs"
    assert review.purpose_missing is False
    assert review.status == "tentative"
    assert review.ends_at == datetime(2027, 1, 19, 2, 0, tzinfo=UTC)
    assert answer.headers["Location"].endswith(f"/engagements/{engagement.id}")
    messages = flashes(client)
    assert "Imported 2 meetings; skipped 0." in messages
    assert "Purpose missing" in messages


def test_importing_again_skips_known_uids_and_changes_nothing(client, engagement):
    upload(client, engagement, OTHER_TOOL)
    before = {m.uid: (m.title, m.sequence, m.version) for m in meetings_of(engagement)}
    changed = OTHER_TOOL.replace(b"SUMMARY:Kickoff with Sakura", b"SUMMARY:Renamed elsewhere")
    answer = upload(client, engagement, changed)
    assert answer.status_code == 302
    db.session.expire_all()
    assert {m.uid: (m.title, m.sequence, m.version) for m in meetings_of(engagement)} == before
    messages = flashes(client)
    assert "Imported 0 meetings; skipped 2." in messages
    assert "already in this engagement" in messages


def test_same_uid_in_another_engagement_is_imported_under_a_new_uid(client, engagement, make_engagement):
    other = make_engagement(owner=engagement.members[0].user, name="Other")
    upload(client, other, OTHER_TOOL)
    upload(client, engagement, OTHER_TOOL)
    mine = meetings_of(engagement)
    assert len(mine) == 2
    assert all(m.uid not in ("draft-1@other.example", "draft-2@other.example") for m in mine)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00garbage", "not text"),
        (b"Subject: hello\r\n\r\nnot a calendar", "not an iCalendar (.ics) file"),
        (OTHER_TOOL[: len(OTHER_TOOL) // 2], "cut off before its end"),
        (
            OTHER_TOOL.replace(b"DTSTART:20270119T010000Z", b"DTSTART:tomorrow"),
            "The event draft-2@other.example has a date that cannot be read.",
        ),
    ],
    ids=["empty", "binary", "text", "truncated", "bad-date"],
)
def test_bad_files_get_a_clear_error_and_change_nothing(client, engagement, data, reason):
    answer = upload(client, engagement, data)
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert reason in html
    assert "Nothing was imported" in html
    assert meetings_of(engagement) == []
    revision = engagement.revision
    db.session.refresh(engagement)
    assert engagement.revision == revision


def test_a_weekly_series_becomes_meetings(client, engagement):
    series = OTHER_TOOL.replace(b"DURATION:PT1H\r\n", b"DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n")
    assert upload(client, engagement, series).status_code == 302
    reviews = [m for m in meetings_of(engagement) if m.title == "Design review"]
    assert [m.starts_at.day for m in reviews] == [19, 26, 2]
    assert all(m.purpose == "Approve the screen designs" for m in reviews)
    assert len({m.uid for m in reviews}) == 3


def test_export_then_import_round_trips_the_schedule(client, engagement, make_engagement, make_meeting):
    from planner.models import utcnow
    from planner.operations.schedule import add_agenda_item

    source = make_engagement(owner=engagement.members[0].user, name="Template", timezone="Europe/Berlin")
    kickoff = make_meeting(
        source, title="Kickoff", kind="kickoff", desired_outcome="Agreed plan", status="tentative"
    )
    add_agenda_item(kickoff, title="Introductions, roles; rules", minutes=15, now=utcnow())
    add_agenda_item(kickoff, title="日本語の議題", minutes=30, now=utcnow())
    db.session.commit()
    exported = client.get(f"/engagements/{source.id}/export.ics").data
    assert upload(client, engagement, exported).status_code == 302
    (copy,) = meetings_of(engagement)
    assert copy.uid != kickoff.uid  # UIDs are global: the copy gets its own
    for name in ("title", "purpose", "desired_outcome", "kind", "starts_at", "ends_at", "status"):
        assert getattr(copy, name) == getattr(kickoff, name), name
    assert copy.purpose_missing is False
    agenda = [(i.title, i.minutes) for i in copy.agenda]
    assert agenda == [("Introductions, roles; rules", 15), ("日本語の議題", 30)]
