"""Engagement and meeting pages through the test client: validation, roles, duplicates, held, no 500s."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from schedule_fixtures import fresh, meeting_state, team_fixture  # noqa: F401
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import Contact, Engagement, Meeting, utcnow

GOOD_ENGAGEMENT = {
    "name": "Web shop relaunch",
    "client_name": "Kumo Design",
    "timezone": "Europe/Berlin",
    "country": "de",
    "language": "en",
    "starts_on": "2026-12-01",
    "ends_on": "2027-03-31",
}


def good_meeting(**overrides) -> dict:
    return {
        "title": "Scope workshop",
        "purpose": "Agree the scope of phase 1",
        "desired_outcome": "A signed-off scope list",
        "kind": "requirements",
        "status": "confirmed",
        "starts_at": "2026-12-08T10:00",
        "duration_minutes": "90",
    } | overrides


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- engagements ------------------------------------------------------------------------------


def test_create_engagement_then_edit_it(client, make_user, login):
    user = make_user()
    login(client, user)
    response = client.post("/engagements/new", data=GOOD_ENGAGEMENT)
    assert response.status_code == 302
    engagement = db.session.scalars(select(Engagement)).one()
    assert (engagement.timezone, engagement.country) == ("Europe/Berlin", "DE")
    response = client.post(f"/engagements/{engagement.id}/edit", data=GOOD_ENGAGEMENT | {"name": "Relaunch"})
    assert response.status_code == 302
    assert fresh(Engagement, engagement.id).name == "Relaunch"


ENGAGEMENT_ERRORS = [
    ({"name": ""}, "This field is required."),
    ({"name": "x" * 201}, "Field cannot be longer than 200 characters."),
    ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
    ({"timezone": ""}, "This field is required."),
    ({"country": "XX"}, "Unknown country code."),
    ({"starts_on": "2026-13-01"}, "Not a valid date value."),
    ({"ends_on": "2026-11-01"}, "The end date is before the start date."),
    ({"language": "fr"}, "Not a valid choice."),
    ({"description": "x" * 4001}, "Field cannot be longer than 4000 characters."),
]


def test_engagement_form_errors_change_nothing(client, make_user, make_engagement, login):
    user = make_user()
    engagement = make_engagement(owner=user)
    login(client, user)
    for change, message in ENGAGEMENT_ERRORS:
        response = client.post("/engagements/new", data=GOOD_ENGAGEMENT | change)
        assert response.status_code == 400, change
        html = response.get_data(as_text=True)
        assert message in html and "Nothing was saved" in html, change
        assert count(Engagement) == 1
        response = client.post(f"/engagements/{engagement.id}/edit", data=GOOD_ENGAGEMENT | change)
        assert response.status_code == 400, change
        assert message in response.get_data(as_text=True)
        again = fresh(Engagement, engagement.id)
        assert (again.name, again.timezone, again.revision) == (
            "Core system renewal",
            "Asia/Tokyo",
            engagement.revision,
        )


def test_engagement_roles(client, team, login):
    e = team.engagement
    login(client, team.member)
    assert client.get(f"/engagements/{e.id}").status_code == 200
    assert client.post(f"/engagements/{e.id}/edit", data=GOOD_ENGAGEMENT).status_code == 403
    client.post("/logout")
    login(client, team.stranger)
    for url in (f"/engagements/{e.id}", f"/engagements/{e.id}/edit", f"/engagements/{e.id}/week"):
        assert client.get(url).status_code == 404
    assert fresh(Engagement, e.id).name == "Core system renewal"


# --- engagement page ----------------------------------------------------------------------------


def test_engagement_page_stats_vague_links_and_cancelled_toggle(client, team, make_meeting, login):
    e = team.engagement
    tz = e.tz
    soon = datetime.now(tz).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=3)
    make_meeting(e, starts_at=soon, duration_minutes=90)
    vague = make_meeting(
        e, title="Weekly", purpose="定例", starts_at=soon + timedelta(days=1), duration_minutes=30
    )
    make_meeting(e, title="Dropped", starts_at=soon + timedelta(days=2), status="cancelled")
    make_meeting(e, title="Long ago", starts_at=soon - timedelta(days=30))
    login(client, team.owner)
    html = client.get(f"/engagements/{e.id}").get_data(as_text=True)
    assert "2 meetings planned" in html
    assert "2 h scheduled" in html
    assert "1 vague purpose to fix" in html
    assert f'href="/meetings/{vague.id}/edit#purpose"' in html
    assert "Dropped" not in html and "Long ago" not in html
    assert "Show cancelled and past" in html
    everything = client.get(f"/engagements/{e.id}?all=1").get_data(as_text=True)
    assert "Dropped" in everything and "Long ago" in everything
    assert "Hide cancelled and past" in everything


def test_engagement_page_empty_state_and_viewer(client, team, login):
    login(client, team.viewer)
    html = client.get(f"/engagements/{team.engagement.id}").get_data(as_text=True)
    assert "No meetings planned yet." in html
    assert "New meeting" not in html
    login(client, team.owner)
    html = client.get("/engagements/").get_data(as_text=True)
    assert "No upcoming meetings." in html


# --- meetings -----------------------------------------------------------------------------------


def test_create_meeting_with_attendees_as_checkboxes(client, team, login):
    e = team.engagement
    contact = Contact(engagement=e, name="Sato Kenichi", language="ja", preferred_channel="phone")
    db.session.add(contact)
    db.session.commit()
    login(client, team.member)
    page = client.get(f"/engagements/{e.id}/meetings/new").get_data(as_text=True)
    assert f'type="checkbox" value="{contact.id}"' in page.replace('name="contact_ids" ', "")
    assert (
        'name="user_ids" type="checkbox"' in page
        or 'type="checkbox" name="user_ids"' in page
        or "user_ids" in page
    )
    response = client.post(
        f"/engagements/{e.id}/meetings/new",
        data=good_meeting(contact_ids=[str(contact.id)], user_ids=[str(team.owner.id)]),
    )
    assert response.status_code == 302
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.local_start == datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert meeting.duration_minutes == 90
    assert {(a.contact_id, a.user_id) for a in meeting.attendees} == {
        (contact.id, None),
        (None, team.owner.id),
    }


MEETING_ERRORS = [
    ({"purpose": ""}, "State the purpose"),
    ({"purpose": "   "}, "State the purpose"),
    ({"title": ""}, "This field is required."),
    ({"title": "x" * 201}, "Field cannot be longer than 200 characters."),
    ({"purpose": "x" * 4001}, "Field cannot be longer than 4000 characters."),
    ({"starts_at": "next tuesday"}, "Not a valid date and time"),
    ({"starts_at": ""}, "A start time is needed."),
    ({"ends_at": "2026-12-08T09:00"}, "The end is before the start."),
    ({"ends_at": "2026-12-10T09:00"}, "A meeting lasts less than a day."),
    ({"duration_minutes": "0"}, "Number must be between 5 and 1440."),
    ({"duration_minutes": "ninety"}, "Not a valid integer value."),
    ({"kind": "party"}, "Not a valid choice."),
    ({"status": "maybe"}, "Not a valid choice."),
    ({"conference_url": "javascript:alert(1)"}, "Use an http or https link."),
    ({"contact_ids": ["999"]}, "not a valid choice"),
]


def test_meeting_form_errors_change_nothing(client, make_user, make_engagement, make_meeting, login):
    user = make_user()
    e = make_engagement(owner=user)
    meeting = make_meeting(e)
    login(client, user)
    before = meeting_state(meeting.id)
    edit = client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    version = edit.split('name="version" type="hidden" value="')[1].split('"')[0]
    for change, message in MEETING_ERRORS:
        response = client.post(f"/engagements/{e.id}/meetings/new", data=good_meeting(**change))
        assert response.status_code == 400, change
        html = response.get_data(as_text=True)
        assert message in html, change
        assert count(Meeting) == 1
        response = client.post(f"/meetings/{meeting.id}/edit", data=good_meeting(version=version, **change))
        assert response.status_code == 400, change
        assert message in response.get_data(as_text=True), change
        assert meeting_state(meeting.id) == before


def test_unknown_time_zone_in_engagement_is_refused(client, make_user, login):
    user = make_user()
    login(client, user)
    response = client.post("/engagements/new", data=GOOD_ENGAGEMENT | {"timezone": "Europe/Atlantis"})
    assert response.status_code == 400
    assert count(Engagement) == 0


def test_edit_and_cancel_bump_sequence_and_revision(client, team, make_meeting, login):
    meeting = make_meeting(team.engagement)
    login(client, team.member)
    seq, rev = meeting.sequence, team.engagement.revision
    edit = client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert 'value="60"' in edit  # the length, not an end time
    version = edit.split('name="version" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        f"/meetings/{meeting.id}/edit", data=good_meeting(version=version, title="Scope workshop (moved)")
    )
    assert response.status_code == 302
    after = fresh(Meeting, meeting.id)
    assert after.title == "Scope workshop (moved)" and after.sequence == seq + 1
    assert after.engagement.revision == rev + 1
    assert client.post(f"/meetings/{meeting.id}/cancel").status_code == 302
    after = fresh(Meeting, meeting.id)
    assert after.status == "cancelled" and after.sequence == seq + 2 and after.cancelled_at is not None
    # Cancelling again changes nothing.
    client.post(f"/meetings/{meeting.id}/cancel")
    assert fresh(Meeting, meeting.id).sequence == seq + 2


def test_viewer_sees_but_cannot_change(client, team, make_meeting, login):
    meeting = make_meeting(team.engagement)
    login(client, team.viewer)
    page = client.get(f"/meetings/{meeting.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Add to agenda" not in html and "Cancel meeting" not in html
    before = meeting_state(meeting.id)
    posts = [
        (f"/meetings/{meeting.id}/edit", good_meeting(title="Hijacked")),
        (f"/meetings/{meeting.id}/cancel", {}),
        (f"/meetings/{meeting.id}/held", {}),
        (f"/meetings/{meeting.id}/agenda", {"title": "Sneaky", "minutes": "5"}),
        (f"/engagements/{team.engagement.id}/meetings/new", good_meeting()),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403, url
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 403
    assert meeting_state(meeting.id) == before
    client.post("/logout")
    login(client, team.stranger)
    assert client.get(f"/meetings/{meeting.id}").status_code == 404
    for url, data in posts:
        assert client.post(url, data=data).status_code == 404, url
    assert meeting_state(meeting.id) == before


def test_plan_a_similar_meeting_a_week_later_across_dst(
    client, make_user, make_engagement, make_meeting, login
):
    user = make_user()
    engagement = make_engagement(owner=user, timezone="Europe/Berlin")
    tz = ZoneInfo("Europe/Berlin")
    source = make_meeting(
        engagement,
        title="Design review",
        purpose="Approve the checkout wireframes",
        desired_outcome="Signed-off wireframes",
        kind="design_review",
        starts_at=datetime(2026, 10, 22, 10, 0, tzinfo=tz),  # the clocks go back on the 25th
        duration_minutes=45,
    )
    login(client, user)
    page = client.get(f"/engagements/{engagement.id}/meetings/new?from={source.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="2026-10-29T10:00"' in html
    assert 'value="45"' in html
    assert "Approve the checkout wireframes" in html and "Signed-off wireframes" in html
    assert '<option selected value="design_review">' in html
    assert "Planned like" in html
    assert "Someone else saved" not in html and "Save again" not in html
    # A meeting of another engagement is not a template here.
    other = make_engagement(owner=user)
    foreign = make_meeting(other, title="Elsewhere")
    html = client.get(f"/engagements/{engagement.id}/meetings/new?from={foreign.id}").get_data(as_text=True)
    assert "Elsewhere" not in html
    for junk in ("abc", "-1", "99999999999999999999999", ""):
        assert client.get(f"/engagements/{engagement.id}/meetings/new?from={junk}").status_code == 200


def test_mark_held_only_once_started(client, team, make_meeting, login):
    e = team.engagement
    future = make_meeting(e)
    past = make_meeting(e, starts_at=utcnow() - timedelta(hours=2))
    cancelled = make_meeting(e, starts_at=utcnow() - timedelta(hours=5), status="cancelled")
    login(client, team.member)
    assert "Mark as held" not in client.get(f"/meetings/{future.id}").get_data(as_text=True)
    assert "Mark as held" in client.get(f"/meetings/{past.id}").get_data(as_text=True)
    client.post(f"/meetings/{future.id}/held")
    client.post(f"/meetings/{cancelled.id}/held")
    seq = past.sequence
    response = client.post(f"/meetings/{past.id}/held", follow_redirects=True)
    assert "Marked as held." in response.get_data(as_text=True)
    assert fresh(Meeting, future.id).status == "confirmed"
    assert fresh(Meeting, cancelled.id).status == "cancelled"
    held = fresh(Meeting, past.id)
    assert held.status == "held" and held.sequence == seq + 1


def test_live_purpose_hint_is_wired(client, team, make_meeting, login):
    meeting = make_meeting(team.engagement, purpose="sync")
    login(client, team.member)
    html = client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert 'data-purpose-input="purpose-hint"' in html
    assert "/static/purpose.js" in html
    assert 'id="purpose-hint"' in html and 'id="purpose-hint" aria-live="polite" hidden' not in html
    good = make_meeting(team.engagement)
    html = client.get(f"/meetings/{good.id}/edit").get_data(as_text=True)
    assert 'id="purpose-hint" aria-live="polite" hidden' in html
    assert "style=" not in html and "<script>" not in html


# --- no 500 anywhere -----------------------------------------------------------------------------

GARBAGE = [
    {},
    {"title": "\x00", "purpose": "\ufffe" * 3, "starts_at": "9" * 40, "duration_minutes": "1e309"},
    {"starts_at": "2026-02-30T25:61", "ends_at": "0000-00-00", "kind": ["a", "b"], "minutes": "-1"},
    {"contact_ids": ["x", "99999999999999999999999"], "user_ids": ["-5"], "version": "' or 1=1"},
    {"name": "x", "timezone": "../../etc/passwd", "country": "ZZZ", "starts_on": "yesterday"},
    {"seen": "x" * 5000, "meeting_id": "99999999999999999999999", "title": "T", "minutes": "99999999999"},
]


def test_garbage_to_every_form_never_gives_500(client, team, make_meeting, login):
    from planner.operations.schedule import add_agenda_item

    e = team.engagement
    meeting = make_meeting(e)
    item = add_agenda_item(meeting, title="Item", minutes=10, now=utcnow())
    db.session.commit()
    login(client, team.owner)
    urls = [
        "/engagements/new",
        f"/engagements/{e.id}/edit",
        f"/engagements/{e.id}/settings",
        f"/engagements/{e.id}/members",
        f"/engagements/{e.id}/meetings/new",
        f"/meetings/{meeting.id}/edit",
        f"/meetings/{meeting.id}/agenda",
        f"/meetings/{meeting.id}/held",
        f"/agenda/{item.id}/edit",
        f"/agenda/{item.id}/up",
        f"/agenda/{item.id}/done",
        "/agenda/99999999999999999999/edit",
        "/settings/",
        "/settings/password",
        "/settings/language",
    ]
    for url in urls:
        for data in GARBAGE:
            response = client.post(url, data=data)
            assert response.status_code < 500, (url, data, response.status_code)
    for url in (
        f"/engagements/{e.id}/week?start=%ff%fe",
        f"/engagements/{e.id}/week?start=" + "9" * 300,
        f"/engagements/{e.id}?all=%00",
        f"/engagements/{e.id}/meetings/new?from=1e9&kind=%00",
        "/meetings/99999999999999999999999",
        "/engagements/99999999999999999999999/week",
    ):
        assert client.get(url).status_code < 500, url
    assert fresh(Meeting, meeting.id).title == "Requirements workshop"


def test_members_page_add_refuse_and_keep_an_owner(app, client, team, make_user, login):
    from planner.models import Membership

    e = team.engagement
    newcomer = make_user(email="newcomer@example.com")
    login(client, team.owner)
    html = client.get(f"/engagements/{e.id}/members").get_data(as_text=True)
    assert team.viewer.email in html and "Add a member" in html
    response = client.post(
        f"/engagements/{e.id}/members", data={"email": "newcomer@example.com", "role": "boss"}
    )
    assert response.status_code == 400
    assert (
        client.post(
            f"/engagements/{e.id}/members", data={"email": newcomer.email, "role": "viewer"}
        ).status_code
        == 302
    )
    login(app.test_client(), newcomer)  # an invitation becomes a membership at the invited person's login
    roles = {
        m.user_id: m.role
        for m in db.session.scalars(select(Membership).where(Membership.engagement_id == e.id))
    }
    assert roles[newcomer.id] == "viewer" and len(roles) == 4
    owner_row = next(m for m in fresh(Engagement, e.id).members if m.user_id == team.owner.id)
    response = client.post(f"/engagements/{e.id}/members/{owner_row.id}/remove", follow_redirects=True)
    assert "An engagement keeps at least one owner." in response.get_data(as_text=True)
    client.post("/logout")
    login(client, team.member)
    assert "Add a member" not in client.get(f"/engagements/{e.id}/members").get_data(as_text=True)
    response = client.post(f"/engagements/{e.id}/members", data={"email": newcomer.email, "role": "owner"})
    assert response.status_code == 403
    assert client.post(f"/engagements/{e.id}/members/{owner_row.id}/remove").status_code == 403
    assert len(fresh(Engagement, e.id).members) == 4
