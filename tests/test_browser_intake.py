"""In a real browser: a client asks for a meeting on their schedule page, and it lands on a planned agenda."""

from __future__ import annotations

import pytest
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_client_request_lands_as_an_agenda_item(scene, live_server, page):
    # The client opens their schedule page and fills in the request form at its foot.
    page.goto(f"{live_server}/s/{scene.token}")
    form = page.locator("form.request-form")
    form.locator("input[name=requester_name]").fill("山田 花子")
    form.locator("input[name=requester_email]").fill("hanako@sakura.example")
    form.locator("input[name=topic]").fill("ログイン画面のエラーメッセージ")
    form.locator("textarea[name=details]").fill("表示する文言を相談したいです。")
    form.locator("input[name=reasons][value=nuance]").check()
    form.locator("input[name=expected_minutes]").fill("15")
    form.locator("input[name=people]").fill("2")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/s/{scene.token}/request/*")
    assert "ログイン画面のエラーメッセージ" in page.locator("main").inner_text()

    # A member logs in and finds it on the engagement page.
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", scene.owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.goto(f"{live_server}/engagements/{scene.engagement.id}")
    panel = page.locator("#requests")
    panel.get_by_role("link", name="ログイン画面のエラーメッセージ").click()

    # The decision names the design review; the member applies it.
    assert "画面設計レビュー" in page.locator("#decision").inner_text()
    page.locator("#apply-decision").click()
    page.wait_for_selector("#decision .badge-ok")

    # Back on the engagement page it shows as an item on the design review's agenda.
    page.goto(f"{live_server}/engagements/{scene.engagement.id}")
    applied = page.locator("#requests .applied-list").inner_text()
    assert "ログイン画面のエラーメッセージ" in applied and "画面設計レビュー" in applied
    page.locator("#requests .applied-list").get_by_role("link", name="画面設計レビュー").click()
    assert "ログイン画面のエラーメッセージ" in page.locator("#agenda").inner_text()


def test_request_and_commitment_lists_fit_a_phone(scene, live_server, browser):
    """On a phone each list row is a block whose cells say what they are, and nothing sticks out sideways."""
    from datetime import timedelta

    from planner.extensions import db
    from planner.models import utcnow
    from planner.operations.commitments import create_commitment
    from planner.operations.requests import receive_request

    now = utcnow()
    data = {
        "topic": "ハンディ端末の新しい操作手順について",
        "reasons": ["nuance"],
        "requester_name": "鈴木 大輔",
        "expected_minutes": 20,
        "people": 3,
    }
    receive_request(scene.engagement, data, received_via="phone", now=now)
    create_commitment(
        scene.engagement,
        {"title": "要件定義書（第1版）の提出", "owed_by": "us", "due_at": now + timedelta(hours=20)},
        actor=scene.owner,
        now=now,
    )
    db.session.commit()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    try:
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", scene.owner.email)
        page.fill("input[name=password]", PASSWORD)
        page.locator("main button[type=submit]").click()
        for path, table in (("requests", ".requests-table"), ("commitments", ".commitments-table")):
            page.goto(f"{live_server}/engagements/{scene.engagement.id}/{path}")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
            row = page.locator(f"{table} tbody tr").first
            assert row.evaluate("el => getComputedStyle(el).display") == "block", path
            assert page.locator(f"{table} thead").first.is_hidden(), path
    finally:
        context.close()
