"""Schedule pages in headless Chromium: the live purpose hint, the agenda by keyboard, the phone week."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import PASSWORD

from planner.extensions import db
from planner.models import AgendaItem, utcnow
from planner.operations.schedule import add_agenda_item

pytestmark = pytest.mark.browser


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_purpose_hint_follows_typing_and_agenda_works_by_keyboard(
    live_server, page, make_user, make_engagement, make_meeting
):
    user = make_user(email="lead@example.com")
    engagement = make_engagement(owner=user)
    meeting = make_meeting(engagement)
    item = add_agenda_item(meeting, title="Screens list", minutes=20, now=utcnow())
    db.session.commit()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server, user.email)

    page.goto(f"{live_server}/meetings/{meeting.id}/edit")
    hint = page.locator("#purpose-hint")
    assert hint.is_hidden()
    page.fill("textarea[name=purpose]", "定例")
    assert hint.is_visible()
    page.fill("textarea[name=purpose]", "Weekly sync")
    assert hint.is_visible()
    page.fill("textarea[name=purpose]", "来週リリース分の優先順位を決める")
    assert hint.is_hidden()
    page.fill("textarea[name=purpose]", "")
    assert hint.is_hidden()  # empty is "required", said by the form on saving

    # Edit an agenda item without a mouse: focus its Edit toggle, open it, type, submit with Enter.
    page.goto(f"{live_server}/meetings/{meeting.id}")
    page.locator(f"#item-{item.id} summary").focus()
    page.keyboard.press("Enter")
    title = page.locator(f"#item-{item.id} input[name=title]")
    assert title.is_visible()
    title.fill("Screens list, signed off")
    title.press("Enter")
    page.wait_for_url(f"**/meetings/{meeting.id}#item-{item.id}")
    assert page.locator(f"#item-{item.id} .agenda-title").inner_text() == "Screens list, signed off"
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id).title == "Screens list, signed off"
    assert not problems, problems  # no blocked inline script or style, no JS error


def test_week_is_a_grid_on_desktop_and_a_list_on_a_phone(
    live_server, browser, make_user, make_engagement, make_meeting
):
    user = make_user(email="lead@example.com")
    engagement = make_engagement(owner=user)
    make_meeting(engagement, starts_at=datetime(2026, 11, 24, 14, 0, tzinfo=engagement.tz))
    url = f"{live_server}/engagements/{engagement.id}/week?start=2026-11-24"
    columns = {}
    for name, size in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
        context = browser.new_context(viewport=size, locale="ja-JP")
        try:
            page = context.new_page()
            log_in(page, live_server, user.email)
            page.goto(url)
            columns[name] = page.locator(".week-grid").evaluate(
                "el => getComputedStyle(el).gridTemplateColumns.split(' ').length"
            )
            # Nothing sticks out sideways on a phone.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
            assert "勤労感謝の日" in page.locator(".week-day").first.inner_text()
        finally:
            context.close()
    assert columns == {"desktop": 7, "phone": 1}
