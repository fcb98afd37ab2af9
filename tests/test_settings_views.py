"""The user's settings page and the footer's language switch."""

from __future__ import annotations

from datetime import datetime

from flask_babel import refresh

from planner.extensions import db
from planner.models import User


def test_language_switch_is_saved_and_dates_follow(client, make_user, make_engagement, make_meeting, login):
    user = make_user()
    engagement = make_engagement(owner=user)
    make_meeting(engagement, starts_at=datetime(2026, 11, 24, 14, 0, tzinfo=engagement.tz))
    login(client, user)
    url = f"/engagements/{engagement.id}/week?start=2026-11-24"
    response = client.post("/settings/language", data={"locale": "ja", "next": url})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "ja"
    refresh()  # the fixture's app context outlives requests, and Flask-Babel keeps the locale on it
    html = client.get(url).get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert "2026年11月23日(月)" in html and "11/24" in html and "14:00" in html
    # Nonsense changes nothing and goes nowhere else.
    response = client.post("/settings/language", data={"locale": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "ja"


def test_settings_page_shows_the_header_to_send(client, make_user, login):
    user = make_user()
    login(client, user)
    html = client.get("/settings/").get_data(as_text=True)
    assert "Authorization: Bearer &lt;token&gt;" in html
    response = client.post("/settings/", data={"name": "x" * 121, "locale": "en"})
    assert response.status_code == 400
    assert "Field cannot be longer than 120 characters." in response.get_data(as_text=True)
