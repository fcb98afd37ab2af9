"""The client's schedule page: read-only, in the contact's or browser's language, nothing internal."""

from __future__ import annotations

import pytest

from planner.extensions import db
from planner.models import Contact, utcnow
from planner.operations.feeds import create_feed
from planner.operations.schedule import add_agenda_item, update_meeting


@pytest.fixture
def portal(make_user, make_engagement, make_meeting):
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner, name="Order system", timezone="Asia/Tokyo", language="ja")
    shared = make_meeting(
        engagement, title="Requirements workshop", desired_outcome="A signed-off list of screens"
    )
    add_agenda_item(shared, title="Screen walkthrough", minutes=40, now=utcnow())
    update_meeting(shared, {"internal_notes": "Keep the budget topic for later"}, now=utcnow())
    make_meeting(engagement, title="Pricing strategy", purpose="Decide our margin", internal=True)
    contact = Contact(engagement=engagement, name="Tanaka", language="ja")
    db.session.add(contact)
    db.session.commit()
    _, token = create_feed(
        engagement, label="Tanaka", audience="client", contact=contact, user=owner, now=utcnow()
    )
    _, plain = create_feed(engagement, label="Anyone", audience="team", user=owner, now=utcnow())
    db.session.commit()
    return {"engagement": engagement, "shared": shared, "token": token, "plain": plain}


def test_page_shows_purpose_outcome_agenda_and_subscribe_links(client, portal):
    answer = client.get(f"/s/{portal['plain']}", headers={"Accept-Language": "en"})
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Requirements workshop" in html
    assert "Agree the scope of the order-entry screens" in html
    assert "A signed-off list of screens" in html
    assert "Screen walkthrough" in html and "40 min" in html
    assert f'id="m-{portal["shared"].id}"' in html
    assert f"webcal://localhost/feeds/{portal['plain']}.ics" in html
    assert f"http://localhost/feeds/{portal['plain']}.ics" in html
    assert "Outlook" in html and "Google Calendar" in html and "Apple Calendar" in html
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert "<form" not in html.split("portal-note")[0]  # read-only: nothing to submit above the end


def test_page_never_shows_internal_meetings_or_notes(client, portal):
    # Even through a team link: the page is what a client may see.
    for token in (portal["token"], portal["plain"]):
        html = client.get(f"/s/{token}").get_data(as_text=True)
        assert "Pricing strategy" not in html
        assert "Decide our margin" not in html
        assert "Keep the budget topic" not in html


def test_page_speaks_the_contacts_language(client, portal):
    html = client.get(f"/s/{portal['token']}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert "日" in html  # the date is written the Japanese way, e.g. 2026年11月27日(金)
    assert "40分" in html


def test_page_follows_the_browser_without_a_contact_and_can_switch(client, portal):
    url = f"/s/{portal['plain']}"
    html = client.get(url, headers={"Accept-Language": "ja,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert "40分" in html
    switched = client.get(url + "?lang=en", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert '<html lang="en">' in switched
    assert "40 min" in switched


def test_unknown_token_is_404(client, portal):
    assert client.get("/s/nope").status_code == 404


def test_page_follows_schedule_changes(client, portal):
    url = f"/s/{portal['plain']}"
    assert "Requirements workshop" in client.get(url).get_data(as_text=True)
    update_meeting(portal["shared"], {"title": "Screens workshop"}, now=utcnow())
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "Screens workshop" in html
    assert "Requirements workshop" not in html
