"""Two-way sync against real Radicale and Xandikos servers: every scenario ends converged.

Each test links a fresh calendar on the module's server (both kinds, by parametrization) and plays
a scenario; "another calendar app" is a second CalDAV client editing the server directly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from caldav_servers import caldav_server_fixture, fault_proxy_fixture  # noqa: F401
from sqlalchemy import func, select

from planner.caldav_backend import AuthFailed, CalDAVBackend, href_path, resource_name
from planner.extensions import db
from planner.models import CalendarLink, Meeting, SyncConflict, SyncState, utcnow
from planner.operations import calendars as ops
from planner.operations.schedule import cancel_meeting, update_meeting

pytestmark = pytest.mark.caldav


# -- helpers ---------------------------------------------------------------------------------------


def link_new_calendar(
    engagement, server, *, via: str | None = None, on_cancel: str = "status"
) -> CalendarLink:
    link = ops.link_calendar(
        engagement,
        url=via or server.url,
        username=server.username,
        password=server.password,
        calendar_name=f"{engagement.name} {utcnow().timestamp()}",
        on_cancel=on_cancel,
        now=utcnow(),
    )
    db.session.commit()
    return link


def sync(link: CalendarLink, **kwargs) -> ops.SyncResult:
    result = ops.run_sync(link, now=utcnow(), **kwargs)
    db.session.expire_all()
    return result


def other_app(server, link: CalendarLink) -> CalDAVBackend:
    """Another calendar app on the same calendar, talking to the server directly."""
    path = link.calendar_url.split("/", 3)[3]
    return CalDAVBackend(server.url, server.username, server.password, calendar_url=server.url + path)


def server_events(server, link: CalendarLink) -> dict[str, icalendar.Event]:
    """UID -> VEVENT of everything on the server's calendar (asserts one event per UID)."""
    with other_app(server, link) as app:
        fetched = app.multiget(app.list_etags())
    events: dict[str, icalendar.Event] = {}
    for item in fetched.values():
        event = next(iter(icalendar.Calendar.from_ical(item.ics).walk("VEVENT")))
        uid = str(event["UID"])
        assert uid not in events, f"duplicate UID {uid} on the server"
        events[uid] = event
    return events


def edit_on_server(server, link: CalendarLink, uid: str, change) -> None:
    with other_app(server, link) as app:
        href = next(h for h in app.list_etags() if h.endswith(resource_name(uid)))
        item = app.get(href)
        calendar = icalendar.Calendar.from_ical(item.ics)
        event = next(iter(calendar.walk("VEVENT")))
        change(event)
        app.update(href, calendar.to_ical().decode(), item.etag)


def move(event: icalendar.Event, delta: timedelta) -> None:
    start, end = event["DTSTART"].dt, event["DTEND"].dt
    del event["DTSTART"], event["DTEND"]
    event.add("DTSTART", start + delta)
    event.add("DTEND", end + delta)


def set_text(name: str, value: str):
    def change(event: icalendar.Event) -> None:
        del event[name]
        event.add(name, value)

    return change


def local_start(event: icalendar.Event) -> datetime:
    return event["DTSTART"].dt.astimezone(UTC)


def state_of(link: CalendarLink, meeting: Meeting) -> SyncState | None:
    return db.session.scalar(
        select(SyncState).where(SyncState.link_id == link.id, SyncState.meeting_id == meeting.id)
    )


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


# -- push ------------------------------------------------------------------------------------------


def test_push_update_and_cancel_converge_with_few_requests(engagement, meetings, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    first = sync(link)
    assert first.error is None and first.pushed == 4
    events = server_events(caldav_server, link)
    assert set(events) == {m.uid for m in meetings}
    event = events[meetings[0].uid]
    assert "METHOD" not in icalendar.Calendar.from_ical(event.to_ical())
    assert event["DTEND"] is not None and event["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert local_start(event) == meetings[0].starts_at

    quiet = sync(link)
    assert (quiet.pushed, quiet.pulled, quiet.conflicts) == (0, 0, 0)
    assert quiet.requests <= 2

    update_meeting(meetings[1], {"title": "Scope review", "location": "Room 7"}, now=utcnow())
    cancel_meeting(meetings[2], now=utcnow())
    db.session.commit()
    changed = sync(link)
    assert changed.pushed == 2
    assert changed.requests <= 2 + 3
    events = server_events(caldav_server, link)
    assert str(events[meetings[1].uid]["SUMMARY"]) == "Scope review"
    assert str(events[meetings[1].uid]["LOCATION"]) == "Room 7"
    assert str(events[meetings[2].uid]["STATUS"]) == "CANCELLED"
    assert len(events) == 4
    assert sync(link).requests <= 2


def test_cancel_as_delete_removes_the_event_and_nothing_comes_back(engagement, meetings, caldav_server):
    link = link_new_calendar(engagement, caldav_server, on_cancel="delete")
    sync(link)
    cancel_meeting(meetings[0], now=utcnow())
    db.session.commit()
    result = sync(link)
    assert result.deleted == 1
    assert meetings[0].uid not in server_events(caldav_server, link)
    again = sync(link)
    assert (again.removed, again.imported, again.pushed) == (0, 0, 0)
    assert db.session.get(Meeting, meetings[0].id).status == "cancelled"


# -- pull ------------------------------------------------------------------------------------------


def test_moves_on_the_server_are_taken_with_one_report_and_one_multiget(engagement, meetings, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    sync(link)
    sequence = meetings[0].sequence
    for meeting in meetings[:3]:
        edit_on_server(caldav_server, link, meeting.uid, lambda e: move(e, timedelta(hours=2)))
    edit_on_server(caldav_server, link, meetings[3].uid, set_text("LOCATION", "Osaka office"))
    result = sync(link)
    assert result.error is None
    assert result.pulled == 4 and result.conflicts == 0
    assert result.requests == 2  # one sync-collection REPORT, one calendar-multiget REPORT
    moved = db.session.get(Meeting, meetings[0].id)
    assert moved.starts_at == datetime(2027, 3, 1, 3, 0, tzinfo=UTC)
    assert moved.ends_at - moved.starts_at == timedelta(hours=1)
    assert moved.sequence > sequence
    assert db.session.get(Meeting, meetings[3].id).location == "Osaka office"
    assert sync(link).requests <= 2


def test_deleted_on_server_is_flagged_not_deleted_then_pushed_again(engagement, meetings, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    sync(link)
    with other_app(caldav_server, link) as app:
        href = next(h for h in app.list_etags() if h.endswith(resource_name(meetings[0].uid)))
        app.delete(href, None)
    result = sync(link)
    assert result.removed == 1
    meeting = db.session.get(Meeting, meetings[0].id)
    assert meeting.status == "confirmed"
    state = state_of(link, meeting)
    assert state.removed_on_server
    # A local edit does not resurrect it behind the team's back.
    update_meeting(meeting, {"title": "Edited while removed"}, now=utcnow())
    db.session.commit()
    assert sync(link).pushed == 0
    assert meeting.uid not in server_events(caldav_server, link)

    ops.push_again(state_of(link, meeting), now=utcnow())
    db.session.commit()
    assert sync(link).pushed == 1
    events = server_events(caldav_server, link)
    assert len(events) == 4
    new_uid = state_of(link, meeting).uid
    assert new_uid != meeting.uid and str(events[new_uid]["SUMMARY"]) == "Edited while removed"
    assert sync(link).requests <= 2


def test_accepting_a_server_deletion_cancels_the_meeting(engagement, meetings, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    sync(link)
    with other_app(caldav_server, link) as app:
        href = next(h for h in app.list_etags() if h.endswith(resource_name(meetings[1].uid)))
        app.delete(href, None)
    sync(link)
    ops.cancel_removed(state_of(link, meetings[1]), now=utcnow())
    db.session.commit()
    assert db.session.get(Meeting, meetings[1].id).status == "cancelled"
    result = sync(link)
    assert (result.pushed, result.removed, result.imported) == (0, 0, 0)


def test_event_created_on_the_server_is_imported_with_purpose_missing(engagement, meetings, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    sync(link)
    calendar = icalendar.Calendar()
    calendar.add("PRODID", "-//Other app//EN")
    calendar.add("VERSION", "2.0")
    event = icalendar.Event()
    event.add("UID", "added-in-phone@example.com")
    event.add("DTSTAMP", datetime(2026, 11, 1, tzinfo=UTC))
    event.add("DTSTART", datetime(2027, 3, 10, 5, 0, tzinfo=UTC))
    event.add("DTEND", datetime(2027, 3, 10, 5, 30, tzinfo=UTC))
    event.add("SUMMARY", "Quick sync with Tanaka-san")
    event.add("DESCRIPTION", "Call about the invoice")
    calendar.add_component(event)
    with other_app(caldav_server, link) as app:
        app.create(href_path(app.calendar_url) + "phone.ics", calendar.to_ical().decode())
    result = sync(link)
    assert result.imported == 1 and result.pushed == 0
    imported = db.session.scalar(select(Meeting).where(Meeting.title == "Quick sync with Tanaka-san"))
    assert imported.purpose_missing and imported.purpose == ""
    assert imported.starts_at == datetime(2027, 3, 10, 5, 0, tzinfo=UTC)
    assert "Call about the invoice" in imported.internal_notes
    again = sync(link)
    assert (again.imported, again.pushed) == (0, 0)
    assert db.session.scalar(select(func.count(Meeting.id))) == 5
    assert len(server_events(caldav_server, link)) == 5


# -- conflicts -------------------------------------------------------------------------------------


def test_both_sides_moved_planner_wins_and_take_theirs_applies_the_server_version(
    engagement, meetings, caldav_server
):
    link = link_new_calendar(engagement, caldav_server)
    sync(link)
    meeting = meetings[0]
    edit_on_server(caldav_server, link, meeting.uid, lambda e: move(e, timedelta(hours=5)))
    update_meeting(meeting, {"starts_at": meeting.starts_at + timedelta(days=1)}, now=utcnow())
    db.session.commit()
    ours = meeting.starts_at
    result = sync(link)
    assert result.conflicts == 1 and result.pushed == 1
    assert db.session.get(Meeting, meeting.id).starts_at == ours
    assert local_start(server_events(caldav_server, link)[meeting.uid]) == ours
    conflict = ops.open_conflicts(db.session.get(Meeting, meeting.id))[0]
    assert conflict.field_list == ["time"]
    assert "DTSTART" in conflict.theirs

    # The conflict is recorded once, not again on every run.
    assert sync(link).conflicts == 0
    ops.take_theirs(conflict, now=utcnow())
    db.session.commit()
    theirs = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
    assert db.session.get(Meeting, meeting.id).starts_at == theirs
    assert sync(link).pushed == 1
    assert local_start(server_events(caldav_server, link)[meeting.uid]) == theirs
    assert ops.open_conflicts(db.session.get(Meeting, meeting.id)) == []


def test_description_edited_on_the_server_is_kept_as_a_conflict_not_merged(
    engagement, meetings, caldav_server
):
    link = link_new_calendar(engagement, caldav_server)
    sync(link)
    meeting = meetings[1]
    edit_on_server(caldav_server, link, meeting.uid, set_text("DESCRIPTION", "Bring the signed contract"))
    result = sync(link)
    assert result.conflicts == 1 and result.pushed == 1
    served = server_events(caldav_server, link)[meeting.uid]
    assert "Agree the scope of the order-entry screens" in str(served["DESCRIPTION"])
    assert "Bring the signed contract" not in str(served["DESCRIPTION"])
    conflict = ops.open_conflicts(db.session.get(Meeting, meeting.id))[0]
    assert conflict.field_list == ["description"]
    assert "Bring the signed contract" in conflict.theirs
    assert db.session.get(Meeting, meeting.id).purpose == "Agree the scope of the order-entry screens"


# -- faults ----------------------------------------------------------------------------------------


def test_server_restarted_mid_sync_resumes_without_duplicates(engagement, make_meeting, caldav_server):
    base = datetime(2027, 4, 1, 1, 0, tzinfo=UTC)
    created = [make_meeting(engagement, title=f"M{n}", starts_at=base + timedelta(days=n)) for n in range(8)]
    link = link_new_calendar(engagement, caldav_server)

    def stop_half_way(done: int, total: int) -> None:
        if done == 4:
            caldav_server.stop()

    try:
        broken = sync(link, progress=stop_half_way)
    finally:
        caldav_server.start()
    assert broken.error and "connect" in broken.error
    link = db.session.get(CalendarLink, link.id)
    assert link.failures == 1 and link.next_attempt_at > link.last_error_at
    resumed = sync(link)
    assert resumed.error is None
    assert set(server_events(caldav_server, link)) == {m.uid for m in created}
    assert db.session.get(CalendarLink, link.id).failures == 0
    assert sync(link).requests <= 2


def test_crash_half_way_loses_no_state_that_matters(engagement, make_meeting, caldav_server):
    base = datetime(2027, 5, 1, 1, 0, tzinfo=UTC)
    created = [make_meeting(engagement, title=f"C{n}", starts_at=base + timedelta(days=n)) for n in range(6)]
    link = link_new_calendar(engagement, caldav_server)

    def crash(done: int, total: int) -> None:
        if done == 3:
            raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        sync(link, progress=crash)
    # The PUTs reached the server, the state of the batch did not reach the database.
    assert db.session.scalar(select(func.count(SyncState.id))) == 0
    resumed = sync(link)
    assert resumed.error is None
    assert set(server_events(caldav_server, link)) == {m.uid for m in created}
    assert db.session.scalar(select(func.count(SyncState.id))) == 6
    assert sync(link).requests <= 2


@pytest.fixture
def proxied(engagement, meetings, caldav_server, fault_proxy):
    link = link_new_calendar(engagement, caldav_server, via=fault_proxy.url)
    return link


def test_reply_lost_after_the_server_applied_a_create_makes_no_duplicate(proxied, caldav_server, fault_proxy):
    fault_proxy.inject("drop_after", count=1, methods={"PUT"})
    first = sync(proxied)
    assert first.error is not None
    second = sync(proxied)
    assert second.error is None
    assert len(server_events(caldav_server, proxied)) == 4
    assert sync(proxied).requests <= 2


def test_dropped_connection_and_503_back_off_then_converge(proxied, caldav_server, fault_proxy):
    fault_proxy.inject("drop", count=1, methods={"REPORT"})
    dropped = sync(proxied)
    assert dropped.error and "will retry" in dropped.error.lower()
    link = db.session.get(CalendarLink, proxied.id)
    first_wait = link.next_attempt_at - link.last_error_at
    fault_proxy.inject("503", count=1, methods={"PUT"})
    busy = sync(link)
    assert busy.error and "busy" in busy.error
    link = db.session.get(CalendarLink, proxied.id)
    assert link.failures == 2
    assert link.next_attempt_at - link.last_error_at > first_wait
    assert ops.pending_count(link) >= 1
    ok = sync(link)
    assert ok.error is None
    assert len(server_events(caldav_server, link)) == 4
    assert ops.pending_count(db.session.get(CalendarLink, proxied.id)) == 0


def test_injected_412_is_resolved_by_looking_again(proxied, caldav_server, fault_proxy, meetings):
    sync(proxied)
    update_meeting(meetings[0], {"title": "After a 412"}, now=utcnow())
    db.session.commit()
    fault_proxy.inject("412", count=1, methods={"PUT"})
    result = sync(proxied)
    assert result.error is None and result.pushed == 1 and result.conflicts == 0
    assert str(server_events(caldav_server, proxied)[meetings[0].uid]["SUMMARY"]) == "After a 412"


def test_slow_server_times_out_then_converges(app, proxied, caldav_server, fault_proxy):
    app.config["CALDAV_TIMEOUT"] = 0.5
    fault_proxy.inject("delay", count=1, seconds=1.5)
    slow = sync(proxied)
    assert slow.error and "in time" in slow.error
    fault_proxy.inject("delay", count=1, seconds=0.1)
    ok = sync(proxied)
    assert ok.error is None
    assert len(server_events(caldav_server, proxied)) == 4


def test_expired_sync_token_falls_back_to_a_full_listing(engagement, meetings, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    sync(link)
    link = db.session.get(CalendarLink, link.id)
    link.sync_token = "http://radicale.org/ns/sync/expired" if caldav_server.kind == "radicale" else "expired"
    db.session.commit()
    edit_on_server(caldav_server, link, meetings[0].uid, set_text("LOCATION", "Nagoya"))
    result = sync(link)
    assert result.error is None and result.pulled == 1 and result.pushed == 0
    assert db.session.get(Meeting, meetings[0].id).location == "Nagoya"
    assert len(server_events(caldav_server, link)) == 4


def test_wrong_password_and_deleted_calendar_are_explained(engagement, meetings, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    sync(link)
    if caldav_server.kind == "radicale":
        ops.update_link(link, password="wrong-password-123")
        db.session.commit()
        result = sync(link)
        assert result.error and "password" in result.error
        assert "wrong-password-123" not in result.error
        assert not AuthFailed.retry
        ops.update_link(link, password=caldav_server.password)
        db.session.commit()
    with other_app(caldav_server, link) as app:
        app._request("DELETE", app.calendar_url)
    gone = sync(link)
    assert gone.error and "no longer exists" in gone.error
    assert db.session.scalar(select(func.count(Meeting.id))) == 4


def test_one_sync_at_a_time_per_link(engagement, meetings, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    now = utcnow()
    assert ops.acquire_lease(link.id, "other-worker", now)
    busy = ops.run_sync(link, now=now)
    assert busy.busy and busy.requests == 0
    ops.release_lease(link.id, "other-worker")
    assert ops.run_sync(link, now=utcnow()).pushed == 4


def test_unchanged_meetings_cost_nothing_whatever_n(engagement, make_meeting, caldav_server):
    base = datetime(2027, 6, 1, 1, 0, tzinfo=UTC)
    many = [make_meeting(engagement, title=f"N{n}", starts_at=base + timedelta(hours=n)) for n in range(20)]
    link = link_new_calendar(engagement, caldav_server)
    assert sync(link).pushed == 20
    assert sync(link).requests <= 2
    for meeting in many[:3]:
        update_meeting(meeting, {"location": "Remote"}, now=utcnow())
    db.session.commit()
    result = sync(link)
    assert result.pushed == 3 and result.requests <= 3 + 3


def test_password_is_encrypted_at_rest(engagement, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    assert caldav_server.password not in link.secret
    assert ops.decrypt_password(link.secret) == caldav_server.password


def test_conflict_records_are_not_duplicated(engagement, meetings, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    sync(link)
    edit_on_server(caldav_server, link, meetings[2].uid, set_text("SUMMARY", "Renamed in phone"))
    sync(link)
    sync(link)
    count = db.session.scalar(
        select(func.count(SyncConflict.id)).where(SyncConflict.meeting_id == meetings[2].id)
    )
    assert count == 1


def test_event_deleted_on_the_server_right_after_we_created_it_is_noticed(
    engagement, meetings, caldav_server
):
    link = link_new_calendar(engagement, caldav_server)

    def delete_first(done: int, total: int) -> None:
        if done == 1:
            with other_app(caldav_server, link) as app:
                for href in app.list_etags():
                    app.delete(href, None)

    result = sync(link, progress=delete_first)
    assert result.error is None
    removed = [m for m in meetings if state_of(link, m).removed_on_server]
    assert len(removed) == 1
    assert set(server_events(caldav_server, link)) == {m.uid for m in meetings} - {removed[0].uid}
    assert sync(link).requests <= 2


def test_event_changed_on_the_server_during_the_sync_is_merged(engagement, meetings, caldav_server):
    link = link_new_calendar(engagement, caldav_server)
    sync(link)
    update_meeting(meetings[0], {"title": "First, renamed here"}, now=utcnow())
    update_meeting(meetings[1], {"title": "Second, renamed here"}, now=utcnow())
    db.session.commit()
    second_uid = meetings[1].uid

    def edit_second_meanwhile(done: int, total: int) -> None:
        if done == 1:
            # Our write of the second event is now stale (a 412, or a schedule-tag mismatch on Xandikos).
            edit_on_server(caldav_server, link, second_uid, set_text("LOCATION", "Kyoto"))

    result = sync(link, progress=edit_second_meanwhile)
    assert result.error is None and result.conflicts == 0
    served = server_events(caldav_server, link)[second_uid]
    assert str(served["SUMMARY"]) == "Second, renamed here"
    assert str(served["LOCATION"]) == "Kyoto"
    assert db.session.get(Meeting, meetings[1].id).location == "Kyoto"
    assert sync(link).requests <= 2
