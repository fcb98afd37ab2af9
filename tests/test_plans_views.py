"""Kickoff plan pages: settings, preview, adjusting rows, confirming, errors and access."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import AgendaItem, Meeting
from planner.operations.people import add_member
from planner.operations.plans import plan_summary

SETTINGS = {
    "playbook": "system_integration",
    "starts_on": "2026-11-16",
    "ends_on": "2027-01-31",
    "cadence": "weekly",
    "weekday": "0",
    "meeting_time": "10:00",
}


@pytest.fixture
def owner_client(client, make_user, make_engagement, login):
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner, timezone="Asia/Tokyo", country="JP", language="ja")
    login(client, owner)
    return client, engagement


def preview(client, engagement, **overrides):
    return client.get(f"/engagements/{engagement.id}/plan", query_string=SETTINGS | overrides)


def rows_from(html: str) -> dict[str, str]:
    """The preview's form as a browser would send it: every named input with its value."""
    data: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name.group(1)] = "y"
            continue
        data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?(.*?)</textarea>', html, re.S):
        data[name] = body
    return {k: unescape(v) for k, v in data.items()}


def unescape(text: str) -> str:
    import html

    return html.unescape(text)


def meeting_count() -> int:
    return db.session.scalar(select(func.count(Meeting.id)))


def test_settings_page_offers_the_playbooks(owner_client):
    client, engagement = owner_client
    page = client.get(f"/engagements/{engagement.id}/plan")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "System integration project" in text and "Website production" in text
    assert 'value="system_integration" checked' in text


def test_preview_shows_generated_meetings_with_holiday_notes(owner_client):
    client, engagement = owner_client
    page = preview(client, engagement)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # The client's language (ja) chooses the playbook's texts.
    assert "プロジェクトキックオフ" in text and "要件定義ワークショップ 第1回" in text
    # Monday 23 November is 勤労感謝の日: the status meeting moves and the preview says so.
    assert "Moved from" in text and "勤労感謝の日" in text
    assert "These phases fall after the end date" in text
    assert meeting_count() == 0  # a preview creates nothing


def test_confirm_creates_the_ticked_meetings_with_edits_and_agendas(owner_client):
    client, engagement = owner_client
    data = rows_from(preview(client, engagement).get_data(as_text=True))
    rows = sorted({int(k.split("-")[1]) for k in data if k.startswith("rows-")})
    assert data["rows-0-title"] == "プロジェクトキックオフ"
    # Untick the second meeting, rename and move the kickoff.
    data.pop("rows-1-include")
    data["rows-0-title"] = "キックオフ（さくら物流 基幹刷新）"
    data["rows-0-day"] = "2026-11-17"
    data["rows-0-start"] = "13:30"
    data["rows-0-minutes"] = "120"
    response = client.post(f"/engagements/{engagement.id}/plan/confirm", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
    assert len(meetings) == len(rows) - 1
    kickoff = next(m for m in meetings if m.kind == "kickoff")
    assert kickoff.title == "キックオフ（さくら物流 基幹刷新）"
    assert kickoff.starts_at == datetime(2026, 11, 17, 4, 30, tzinfo=UTC)  # 13:30 JST
    assert kickoff.duration_minutes == 120
    assert kickoff.status == "tentative" and kickoff.sequence == 0
    assert [a.title for a in kickoff.agenda][0] == "プロジェクトの背景と目的（お客様より）"
    assert all(m.purpose and m.desired_outcome for m in meetings)
    assert db.session.scalar(select(func.count(AgendaItem.id))) > len(meetings) * 2
    # The engagement page now summarises the plan in its side panel.
    page = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "Kickoff plan" in page and f"{len(meetings)} meetings" in page
    # Its next milestone is the next meeting that is not routine, as of the moment asked.
    milestones = [m for m in meetings if m.kind not in ("status", "call")]
    assert plan_summary(engagement, now=datetime(2026, 11, 1, tzinfo=UTC)).next_milestone == kickoff
    after_kickoff = kickoff.starts_at + timedelta(minutes=1)
    assert plan_summary(engagement, now=after_kickoff).next_milestone == milestones[1]
    assert milestones[1].kind != "kickoff" and milestones[1].starts_at > kickoff.starts_at
    assert plan_summary(engagement, now=meetings[-1].starts_at + timedelta(days=1)).next_milestone is None


BAD_ROWS = [
    ("purpose", "", "State the purpose"),
    ("title", "", "A title is needed"),
    ("day", "2026-13-40", "Not a valid date"),
    ("start", "25:00", "Not a valid time"),
    ("minutes", "0", "Number must be between"),
    ("kind", "party", "Unknown kind"),
    ("title", "x" * 201, "Field cannot be longer than 200 characters"),
]


def test_a_bad_row_shows_its_error_and_nothing_is_created(owner_client):
    client, engagement = owner_client
    data = rows_from(preview(client, engagement).get_data(as_text=True))
    for field, value, message in BAD_ROWS:
        response = client.post(
            f"/engagements/{engagement.id}/plan/confirm", data=data | {f"rows-2-{field}": value}
        )
        assert response.status_code == 400, field
        text = response.get_data(as_text=True)
        assert message in text and "No meeting was created" in text, field
        assert meeting_count() == 0
        # What the user typed elsewhere is still in the form.
        assert "要件定義ワークショップ 第1回" in text


def test_overlapping_rows_are_refused(owner_client):
    client, engagement = owner_client
    data = rows_from(preview(client, engagement).get_data(as_text=True))
    data["rows-1-day"] = data["rows-0-day"]
    data["rows-1-start"] = "10:30"
    response = client.post(f"/engagements/{engagement.id}/plan/confirm", data=data)
    assert response.status_code == 400
    assert "Overlaps with" in response.get_data(as_text=True)
    assert meeting_count() == 0


def test_an_unticked_bad_row_is_simply_left_out(owner_client):
    client, engagement = owner_client
    data = rows_from(preview(client, engagement).get_data(as_text=True))
    data["rows-3-purpose"] = ""
    data.pop("rows-3-include")
    response = client.post(f"/engagements/{engagement.id}/plan/confirm", data=data)
    assert response.status_code == 302
    assert meeting_count() == len({k.split("-")[1] for k in data if k.endswith("-include")})


def test_nothing_ticked_or_unknown_playbook_creates_nothing(owner_client):
    client, engagement = owner_client
    data = rows_from(preview(client, engagement).get_data(as_text=True))
    empty = {k: v for k, v in data.items() if not k.endswith("-include")}
    response = client.post(f"/engagements/{engagement.id}/plan/confirm", data=empty)
    assert response.status_code == 400 and "Tick at least one meeting" in response.get_data(as_text=True)
    response = client.post(f"/engagements/{engagement.id}/plan/confirm", data=data | {"playbook": "nope"})
    assert response.status_code == 302
    assert meeting_count() == 0


BAD_SETTINGS = [
    ({"playbook": "unknown"}, "Not a valid choice"),
    ({"starts_on": ""}, "Choose the day of the kickoff"),
    ({"ends_on": "2026-11-01"}, "The end date is before the kickoff"),
    ({"ends_on": "2030-01-01"}, "Plan at most two years ahead"),
    ({"weekday": "9"}, "Not a valid choice"),
    ({"cadence": "daily"}, "Not a valid choice"),
    ({"meeting_time": "noon"}, "Not a valid time"),
]


def test_bad_settings_are_shown_again(owner_client):
    client, engagement = owner_client
    for overrides, message in BAD_SETTINGS:
        response = preview(client, engagement, **overrides)
        assert response.status_code == 400, overrides
        assert message in response.get_data(as_text=True), overrides
    assert meeting_count() == 0


def test_viewer_gets_403(client, make_user, make_engagement, login):
    engagement = make_engagement()
    viewer = make_user(email="viewer@example.com")
    add_member(engagement, viewer, "viewer")
    db.session.commit()
    login(client, viewer)
    assert client.get(f"/engagements/{engagement.id}/plan").status_code == 403
    assert preview(client, engagement).status_code == 403
    assert client.post(f"/engagements/{engagement.id}/plan/confirm", data={}).status_code == 403
    # A viewer sees no panel offering to plan an empty schedule.
    assert "Plan the schedule from a playbook" not in client.get(f"/engagements/{engagement.id}").get_data(
        as_text=True
    )


def test_engagement_page_offers_the_plan_to_members(owner_client):
    client, engagement = owner_client
    text = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "Plan the schedule from a playbook" in text
    assert f"/engagements/{engagement.id}/plan" in text


def test_berlin_engagement_plans_in_local_time_across_dst(client, make_user, make_engagement, login):
    owner = make_user()
    engagement = make_engagement(owner=owner, timezone="Europe/Berlin", country="DE", language="en")
    login(client, owner)
    settings = {"starts_on": "2026-10-12", "ends_on": "2026-11-06", "weekday": "2"}
    data = rows_from(preview(client, engagement, **settings).get_data(as_text=True))
    assert data["rows-0-title"] == "Project kickoff"
    assert client.post(f"/engagements/{engagement.id}/plan/confirm", data=data).status_code == 302
    status = db.session.scalars(
        select(Meeting).where(Meeting.kind == "status").order_by(Meeting.starts_at)
    ).all()
    by_day = {m.starts_at.astimezone(engagement.tz).date(): m.starts_at for m in status}
    assert by_day[date(2026, 10, 21)] == datetime(2026, 10, 21, 8, 0, tzinfo=UTC)
    assert by_day[date(2026, 10, 28)] == datetime(2026, 10, 28, 9, 0, tzinfo=UTC)


def test_change_settings_keeps_what_was_chosen(owner_client):
    client, engagement = owner_client
    text = preview(client, engagement, playbook="web_production", weekday="3").get_data(as_text=True)
    link = re.search(r'href="([^"]*edit=1[^"]*)"', text).group(1).replace("&amp;", "&")
    page = client.get(link).get_data(as_text=True)
    assert 'value="web_production" checked' in page
    assert '<option selected value="3">' in page or 'value="3" selected' in page


def test_tampered_confirmations_get_a_clear_answer_and_change_nothing(owner_client):
    client, engagement = owner_client
    url = f"/engagements/{engagement.id}/plan/confirm"
    one_row = {
        "playbook": "system_integration",
        "rows-0-include": "y",
        "rows-0-phase": "kickoff",
        "rows-0-kind": "kickoff",
        "rows-0-title": "Kickoff",
        "rows-0-day": "2026-12-01",
        "rows-0-start": "10:00",
        "rows-0-minutes": "60",
        "rows-0-purpose": "Agree scope, team and milestones",
    }
    many = {
        f"rows-{n}-{k.split('-')[2]}": v for n in range(400) for k, v in one_row.items() if k != "playbook"
    }
    cases = [
        {},
        {"playbook": "system_integration"},
        one_row | {"rows-0-minutes": "abc"},
        one_row | {"rows-0-day": "yesterday"},
        {k: v for k, v in one_row.items() if k != "rows-0-include"}
        | {"rows-x-title": "odd", "rows-99999999999999999999-title": "huge"},
        one_row | {"rows-0-phase": "no_such_phase", "rows-0-title": ""},
        {"playbook": "system_integration"} | many,
    ]
    for data in cases:
        response = client.post(url, data=data)
        assert response.status_code in (302, 400), data
    assert meeting_count() == 0
    # A row naming a phase the playbook lacks is still created, just without a default agenda.
    response = client.post(url, data=one_row | {"rows-0-phase": "no_such_phase"})
    assert response.status_code == 302
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.title == "Kickoff" and meeting.agenda == []
