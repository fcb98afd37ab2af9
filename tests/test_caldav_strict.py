"""Sync against a strict production-like server (the fault proxy in strict mode) on Radicale and Xandikos.

The proxy refuses X- properties without a value (``valid-calendar-data``), keeps UIDs unique across
the account's calendars (``unique-scheduling-object-resource`` naming the holder) and answers a PUT
of an event with an ORGANIZER without an ETag. Every scenario ends converged: no link stops,
nothing is reported synced that was not written, no duplicates on either side.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
import pytest
from caldav_servers import caldav_server_fixture, fault_proxy_fixture  # noqa: F401
from sqlalchemy import func, select
from test_caldav_sync import link_new_calendar, other_app, server_events, state_of, sync

from planner.caldav_backend import CalDAVBackend, href_path
from planner.extensions import db
from planner.ical import event_calendar, meeting_to_vevent
from planner.models import CalendarLink, Meeting, SyncState, utcnow
from planner.operations import calendars as ops
from planner.operations.schedule import update_meeting

pytestmark = pytest.mark.caldav


@pytest.fixture
def engagement(make_engagement):
    return make_engagement(name="Renewal", timezone="Asia/Tokyo")


@pytest.fixture
def meetings(engagement, make_meeting):
    base = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
    return [
        make_meeting(engagement, title=f"Meeting {n}", starts_at=base + timedelta(days=n), location="Room A")
        for n in range(4)
    ]


@pytest.fixture
def strict(caldav_server, fault_proxy):
    fault_proxy.strict(urlsplit(caldav_server.calendar_home).path)
    return fault_proxy


def phone_event(uid: str, title: str, start: datetime, **extra) -> str:
    """An event as a phone's calendar app writes it: no X-PLANNER properties, its own UID."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", "-//Phone//EN")
    calendar.add("VERSION", "2.0")
    event = icalendar.Event()
    event.add("UID", uid)
    event.add("DTSTAMP", datetime(2026, 11, 1, tzinfo=UTC))
    event.add("DTSTART", start)
    event.add("DTEND", start + timedelta(minutes=30))
    event.add("SUMMARY", title)
    for name, value in extra.items():
        event.add(name.replace("_", "-"), value)
    calendar.add_component(event)
    return calendar.to_ical().decode()


def put_on_server(server, link: CalendarLink, name: str, ics: str) -> None:
    with other_app(server, link) as app:
        app.create(href_path(app.calendar_url) + name, ics)


def meeting_count() -> int:
    return db.session.scalar(select(func.count(Meeting.id)))


def fresh(uid: str) -> str:
    """A UID of the test's own: one server serves both databases' runs, and UIDs are unique per account."""
    return uid.replace("@", f"-{uuid.uuid4().hex[:8]}@")


def test_imported_meeting_is_written_back_without_empty_properties(
    engagement, meetings, caldav_server, strict
):
    PHONE_UID = fresh("p1@phone")  # noqa: N806
    link = link_new_calendar(engagement, caldav_server, via=strict.url)
    assert sync(link).pushed == 4
    put_on_server(
        caldav_server,
        link,
        "phone.ics",
        phone_event(PHONE_UID, "Call Tanaka-san", datetime(2027, 3, 9, 2, 0, tzinfo=UTC)),
    )
    assert sync(link).imported == 1
    imported = db.session.scalar(select(Meeting).where(Meeting.title == "Call Tanaka-san"))
    assert imported.purpose == "" and imported.purpose_missing

    update_meeting(imported, {"title": "Call Tanaka-san about the invoice"}, now=utcnow())
    db.session.commit()
    result = sync(link)
    assert result.error is None and result.pushed == 1 and result.refused == 0
    served = server_events(caldav_server, link)[PHONE_UID]
    assert str(served["SUMMARY"]) == "Call Tanaka-san about the invoice"
    assert "X-PLANNER-PURPOSE" not in served
    assert db.session.get(CalendarLink, link.id).last_error is None
    assert ops.pending_count(db.session.get(CalendarLink, link.id)) == 0
    assert 403 not in {status for _, _, status in strict.seen}
    assert sync(link).requests <= 2


def test_refused_meeting_is_flagged_with_the_reason_and_the_rest_goes_on(
    engagement, meetings, caldav_server, strict
):
    strict.refuse("Meeting 2", "Property SUMMARY is not allowed by the server's policy")
    link = link_new_calendar(engagement, caldav_server, via=strict.url)
    result = sync(link)
    assert result.error is None and result.pushed == 3 and result.refused == 1
    assert result.notes == [
        {
            "code": "refused",
            "title": "Meeting 2",
            "precondition": "valid-calendar-data",
            "detail": "Property SUMMARY is not allowed by the server's policy",
        }
    ]
    link = db.session.get(CalendarLink, link.id)
    assert link.last_error is None and link.failures == 0
    state = state_of(link, meetings[2])
    assert state.refused == "valid-calendar-data" and state.etag is None
    assert "not allowed" in state.refused_detail
    assert ops.pending_count(link) == 1
    assert set(server_events(caldav_server, link)) == {m.uid for m in meetings} - {meetings[2].uid}

    # Not tried again while nothing changed: a quiet sync stays quiet and nothing is reported as sent.
    quiet = sync(link)
    assert (quiet.pushed, quiet.refused) == (0, 0) and quiet.requests <= 2

    update_meeting(meetings[2], {"title": "Budget review"}, now=utcnow())
    db.session.commit()
    retried = sync(link)
    assert retried.pushed == 1 and retried.refused == 0
    assert state_of(link, meetings[2]).refused is None
    assert ops.pending_count(db.session.get(CalendarLink, link.id)) == 0
    assert len(server_events(caldav_server, link)) == 4


def test_one_engagement_on_two_calendars_of_the_same_account(engagement, meetings, caldav_server, strict):
    first = link_new_calendar(engagement, caldav_server, via=strict.url)
    second = link_new_calendar(engagement, caldav_server, via=strict.url)
    assert sync(first).pushed == 4
    result = sync(second)
    assert result.error is None and result.pushed == 4 and result.imported == 0
    assert 403 in {status for _, _, status in strict.seen}  # the UIDs were taken by the first calendar
    in_first, in_second = server_events(caldav_server, first), server_events(caldav_server, second)
    assert set(in_first) == {m.uid for m in meetings}
    assert len(in_second) == 4 and not set(in_second) & set(in_first)
    assert {str(e["SUMMARY"]) for e in in_second.values()} == {m.title for m in meetings}

    update_meeting(meetings[0], {"title": "Kickoff, moved room"}, now=utcnow())
    db.session.commit()
    assert sync(first).pushed == 1 and sync(second).pushed == 1
    second_uid = state_of(second, meetings[0]).uid
    assert str(server_events(caldav_server, second)[second_uid]["SUMMARY"]) == "Kickoff, moved room"
    assert sync(first).requests <= 2 and sync(second).requests <= 2
    assert meeting_count() == 4


def test_calendar_holding_an_imported_export_is_linked_without_duplicates(
    client, login, make_user, make_engagement, make_meeting, caldav_server, strict
):
    owner = make_user()
    engagement = make_engagement(owner=owner, name="Renewal", timezone="Asia/Tokyo")
    base = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
    meetings = [
        make_meeting(engagement, title=f"Meeting {n}", starts_at=base + timedelta(days=n)) for n in range(4)
    ]
    login(client, owner)
    export = client.get(f"/engagements/{engagement.id}/export.ics")
    assert export.status_code == 200
    # The team imported the planner's .ics export into a calendar: the app stores each event as a resource
    # of its own, same UID, under a name of its choosing (and drops METHOD, which a resource may not have).
    exported = icalendar.Calendar.from_ical(export.data)
    with CalDAVBackend(caldav_server.url, caldav_server.username, caldav_server.password) as app:
        calendar_url = app.create_calendar("Imported export").url
        app.calendar_url = calendar_url
        for n, event in enumerate(exported.walk("VEVENT")):
            single = icalendar.Calendar()
            single.add("PRODID", "-//Phone//EN")
            single.add("VERSION", "2.0")
            for timezone in exported.walk("VTIMEZONE"):
                single.add_component(timezone)
            single.add_component(event)
            app.create(href_path(calendar_url) + f"import-{n}.ics", single.to_ical().decode())
    assert "ORGANIZER" in export.get_data(as_text=True)
    # The export was made before this change: the copy in the calendar is one version behind.
    update_meeting(meetings[0], {"title": "Kickoff (renamed after the export)"}, now=utcnow())
    db.session.commit()
    link = ops.link_calendar(
        engagement,
        url=strict.url,
        username=caldav_server.username,
        password=caldav_server.password,
        calendar_url=strict.url + href_path(calendar_url).lstrip("/"),
        now=utcnow(),
    )
    db.session.commit()
    result = sync(link)
    assert result.error is None and result.imported == 0
    # Each copy is brought up to the planner's version in place (the export's descriptions carry links).
    # The older title of the renamed one is kept for a person to look at (it may have been typed in the
    # calendar); the planner's own older descriptions are not.
    assert result.pushed == 4 and result.conflicts == 1
    assert [c.field_list for c in ops.open_conflicts(meetings[0])] == [["title"]]
    events = server_events(caldav_server, link)
    assert set(events) == {m.uid for m in meetings}
    assert str(events[meetings[0].uid]["SUMMARY"]) == "Kickoff (renamed after the export)"
    assert ops.pending_count(db.session.get(CalendarLink, link.id)) == 0
    assert {href_path(s.href).rsplit("/", 1)[1] for s in db.session.scalars(select(SyncState))} == {
        f"import-{n}.ics" for n in range(4)
    }
    assert meeting_count() == 4

    update_meeting(meetings[1], {"location": "Osaka office"}, now=utcnow())
    db.session.commit()
    assert sync(link).pushed == 1
    assert str(server_events(caldav_server, link)[meetings[1].uid]["LOCATION"]) == "Osaka office"
    assert sync(link).requests <= 2


@pytest.mark.parametrize("strictness", ["strict", "plain"])
def test_a_copy_appearing_under_another_name_during_the_sync_is_taken_over(
    engagement, meetings, caldav_server, fault_proxy, strictness
):
    if strictness == "strict":
        fault_proxy.strict(urlsplit(caldav_server.calendar_home).path)
    link = link_new_calendar(engagement, caldav_server, via=fault_proxy.url)
    late = meetings[3]

    def copy_last_meanwhile(done: int, total: int) -> None:
        if done == 1:
            event = meeting_to_vevent(late, zone=engagement.timezone, page_url=None, audience="team")
            put_on_server(
                caldav_server, link, "copy.ics", event_calendar(event, engagement.timezone).to_ical().decode()
            )

    result = sync(link, progress=copy_last_meanwhile)
    assert result.error is None
    assert state_of(link, late).href.endswith("/copy.ics")
    assert set(server_events(caldav_server, link)) == {m.uid for m in meetings}
    update_meeting(late, {"title": "Taken over"}, now=utcnow())
    db.session.commit()
    assert sync(link).pushed == 1
    assert str(server_events(caldav_server, link)[late.uid]["SUMMARY"]) == "Taken over"
    assert meeting_count() == 4


def test_event_with_an_organizer_is_followed_without_an_etag_in_the_reply(
    engagement, meetings, caldav_server, strict
):
    INVITE_UID = fresh("inv-1@client.example")  # noqa: N806
    link = link_new_calendar(engagement, caldav_server, via=strict.url)
    sync(link)
    organizer = icalendar.vCalAddress("mailto:sato@client.example")
    organizer.params["CN"] = "Sato"
    guest = icalendar.vCalAddress("mailto:planner@team.example")
    put_on_server(
        caldav_server,
        link,
        "invite.ics",
        phone_event(
            INVITE_UID,
            "Design review (client)",
            datetime(2027, 3, 12, 5, 0, tzinfo=UTC),
            organizer=organizer,
            attendee=guest,
        ),
    )
    assert sync(link).imported == 1
    meeting = db.session.scalar(select(Meeting).where(Meeting.uid == INVITE_UID))
    update_meeting(meeting, {"purpose": "Walk the client through the screen designs"}, now=utcnow())
    db.session.commit()
    result = sync(link)
    assert result.error is None and result.pushed == 1
    put = [entry for entry in strict.seen if entry[0] == "PUT"][-1]
    assert put[2] in (201, 204)
    state = state_of(link, meeting)
    assert state.etag  # fetched after the reply came without one
    served = server_events(caldav_server, link)[INVITE_UID]
    assert str(served["ORGANIZER"]) == "mailto:sato@client.example"
    assert served["ORGANIZER"].params["SCHEDULE-AGENT"] == "CLIENT"
    assert "Walk the client through" in str(served["X-PLANNER-PURPOSE"])
    assert sync(link).requests <= 2

    # Changed there meanwhile (a 412): read again with a GET that brings no ETag, and written after all.
    update_meeting(meeting, {"location": "Client office, room 3"}, now=utcnow())
    db.session.commit()
    strict.inject("412", count=1, methods={"PUT"})
    retried = sync(link)
    assert retried.error is None and retried.pushed == 1 and retried.notes == []
    assert any(entry[0] == "GET" for entry in strict.seen)
    served = server_events(caldav_server, link)[INVITE_UID]
    assert str(served["LOCATION"]) == "Client office, room 3"
    assert sync(link).requests <= 2
