"""The engagement page's schedule is rendered once per revision, and never shows a stale one."""

from __future__ import annotations


def test_schedule_is_rendered_once_per_revision(app, client, make_user, make_engagement, make_meeting, login):
    user = make_user()
    engagement = make_engagement(owner=user)
    meeting = make_meeting(engagement, title="Scope workshop")
    login(client, user)
    first = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    second = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    fragments = app.extensions["schedule_fragments"]
    assert "Scope workshop" in first and "Scope workshop" in second
    assert fragments.renders == 1

    response = client.post(f"/meetings/{meeting.id}/agenda", data={"title": "Screens", "minutes": "15"})
    assert response.status_code == 302
    client.get(f"/engagements/{engagement.id}")
    assert fragments.renders == 2

    client.post(f"/meetings/{meeting.id}/cancel")
    page = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "Scope workshop" not in page.split('id="schedule"')[1].split("</section>")[0]
    assert fragments.renders == 3


def test_language_and_role_get_their_own_rendering(
    app, client, make_user, make_engagement, make_meeting, login
):
    from planner.extensions import db
    from planner.operations.people import add_member

    owner = make_user()
    viewer = make_user()
    engagement = make_engagement(owner=owner)
    add_member(engagement, viewer, "viewer")
    db.session.commit()
    make_meeting(engagement, purpose="sync")
    login(client, owner)
    english = client.get(f"/engagements/{engagement.id}", headers={"Accept-Language": "en"})
    assert "/edit#purpose" in english.get_data(as_text=True)
    client.post("/logout")
    login(client, viewer)
    page = client.get(f"/engagements/{engagement.id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Vague purpose" in page and "/edit#purpose" not in page
    assert app.extensions["schedule_fragments"].renders == 2


def test_week_grid_follows_changes(app, client, make_user, make_engagement, make_meeting, login):
    user = make_user()
    engagement = make_engagement(owner=user)
    meeting = make_meeting(engagement, title="Design review")
    monday = meeting.starts_at.astimezone(engagement.tz).date()
    monday = monday.fromordinal(monday.toordinal() - monday.weekday())
    login(client, user)
    url = f"/engagements/{engagement.id}/week?start={monday.isoformat()}"
    assert "Design review" in client.get(url).get_data(as_text=True)
    client.get(url)
    assert app.extensions["week_fragments"].renders == 1
    client.post(
        f"/meetings/{meeting.id}/edit",
        data={
            "title": "Design review, round 2",
            "purpose": meeting.purpose,
            "kind": meeting.kind,
            "status": meeting.status,
            "starts_at": meeting.starts_at.astimezone(engagement.tz).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "60",
            "version": str(meeting.version),
        },
    )
    assert "Design review, round 2" in client.get(url).get_data(as_text=True)
    assert app.extensions["week_fragments"].renders == 2
