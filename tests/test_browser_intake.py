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
