"""The sync planner: normalised hashing and the field-by-field policy, as tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from planner.sync import (
    Action,
    BadEvent,
    Local,
    Remote,
    State,
    fields_hash,
    full_listing_due,
    next_attempt,
    parse_event,
    plan_item,
    plan_sync,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

BASE = {
    "uid": "m-1@planner",
    "start": "2026-12-01T01:00:00Z",
    "end": "2026-12-01T02:00:00Z",
    "tzid": "Asia/Tokyo",
    "location": "Room A",
    "title": "Design review",
    "description": "Purpose: agree the design",
    "status": "CONFIRMED",
}


def with_(**changes: str) -> dict[str, str]:
    return {**BASE, **changes}


MOVED = {"start": "2026-12-01T03:00:00Z", "end": "2026-12-01T04:00:00Z"}
MOVED_OTHER = {"start": "2026-12-02T03:00:00Z", "end": "2026-12-02T04:00:00Z"}


def state(**overrides) -> State:
    values = dict(
        meeting_id=1,
        href="/cal/m-1@planner.ics",
        etag='"e1"',
        pushed_hash=fields_hash(BASE),
        base=BASE,
        removed_on_server=False,
    )
    values.update(overrides)
    return State(**values)


def remote(fields: dict[str, str] | None, etag: str = '"e2"') -> Remote:
    return Remote(href="/cal/m-1@planner.ics", etag=etag, fields=fields, ics="BEGIN:VCALENDAR...")


# ---- the served event is normalised, not compared byte for byte ----------------------------------

PLANNER_ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Planner//EN\r
METHOD:PUBLISH\r
BEGIN:VTIMEZONE\r
TZID:Asia/Tokyo\r
BEGIN:STANDARD\r
DTSTART:19700101T000000\r
TZOFFSETFROM:+0900\r
TZOFFSETTO:+0900\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:m-1@planner\r
DTSTAMP:20261120T000000Z\r
LAST-MODIFIED:20261120T000000Z\r
DTSTART;TZID=Asia/Tokyo:20261201T100000\r
DTEND;TZID=Asia/Tokyo:20261201T110000\r
SUMMARY:Design review\r
LOCATION:Room A\r
DESCRIPTION:Purpose: agree the design\r
STATUS:CONFIRMED\r
END:VEVENT\r
END:VCALENDAR\r
"""

# What a server may serve back: other PRODID, new DTSTAMP, no METHOD, reordered properties, and a
# VTIMEZONE with a wrong offset (Radicale keeps one RDATE of many): none of it is a change.
SERVED_ICS = """BEGIN:VCALENDAR
PRODID:-//Some server//EN
VERSION:2.0
BEGIN:VTIMEZONE
TZID:Asia/Tokyo
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0100
TZOFFSETTO:+0100
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
STATUS:CONFIRMED
SUMMARY:Design review
DTEND;TZID=Asia/Tokyo:20261201T110000
DTSTART;TZID=Asia/Tokyo:20261201T100000
UID:m-1@planner
DTSTAMP:20261124T111111Z
LAST-MODIFIED:20261124T111111Z
LOCATION:Room A
DESCRIPTION:Purpose: agree the design
END:VEVENT
END:VCALENDAR
"""


def test_served_rewrite_hashes_equal() -> None:
    ours = parse_event(PLANNER_ICS, "UTC")
    theirs = parse_event(SERVED_ICS, "UTC")
    assert ours == BASE
    assert fields_hash(ours) == fields_hash(theirs)


@pytest.mark.parametrize(
    ("replace", "by", "changed_field"),
    [
        ("DTSTART;TZID=Asia/Tokyo:20261201T100000", "DTSTART;TZID=Asia/Tokyo:20261201T093000", "start"),
        ("DTEND;TZID=Asia/Tokyo:20261201T110000", "DTEND;TZID=Asia/Tokyo:20261201T120000", "end"),
        ("LOCATION:Room A", "LOCATION:Room B", "location"),
        ("SUMMARY:Design review", "SUMMARY:Design review (moved)", "title"),
        ("STATUS:CONFIRMED", "STATUS:CANCELLED", "status"),
    ],
)
def test_real_changes_change_the_hash(replace: str, by: str, changed_field: str) -> None:
    changed = parse_event(SERVED_ICS.replace(replace, by), "UTC")
    assert changed[changed_field] != BASE[changed_field]
    assert fields_hash(changed) != fields_hash(BASE)


def test_same_instant_in_another_zone_keeps_start_but_changes_tzid() -> None:
    moved = SERVED_ICS.replace("DTSTART;TZID=Asia/Tokyo:20261201T100000", "DTSTART:20261201T010000Z")
    fields = parse_event(moved, "UTC")
    assert fields["start"] == BASE["start"]
    assert fields["tzid"] == ""


@pytest.mark.parametrize(
    "ics",
    [
        "not a calendar",
        "BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nSUMMARY:no start\nEND:VEVENT\nEND:VCALENDAR\n",
    ],
)
def test_unusable_events_raise_bad_event(ics: str) -> None:
    with pytest.raises(BadEvent):
        parse_event(ics, "UTC")


# ---- one item, the policy as a table ------------------------------------------------------------

CASES = [
    # (name, local fields, cancelled, state, remote, deleted, on_cancel) -> action, take, conflicts
    ("unchanged costs nothing", BASE, False, state(), None, False, "status", Action.NOTHING, {}, ()),
    ("own write echoed", BASE, False, state(), remote(BASE, '"e1"'), False, "status", Action.NOTHING, {}, ()),
    ("new meeting is created", BASE, False, None, None, False, "status", Action.CREATE, {}, ()),
    ("cancelled before push", BASE, True, None, None, False, "status", Action.NOTHING, {}, ()),
    ("local edit pushed", with_(title="N"), False, state(), None, False, "status", Action.UPDATE, {}, ()),
    (
        "cancel as status",
        with_(status="CANCELLED"),
        True,
        state(),
        None,
        False,
        "status",
        Action.UPDATE,
        {},
        (),
    ),
    ("cancel as delete", BASE, True, state(), None, False, "delete", Action.DELETE, {}, ()),
    (
        "server move taken",
        BASE,
        False,
        state(),
        remote(with_(**MOVED)),
        False,
        "status",
        Action.ADOPT,
        {**MOVED, "tzid": "Asia/Tokyo"},
        (),
    ),
    (
        "server location taken",
        BASE,
        False,
        state(),
        remote(with_(location="Room B")),
        False,
        "status",
        Action.ADOPT,
        {"location": "Room B"},
        (),
    ),
    (
        "server move plus local title: take time, push title",
        with_(title="New"),
        False,
        state(),
        remote(with_(**MOVED)),
        False,
        "status",
        Action.UPDATE,
        {**MOVED, "tzid": "Asia/Tokyo"},
        (),
    ),
    (
        "both moved differently: planner wins, conflict kept",
        with_(**MOVED_OTHER),
        False,
        state(),
        remote(with_(**MOVED)),
        False,
        "status",
        Action.UPDATE,
        {},
        ("time",),
    ),
    (
        "both moved the same way: no conflict",
        with_(**MOVED),
        False,
        state(),
        remote(with_(**MOVED)),
        False,
        "status",
        Action.ADOPT,
        {},
        (),
    ),
    (
        "description edited on server: conflict, planner pushed back",
        BASE,
        False,
        state(),
        remote(with_(description="Bring snacks")),
        False,
        "status",
        Action.UPDATE,
        {},
        ("description",),
    ),
    (
        "title edited on server: planner-owned",
        BASE,
        False,
        state(),
        remote(with_(title="Renamed")),
        False,
        "status",
        Action.UPDATE,
        {},
        ("title",),
    ),
    (
        "cancelled on server: conflict, not a silent cancel",
        BASE,
        False,
        state(),
        remote(with_(status="CANCELLED")),
        False,
        "status",
        Action.UPDATE,
        {},
        ("status",),
    ),
    (
        "unreadable on server: planner wins, raw kept",
        BASE,
        False,
        state(),
        remote(None),
        False,
        "status",
        Action.UPDATE,
        {},
        ("unreadable",),
    ),
    ("deleted on server: flagged", BASE, False, state(), None, True, "status", Action.MARK_REMOVED, {}, ()),
    ("our delete echoed: forget", BASE, True, state(), None, True, "delete", Action.FORGET, {}, ()),
    (
        "flagged stays quiet even after local edits",
        with_(title="New"),
        False,
        state(removed_on_server=True, etag=None),
        None,
        False,
        "status",
        Action.NOTHING,
        {},
        (),
    ),
    (
        "lost create reply: server holds ours, adopt",
        BASE,
        False,
        state(etag=None, pushed_hash=None, base=None),
        remote(BASE),
        False,
        "status",
        Action.ADOPT,
        {},
        (),
    ),
    (
        "lost update reply: server holds ours, adopt",
        with_(title="New"),
        False,
        state(),
        remote(with_(title="New")),
        False,
        "status",
        Action.ADOPT,
        {},
        (),
    ),
]


@pytest.mark.parametrize(
    ("local_fields", "cancelled", "st", "rem", "deleted", "on_cancel", "action", "take", "conflicts"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_plan_item(local_fields, cancelled, st, rem, deleted, on_cancel, action, take, conflicts) -> None:
    plan = plan_item(
        Local(1, local_fields, cancelled=cancelled), st, rem, deleted_on_server=deleted, on_cancel=on_cancel
    )
    assert plan.action == action
    assert dict(plan.take) == take
    assert plan.conflicts == conflicts
    if action == Action.UPDATE and plan.push is not None:
        # What is pushed keeps every local change and every taken server change.
        for name, value in take.items():
            assert plan.push[name] == value
        for name, value in local_fields.items():
            if name not in take:
                assert plan.push[name] == value


@pytest.mark.parametrize(
    ("fields", "action"),
    [
        (with_(uid="outside@example"), Action.IMPORT),
        (with_(uid="outside@example", status="CANCELLED"), Action.SKIP),
        (None, Action.SKIP),
    ],
)
def test_unknown_server_events(fields, action) -> None:
    rem = Remote(href="/cal/outside.ics", etag='"x"', fields=fields)
    plans = plan_sync([], [], {rem.href: rem}, set())
    assert [p.action for p in plans] == [action]


def test_plan_sync_recognises_our_uid_instead_of_importing_twice() -> None:
    rem = remote(BASE)
    plans = plan_sync([Local(1, BASE)], [], {rem.href: rem}, set(), uid_to_meeting={"m-1@planner": 1})
    assert [(p.action, p.meeting_id) for p in plans] == [(Action.ADOPT, 1)]


@pytest.mark.parametrize(
    ("last", "due"),
    [(None, True), (NOW - timedelta(hours=1), False), (NOW - timedelta(hours=7), True)],
)
def test_full_listing_backstop(last, due) -> None:
    assert full_listing_due(last, NOW) is due


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, timedelta(0)), (1, timedelta(minutes=1)), (3, timedelta(minutes=4)), (30, timedelta(hours=6))],
)
def test_backoff_is_exponential_and_capped(failures, delay) -> None:
    assert next_attempt(failures, NOW) - NOW == delay


def test_no_ancestor_and_a_different_server_copy_keeps_planner_version_and_records_it() -> None:
    st = state(etag=None, pushed_hash=None, base=None)
    plan = plan_item(Local(1, BASE), st, remote(with_(**MOVED)))
    assert plan.action == Action.UPDATE
    assert plan.take == {}
    assert plan.conflicts == ("time",)
    assert plan.push["start"] == BASE["start"]


def test_known_hash_skips_rendering_but_still_detects_nothing_to_do() -> None:
    plan = plan_item(Local(1, {}, known_hash=fields_hash(BASE)), state(), None)
    assert plan.action == Action.NOTHING


# ---- copies without a common ancestor, occurrences, all-day events ---------------------------------


def test_a_copy_of_the_planners_own_event_keeps_only_what_a_person_may_have_typed():
    # An imported export: same UID, no sync state yet, the description in an older form of the planner's.
    theirs = with_(
        description="Purpose: agree the design\n\nPage: https://planner.example/meetings/1", planner="1"
    )
    plan = plan_item(Local(1, BASE), None, remote(theirs))
    assert plan.action == Action.UPDATE and plan.conflicts == ()
    plan = plan_item(Local(1, BASE), None, remote({**theirs, "title": "Design review (room booked)"}))
    assert plan.action == Action.UPDATE and plan.conflicts == ("title",)
    plan = plan_item(Local(1, BASE), None, remote(with_(description="Bring the contract")))
    assert plan.conflicts == ("description",)  # written in the calendar: kept for a person


def test_occurrences_follow_the_calendars_title_and_description_singles_do_not():
    occurrence = State(1, "/cal/w.ics#occurrence=20261201T010000Z", '"e1"', fields_hash(BASE), BASE)
    renamed = Remote(occurrence.href, '"e2"', with_(title="Design review (series)"))
    plan = plan_item(Local(1, BASE, known_hash=fields_hash(BASE)), occurrence, renamed)
    assert plan.action == Action.ADOPT and plan.take == {"title": "Design review (series)"}
    single = plan_item(Local(1, BASE), state(), remote(with_(title="Design review (series)")))
    assert single.action == Action.UPDATE and single.conflicts == ("title",)


def test_an_event_turned_all_day_is_a_conflict_and_a_new_all_day_event_is_not_imported():
    day = with_(start="2026-11-30T15:00:00Z", end="2026-12-01T15:00:00Z", tzid="", all_day="1")
    plan = plan_item(Local(1, BASE), state(), remote(day))
    assert plan.action == Action.UPDATE and plan.conflicts == ("time",) and "start" not in plan.take
    [unknown] = plan_sync(
        [], [], {"/cal/day.ics": Remote("/cal/day.ics", '"d"', {**day, "uid": "d@x"})}, set()
    )
    assert unknown.action == Action.SKIP and unknown.reason == "all_day"
