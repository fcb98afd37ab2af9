"""The agenda editor and stale edits: nothing a user typed is lost, nothing newer is overwritten."""

from __future__ import annotations

import re

from schedule_fixtures import fresh, meeting_state, team_fixture  # noqa: F401

from planner.extensions import db
from planner.models import AgendaItem, Meeting, utcnow
from planner.operations.schedule import add_agenda_item, update_agenda_item, update_meeting


def version_of(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def seen_of(html: str, item_id: int) -> str:
    form = html.split(f'action="/agenda/{item_id}/edit"')[1]
    return re.search(r'name="seen" value="([0-9a-f]+)"', form).group(1)


def edit_data(meeting: Meeting, **overrides) -> dict:
    local = meeting.local_start.strftime("%Y-%m-%dT%H:%M")
    return {
        "title": meeting.title,
        "purpose": meeting.purpose,
        "desired_outcome": meeting.desired_outcome,
        "kind": meeting.kind,
        "status": meeting.status,
        "starts_at": local,
        "duration_minutes": str(meeting.duration_minutes),
    } | overrides


def test_stale_meeting_edit_keeps_input_and_shows_both_versions(client, team, make_meeting, login):
    meeting = make_meeting(team.engagement)
    login(client, team.member)
    loaded = version_of(client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True))
    # Meanwhile a colleague changes the purpose.
    update_meeting(meeting, {"purpose": "Agree the scope of phase 1 and its budget"}, now=utcnow())
    db.session.commit()
    theirs = meeting_state(meeting.id)
    mine = edit_data(meeting, purpose="Agree the screens of phase 1", location="Room 4B")
    response = client.post(f"/meetings/{meeting.id}/edit", data=mine | {"version": loaded})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else saved this meeting while you were editing" in html
    assert "Agree the scope of phase 1 and its budget" in html  # theirs, side by side
    assert html.count("Agree the screens of phase 1") >= 2  # yours in the table and in the form
    assert 'value="Room 4B"' in html
    assert meeting_state(meeting.id) == theirs  # nothing overwritten
    # Saving again, now knowingly over the current version, applies it.
    again = client.post(f"/meetings/{meeting.id}/edit", data=mine | {"version": version_of(html)})
    assert again.status_code == 302
    after = fresh(Meeting, meeting.id)
    assert (after.purpose, after.location) == ("Agree the screens of phase 1", "Room 4B")


def test_agenda_change_meanwhile_is_reported_as_touching_nothing_of_yours(client, team, make_meeting, login):
    meeting = make_meeting(team.engagement)
    login(client, team.member)
    loaded = version_of(client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True))
    add_agenda_item(meeting, title="Risks", minutes=10, now=utcnow())
    db.session.commit()
    response = client.post(f"/meetings/{meeting.id}/edit", data=edit_data(meeting) | {"version": loaded})
    assert response.status_code == 409
    assert "touched nothing that you changed" in response.get_data(as_text=True)


def test_agenda_operations_bump_sequence_and_revision(client, team, make_meeting, login):
    meeting = make_meeting(team.engagement)
    login(client, team.member)

    def counters():
        m = fresh(Meeting, meeting.id)
        return m.sequence, m.engagement.revision

    def post(url, data=None, expect=302):
        before = counters()
        response = client.post(url, data=data or {})
        assert response.status_code == expect, (url, response.status_code)
        after = counters()
        assert after == (before[0] + 1, before[1] + 1), url
        return response

    post(
        f"/meetings/{meeting.id}/agenda", {"title": "Screens list", "minutes": "20", "notes": "From the RFP"}
    )
    post(f"/meetings/{meeting.id}/agenda", {"title": "Open questions", "minutes": "15"})
    first, second = fresh(Meeting, meeting.id).agenda
    post(f"/agenda/{second.id}/up")
    assert [i.title for i in fresh(Meeting, meeting.id).agenda] == ["Open questions", "Screens list"]
    post(f"/agenda/{second.id}/down")
    post(f"/agenda/{first.id}/done")
    assert fresh(AgendaItem, first.id).done
    post(f"/agenda/{first.id}/undone")
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "35 min of 1 h" in html and "25 min free." in html
    post(
        f"/agenda/{first.id}/edit",
        {"title": "Screens list (v2)", "minutes": "50", "notes": "", "seen": seen_of(html, first.id)},
    )
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "The agenda is 5 min longer than the meeting." in html
    assert 'class="agenda-total over"' in html
    post(f"/agenda/{second.id}/delete")
    assert [i.title for i in fresh(Meeting, meeting.id).agenda] == ["Screens list (v2)"]


def test_stale_agenda_item_edit_is_refused_and_keeps_input(client, team, make_meeting, login):
    meeting = make_meeting(team.engagement)
    item = add_agenda_item(meeting, title="Budget", minutes=20, now=utcnow())
    db.session.commit()
    login(client, team.member)
    seen = seen_of(client.get(f"/meetings/{meeting.id}").get_data(as_text=True), item.id)
    update_agenda_item(item, {"title": "Budget and timeline"}, now=utcnow())  # a colleague, meanwhile
    db.session.commit()
    before = meeting_state(meeting.id)
    mine = {"title": "Budget for phase 2", "minutes": "25", "notes": "Bring the estimate", "seen": seen}
    response = client.post(f"/agenda/{item.id}/edit", data=mine | {"meeting_id": str(meeting.id)})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone changed this agenda item while you were editing" in html
    assert "Budget and timeline" in html  # theirs, as the item now reads
    assert 'value="Budget for phase 2"' in html and "Bring the estimate" in html and 'value="25"' in html
    assert '<details class="inline-edit" open>' in html
    assert meeting_state(meeting.id) == before
    # The form now carries the current fingerprint: saving again applies theirs-aware edit.
    response = client.post(f"/agenda/{item.id}/edit", data=mine | {"seen": seen_of(html, item.id)})
    assert response.status_code == 302
    assert fresh(AgendaItem, item.id).title == "Budget for phase 2"


def test_editing_a_removed_item_offers_the_text_to_add_again(client, team, make_meeting, login):
    meeting = make_meeting(team.engagement)
    item = add_agenda_item(meeting, title="Budget", minutes=20, now=utcnow())
    db.session.commit()
    item_id = item.id
    login(client, team.member)
    seen = seen_of(client.get(f"/meetings/{meeting.id}").get_data(as_text=True), item_id)
    assert client.post(f"/agenda/{item_id}/delete").status_code == 302
    mine = {
        "title": "Budget for phase 2",
        "minutes": "25",
        "notes": "",
        "seen": seen,
        "meeting_id": meeting.id,
    }
    response = client.post(f"/agenda/{item_id}/edit", data=mine)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone removed this agenda item meanwhile" in html
    add_form = html.split('id="add-item"')[1]
    assert 'value="Budget for phase 2"' in add_form and 'value="25"' in add_form
    # A button on the removed item only says so.
    response = client.post(f"/agenda/{item_id}/done", data={"meeting_id": meeting.id}, follow_redirects=True)
    assert "Someone removed this agenda item meanwhile." in response.get_data(as_text=True)
    # Without a meeting of theirs to go back to, it is simply not found.
    client.post("/logout")
    login(client, team.stranger)
    assert client.post(f"/agenda/{item_id}/edit", data=mine).status_code == 404


def test_invalid_agenda_edit_keeps_input_and_changes_nothing(client, team, make_meeting, login):
    meeting = make_meeting(team.engagement)
    item = add_agenda_item(meeting, title="Budget", minutes=20, now=utcnow())
    db.session.commit()
    login(client, team.member)
    before = meeting_state(meeting.id)
    for data, message in [
        ({"title": "", "minutes": "10"}, "This field is required."),
        ({"title": "Budget", "minutes": "0"}, "Number must be between 1 and 480."),
        ({"title": "Budget", "minutes": "lots"}, "Not a valid integer value."),
        ({"title": "x" * 301, "minutes": "10"}, "Field cannot be longer than 300 characters."),
        ({"title": "Budget", "minutes": "10", "notes": "n" * 4001}, "Field cannot be longer than 4000"),
    ]:
        response = client.post(f"/agenda/{item.id}/edit", data=data)
        assert response.status_code == 400, data
        html = response.get_data(as_text=True)
        assert message in html, data
        assert '<details class="inline-edit" open>' in html
        response = client.post(f"/meetings/{meeting.id}/agenda", data=data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True)
    assert meeting_state(meeting.id) == before


def test_agenda_roles(client, team, make_meeting, login):
    meeting = make_meeting(team.engagement)
    item = add_agenda_item(meeting, title="Budget", minutes=20, now=utcnow())
    db.session.commit()
    before = meeting_state(meeting.id)
    for user, status in ((team.viewer, 403), (team.stranger, 404)):
        login(client, user)
        assert (
            client.post(f"/agenda/{item.id}/edit", data={"title": "X", "minutes": "5"}).status_code == status
        )
        for action in ("up", "down", "done", "undone", "delete"):
            assert client.post(f"/agenda/{item.id}/{action}").status_code == status
        client.post("/logout")
    assert meeting_state(meeting.id) == before
