"""Proposed slots are really free for the member who answers: across all their engagements, and never an
hour still offered to another client."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from planner.extensions import db
from planner.models import Meeting, MeetingAttendee
from planner.operations.requests import submit_request
from planner.workdays import is_working_day

TOKYO = ZoneInfo("Asia/Tokyo")


def _monday() -> date:
    """A Monday three weeks ahead that starts a week of Japanese working days."""
    day = datetime.now(TOKYO).date() + timedelta(days=21)
    while day.weekday() != 0 or not all(is_working_day(day + timedelta(days=n), "JP") for n in range(5)):
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO).astimezone(UTC)


def ask(contact_id: int | None = None, **values) -> dict:
    """A 20-minute question with nuance: a call (no planned meeting is about it)."""
    return {
        "topic": "マスタ項目の定義",
        "reasons": ["nuance"],
        "expected_minutes": 20,
        "people": 2,
        "contact_id": contact_id,
    } | values


def starts(req) -> list[str]:
    return [
        datetime.fromisoformat(s["starts_at"]).astimezone(TOKYO).strftime("%H:%M") for s in req.proposed_slots
    ]


@pytest.fixture
def two_clients(app, make_user, make_engagement, make_meeting):
    """One consultant on two engagements, each with a client contact."""
    from planner.operations.contacts import create_contact

    owner = make_user(name="佐藤 健")
    sakura = make_engagement(owner=owner, name="Sakura core system", country="JP")
    kaede = make_engagement(owner=owner, name="Kaede logistics", country="JP")
    contacts = [
        create_contact(e, {"name": n, "email": f"{m}@example.jp", "language": "ja"}, now=datetime.now(UTC))
        for e, n, m in ((sakura, "山田", "yamada"), (kaede, "高橋", "takahashi"))
    ]
    db.session.commit()
    return owner, sakura, kaede, contacts


def test_slots_avoid_the_members_meetings_in_another_engagement(two_clients, make_meeting):
    owner, sakura, kaede, (yamada, _takahashi) = two_clients
    monday = _monday()
    make_meeting(kaede, title="倉庫要件定義", starts_at=at(monday, 10, 30), duration_minutes=90)
    req, _ = submit_request(sakura, ask(yamada.id), received_via="phone", now=at(monday, 10), actor=owner)
    assert req.outcome == "call"
    # 10:30-12:00 is the other client's; 12:00-13:00 is lunch.
    assert starts(req) == ["13:00", "15:00", "17:00"]


def test_a_meeting_whose_team_leaves_the_member_out_does_not_block(two_clients, make_user, make_meeting):
    owner, sakura, kaede, (yamada, _takahashi) = two_clients
    colleague = make_user(name="鈴木")
    monday = _monday()
    other = make_meeting(kaede, title="保守定例", starts_at=at(monday, 10, 30), duration_minutes=60)
    other.attendees.append(MeetingAttendee(user_id=colleague.id))
    db.session.commit()
    req, _ = submit_request(sakura, ask(yamada.id), received_via="phone", now=at(monday, 10), actor=owner)
    assert starts(req)[0] == "10:30"


def test_two_clients_are_never_offered_the_same_hour(two_clients):
    owner, sakura, kaede, (yamada, takahashi) = two_clients
    monday = _monday()
    first, _ = submit_request(sakura, ask(yamada.id), received_via="phone", now=at(monday, 10), actor=owner)
    second, _ = submit_request(
        kaede, ask(takahashi.id), received_via="email", now=at(monday, 10), actor=owner
    )
    assert starts(first) == ["10:30", "13:00", "15:00"]
    taken = {(s["starts_at"], s["ends_at"]) for s in first.proposed_slots}
    for slot in second.proposed_slots:
        begin, end = (datetime.fromisoformat(slot[k]) for k in ("starts_at", "ends_at"))
        assert not any(
            datetime.fromisoformat(b) < end and begin < datetime.fromisoformat(e) for b, e in taken
        )
    assert starts(second) == ["11:00", "13:30", "15:30"]


def test_a_client_page_request_is_answered_by_the_engagements_owner(two_clients, make_meeting):
    owner, sakura, kaede, (yamada, _takahashi) = two_clients
    monday = _monday()
    make_meeting(kaede, title="倉庫要件定義", starts_at=at(monday, 10, 30), duration_minutes=90)
    data = ask(None, requester_name="山田", requester_email="yamada@example.jp")
    req, _ = submit_request(sakura, data, received_via="client_page", now=at(monday, 10))
    assert req.contact_id == yamada.id and starts(req)[0] == "13:00"


def test_a_slot_is_offered_again_once_the_other_request_is_answered_otherwise(two_clients):
    from planner.operations.requests import override

    owner, sakura, kaede, (yamada, takahashi) = two_clients
    monday = _monday()
    first, _ = submit_request(sakura, ask(yamada.id), received_via="phone", now=at(monday, 10), actor=owner)
    override(first, outcome="email", actor=owner, now=at(monday, 10))
    db.session.commit()
    second, _ = submit_request(
        kaede, ask(takahashi.id), received_via="email", now=at(monday, 10), actor=owner
    )
    assert starts(second)[0] == "10:30"
    assert db.session.get(Meeting, 1) is None  # nothing was put on anybody's schedule meanwhile


def test_the_engagement_names_who_answers_the_client_pages_requests(
    two_clients, make_user, make_meeting, client, login
):
    from planner.operations.people import add_member

    owner, sakura, kaede, (yamada, _takahashi) = two_clients
    colleague = make_user(name="鈴木 一郎")
    add_member(sakura, colleague, "member")
    db.session.commit()
    login(client, owner)
    page = client.get(f"/engagements/{sakura.id}/settings").get_data(as_text=True)
    assert "鈴木 一郎" in page
    form = {
        "call_max_minutes": "30",
        "agenda_horizon_days": "14",
        "agenda_lead_hours": "24",
        "urgent_hours": "48",
        "warning_working_days": "2",
        "quiet_days": "30",
        "cancelled_feed_days": "30",
        "simple_question_minutes": "10",
        "many_people": "5",
        "new_work_minutes": "60",
        "estimate_working_days": "5",
        "requests_user_id": str(colleague.id),
        "lunch_from": "12:00",
        "lunch_until": "13:00",
    }
    assert client.post(f"/engagements/{sakura.id}/settings", data=form).status_code == 302
    monday = _monday()
    # The owner is busy this morning in the other engagement (13:00 would be their first time); the colleague,
    # who answers this engagement's requests now, is not.
    make_meeting(kaede, title="倉庫要件定義", starts_at=at(monday, 10, 30), duration_minutes=90)
    data = ask(None, requester_name="山田", requester_email="yamada@example.jp")
    req, _ = submit_request(sakura, data, received_via="client_page", now=at(monday, 10))
    assert starts(req)[0] == "10:30"
    assert db.session.get(type(sakura), sakura.id).requests_user_id == colleague.id
