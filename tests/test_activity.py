"""`Engagement.activity` moves with every committed change to an engagement's rows, and only then."""

from __future__ import annotations

from sqlalchemy import select

from planner.extensions import db
from planner.models import AgendaItem, ContactNote, Engagement, utcnow
from planner.operations.contacts import add_note, create_contact
from planner.operations.people import add_member, create_api_token


def activity(engagement_id: int) -> int:
    return db.session.scalar(select(Engagement.activity).where(Engagement.id == engagement_id))


def test_a_meeting_change_moves_its_engagement_only(app, make_engagement, make_meeting):
    mine, other = make_engagement(), make_engagement()
    meeting = make_meeting(mine)
    before, other_before = activity(mine.id), activity(other.id)
    meeting.title = "Renamed"
    db.session.commit()
    assert activity(mine.id) == before + 1
    assert activity(other.id) == other_before


def test_rows_reached_through_a_meeting_or_a_contact_count(app, make_engagement, make_meeting):
    engagement = make_engagement()
    meeting = make_meeting(engagement)
    before = activity(engagement.id)
    db.session.add(AgendaItem(meeting_id=meeting.id, title="Open questions", minutes=10, position=9))
    db.session.commit()
    after_item = activity(engagement.id)
    assert after_item == before + 1

    contact = create_contact(engagement, {"name": "Tanaka Yui", "email": "tanaka@example.com"}, now=utcnow())
    db.session.commit()
    after_contact = activity(engagement.id)
    assert after_contact == after_item + 1
    add_note(contact, body="Prefers calls before noon.", noted_on=utcnow().date(), author=None, now=utcnow())
    db.session.commit()
    assert db.session.scalar(select(ContactNote.id).where(ContactNote.contact_id == contact.id))
    assert activity(engagement.id) == after_contact + 1

    item = db.session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id))
    db.session.delete(item)
    db.session.commit()
    assert activity(engagement.id) == after_contact + 2


def test_a_rolled_back_change_and_a_no_op_leave_it_alone(app, make_engagement, make_meeting):
    engagement = make_engagement()
    meeting = make_meeting(engagement)
    before = activity(engagement.id)
    meeting.title = "Never saved"
    db.session.flush()
    db.session.rollback()
    meeting = db.session.merge(meeting)
    meeting.title = meeting.title  # set to what it already is
    db.session.commit()
    assert activity(engagement.id) == before


def test_a_renamed_user_moves_every_engagement_they_are_in(app, make_user, make_engagement):
    user = make_user()
    first = make_engagement(owner=user)
    second = make_engagement()
    add_member(second, user, "viewer")
    stranger = make_engagement()
    db.session.commit()
    before = (activity(first.id), activity(second.id), activity(stranger.id))
    user.name = "Sato Ken"
    db.session.commit()
    assert (activity(first.id), activity(second.id), activity(stranger.id)) == (
        before[0] + 1,
        before[1] + 1,
        before[2],
    )


def test_an_api_token_is_nobody_s_page(app, make_user, make_engagement):
    user = make_user()
    engagement = make_engagement(owner=user)
    before = activity(engagement.id)
    create_api_token(user, label="laptop", now=utcnow())
    db.session.commit()
    assert activity(engagement.id) == before
