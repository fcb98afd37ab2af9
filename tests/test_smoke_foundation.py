"""The skeleton: login, the engagement page, a meeting and its agenda through the browser-facing routes."""

from __future__ import annotations

from planner.models import Meeting


def test_login_and_engagement_page(client, make_user, make_engagement, make_meeting, login):
    user = make_user()
    engagement = make_engagement(owner=user)
    make_meeting(engagement)
    assert client.get(f"/engagements/{engagement.id}").status_code == 302
    login(client, user)
    page = client.get(f"/engagements/{engagement.id}")
    assert page.status_code == 200
    assert "Agree the scope of the order-entry screens" in page.get_data(as_text=True)


def test_agenda_item_bumps_sequence(app, client, make_user, make_engagement, make_meeting, login):
    user = make_user()
    engagement = make_engagement(owner=user)
    meeting = make_meeting(engagement)
    login(client, user)
    before = meeting.sequence
    response = client.post(f"/meetings/{meeting.id}/agenda", data={"title": "Screens list", "minutes": "20"})
    assert response.status_code == 302
    from planner.extensions import db

    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting.id)
    assert [i.title for i in meeting.agenda] == ["Screens list"]
    assert meeting.sequence == before + 1
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Screens list" in page


def test_nul_characters_are_refused(client, make_user, make_engagement, make_meeting, login):
    user = make_user()
    engagement = make_engagement(owner=user)
    meeting = make_meeting(engagement)
    login(client, user)
    response = client.post(f"/meetings/{meeting.id}/agenda", data={"title": "a\x00b", "minutes": "10"})
    assert response.status_code == 422
    assert "NUL" in response.get_data(as_text=True)
    assert client.get(f"/engagements/{engagement.id}/week?start=2026%00").status_code == 422
    from planner.extensions import db

    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).agenda == []


def test_one_save_is_one_version_and_one_sequence(client, make_user, make_engagement, make_meeting, login):
    from planner.extensions import db

    user = make_user()
    engagement = make_engagement(owner=user)
    meeting = make_meeting(engagement)
    login(client, user)
    version, sequence = meeting.version, meeting.sequence
    response = client.post(
        f"/meetings/{meeting.id}/edit",
        data={
            "title": "Scope workshop",
            "purpose": meeting.purpose,
            "kind": meeting.kind,
            "status": meeting.status,
            "starts_at": meeting.starts_at.astimezone(engagement.tz).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "60",
            "version": str(version),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Meeting, meeting.id)
    assert (saved.title, saved.version, saved.sequence) == ("Scope workshop", version + 1, sequence + 1)
