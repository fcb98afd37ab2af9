"""Client memory: contact profiles, dated notes newest first, and quiet contacts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from planner.extensions import db
from planner.models import Contact, utcnow
from planner.models.commitments import ContactNote
from planner.operations.contacts import add_note, create_contact, quiet_contacts, touches


def test_create_and_edit_contact_with_every_profile_field(client, login, team):
    engagement = team["engagement"]
    login(client, team["member"])
    response = client.post(
        f"/engagements/{engagement.id}/contacts/new",
        data={
            "name": "Hans Weber",
            "organisation": "Weber GmbH",
            "role": "CFO",
            "email": "Hans@Example.de",
            "phone": "+49 30 1234",
            "language": "en",
            "preferred_channel": "video",
            "readers": "manager",
            "prefers_format": "prose",
            "notes": "Joined in April.",
        },
    )
    assert response.status_code == 302
    contact = db.session.scalar(db.select(Contact).where(Contact.name == "Hans Weber"))
    assert (
        contact.email,
        contact.language,
        contact.preferred_channel,
        contact.readers,
        contact.prefers_format,
    ) == (
        "hans@example.de",
        "en",
        "video",
        "manager",
        "prose",
    )
    response = client.post(
        f"/contacts/{contact.id}/edit",
        data={
            "name": "Hans Weber",
            "language": "en",
            "preferred_channel": "phone",
            "readers": "",
            "prefers_format": "diagrams",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert (contact.preferred_channel, contact.readers, contact.prefers_format) == ("phone", None, "diagrams")
    page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Hans Weber" in page and "Phone" in page and "Diagrams" in page

    hours = {"name": "Hans Weber", "language": "en", "preferred_channel": "phone", "call_from": "14:00"}
    refused = client.post(f"/contacts/{contact.id}/edit", data=hours)
    assert refused.status_code == 400 and "Give both times, or neither." in refused.get_data(as_text=True)
    assert (
        client.post(f"/contacts/{contact.id}/edit", data=hours | {"call_until": "17:30"}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).call_hours == (time(14), time(17, 30))
    assert "14:00–17:30" in client.get(f"/contacts/{contact.id}").get_data(as_text=True)

    abroad = hours | {"call_from": "08:00", "call_until": "10:00"}
    refused = client.post(f"/contacts/{contact.id}/edit", data=abroad | {"timezone": "Europe/Hamburg"})
    assert refused.status_code == 400 and "Unknown time zone" in refused.get_data(as_text=True)
    saved = client.post(f"/contacts/{contact.id}/edit", data=abroad | {"timezone": " Europe/Berlin "})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).timezone == "Europe/Berlin"
    profile = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Europe/Berlin" in profile and "08:00–10:00 (their time)" in profile

    bad = client.post(
        f"/contacts/{contact.id}/edit", data={"name": "", "language": "xx", "preferred_channel": "fax"}
    )
    assert bad.status_code == 400
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).name == "Hans Weber"


def test_notes_newest_first_with_meeting_and_bad_note_keeps_text(client, login, team, make_meeting):
    engagement, contact = team["engagement"], team["contact"]
    meeting = make_meeting(engagement, title="Kickoff", starts_at=utcnow() - timedelta(days=10))
    login(client, team["member"])
    assert (
        client.post(
            f"/contacts/{contact.id}/notes", data={"body": "Budget review in March", "noted_on": "2026-10-01"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/contacts/{contact.id}/notes",
            data={
                "body": "Prefers a call before 10:00",
                "noted_on": "2026-11-20",
                "meeting_id": str(meeting.id),
            },
        ).status_code
        == 302
    )
    notes = db.session.scalars(db.select(ContactNote).order_by(ContactNote.id)).all()
    assert notes[1].meeting_id == meeting.id and notes[1].author_id == team["member"].id
    page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert page.index("Prefers a call before 10:00") < page.index("Budget review in March")
    assert "Kickoff" in page

    bad = client.post(
        f"/contacts/{contact.id}/notes", data={"body": "Their words, kept", "noted_on": "yesterday"}
    )
    assert bad.status_code == 400
    assert "Their words, kept" in bad.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(ContactNote.id))) == 2


def test_quiet_contacts_listed_and_cleared_by_a_touch(client, login, team, make_meeting):
    engagement, contact = team["engagement"], team["contact"]  # added in January 2026, nothing since
    now = utcnow()
    fresh = create_contact(engagement, {"name": "New Person"}, now=now)
    db.session.commit()
    assert [s.contact.name for s in quiet_contacts(engagement, now=now)] == ["佐藤 由美"]

    login(client, team["viewer"])
    listing = client.get(f"/engagements/{engagement.id}/contacts").get_data(as_text=True)
    assert "Quiet" in listing and "佐藤 由美" in listing and "New Person" in listing
    assert "Quiet" in client.get(f"/engagements/{engagement.id}").get_data(as_text=True)

    # A meeting with them 5 days ago is a touch; a meeting next week is not yet.
    make_meeting(engagement, contact_ids=[contact.id], starts_at=now + timedelta(days=7))
    assert quiet_contacts(engagement, now=now)
    make_meeting(engagement, contact_ids=[contact.id], starts_at=now - timedelta(days=5))
    assert quiet_contacts(engagement, now=now) == []
    assert touches(engagement, now=now)[contact.id] <= now

    # Forty days on (past next week's meeting too), both are quiet again; a note that day brings one back.
    later = now + timedelta(days=40)
    assert {s.contact.name for s in quiet_contacts(engagement, now=later)} == {"佐藤 由美", "New Person"}
    add_note(fresh, body="Called about the kickoff", noted_on=later.date(), author=None, now=later)
    db.session.commit()
    assert [s.contact.name for s in quiet_contacts(engagement, now=later)] == ["佐藤 由美"]


def test_a_request_from_the_contact_counts_as_touch(team):
    from planner.operations.requests import receive_request

    engagement, contact = team["engagement"], team["contact"]
    now = utcnow()
    assert [s.contact.name for s in quiet_contacts(engagement, now=now)] == ["佐藤 由美"]
    receive_request(
        engagement, {"topic": "仕様の確認", "contact_id": contact.id}, received_via="phone", now=now
    )
    assert quiet_contacts(engagement, now=now + timedelta(minutes=1)) == []


def test_our_reply_to_their_request_counts_as_the_latest_touch(team, make_user):
    from planner.operations.requests import mark_replied, receive_request

    engagement, contact = team["engagement"], team["contact"]
    now = utcnow()
    asked = now - timedelta(days=10)
    req = receive_request(
        engagement, {"topic": "仕様の確認", "contact_id": contact.id}, received_via="phone", now=asked
    )
    assert touches(engagement, now=now)[contact.id] == asked
    mark_replied(req, actor=make_user(), now=now - timedelta(days=2), how="by phone")
    db.session.commit()
    assert touches(engagement, now=now)[contact.id] == now - timedelta(days=2)


def test_client_told_counts_as_touch(team):
    from planner.operations.commitments import create_commitment, record_client_told

    engagement, contact = team["engagement"], team["contact"]
    now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    commitment = create_commitment(
        engagement,
        {"title": "Spec", "contact_id": contact.id, "due_at": now + timedelta(days=3)},
        actor=None,
        now=now,
    )
    record_client_told(commitment, actor=None, now=now)
    db.session.commit()
    assert touches(engagement, now=now + timedelta(days=1))[contact.id] == now
    assert date(2026, 11, 25) == now.date()


def test_contact_pages_need_membership(client, login, team):
    contact, engagement = team["contact"], team["engagement"]
    login(client, team["outsider"])
    assert client.get(f"/contacts/{contact.id}").status_code == 404
    assert client.get(f"/engagements/{engagement.id}/contacts").status_code == 404
    client.post("/logout")
    login(client, team["viewer"])
    assert client.get(f"/contacts/{contact.id}").status_code == 200
    assert (
        client.post(f"/contacts/{contact.id}/notes", data={"body": "x", "noted_on": "2026-11-01"}).status_code
        == 403
    )
    assert client.get(f"/engagements/{engagement.id}/contacts/new").status_code == 403
