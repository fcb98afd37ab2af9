"""In a real browser: the client opens the link in the reply, picks a time, and the meeting is made; in
Japanese and English, on a desktop and on a phone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from planner.extensions import db
from planner.models import Meeting, MeetingRequest, utcnow
from planner.operations.contacts import create_contact
from planner.operations.requests import booking_url, submit_request

pytestmark = pytest.mark.browser


def _offered(scene, *, language: str) -> MeetingRequest:
    """A request by a contact writing in `language`, answered with a call and times to pick."""
    contact = scene.contact
    if language == "en":
        contact = create_contact(
            scene.engagement,
            {
                "name": "Emma Clarke",
                "email": "emma@sunrise.example",
                "language": "en",
                "timezone": "Europe/London",
            },
            now=utcnow(),
        )
        db.session.flush()
    data = {
        "topic": "Master data definitions" if language == "en" else "マスタ項目の定義",
        "reasons": ["nuance"],
    }
    data |= {"expected_minutes": 20, "people": 2, "contact_id": contact.id}
    req, _ = submit_request(
        scene.engagement, data, received_via="email", now=utcnow(), actor=scene.owner, apply=True
    )
    assert req.outcome == "call" and len(req.proposed_slots) >= 2
    return req


@pytest.mark.parametrize(
    ("language", "viewport", "button", "booked"),
    [
        ("ja", {"width": 1280, "height": 900}, "この時間で予約する", "予約しました"),
        ("en", {"width": 1280, "height": 900}, "Book this time", "Booked"),
        ("ja", {"width": 390, "height": 844}, "この時間で予約する", "予約しました"),
        ("en", {"width": 390, "height": 844}, "Book this time", "Booked"),
    ],
)
def test_the_client_picks_a_time_from_the_reply(
    scene, live_server, browser, language, viewport, button, booked
):
    req = _offered(scene, language=language)
    link = booking_url(db.session.get(MeetingRequest, req.id))
    path = re.sub(r"^https?://[^/]+", "", link)
    context = browser.new_context(viewport=viewport, locale="ja-JP" if language == "ja" else "en-GB")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        slots = page.locator("input[name=starts_at]")
        assert slots.count() == len(req.proposed_slots)
        labels = page.locator(".booking-slot").all_inner_texts()
        zone = "JST" if language == "ja" else "BST|GMT"
        assert all(re.search(zone, label) for label in labels), labels
        slots.nth(1).check()
        page.get_by_role("button", name=button).click()
        page.wait_for_selector("#booked")
        assert booked in page.locator("main").inner_text()
    finally:
        context.close()
    db.session.remove()
    booked_id = db.session.get(MeetingRequest, req.id).meeting_id
    meeting = db.session.scalars(select(Meeting).where(Meeting.id == booked_id)).one()
    assert (
        meeting.status == "confirmed" and meeting.starts_at.isoformat() == req.proposed_slots[1]["starts_at"]
    )
