"""What the calendar sync tells a person comes from the catalog, in English and in Japanese."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_i18n import _text, compiled_catalog, fresh_translations  # noqa: F401

from planner.calendar_texts import refusal_text, sync_error_text, sync_note_text
from planner.extensions import db
from planner.models import CalendarLink, SyncState, utcnow

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
BACKEND = Path(__file__).resolve().parent.parent / "planner"


def backend_codes() -> set[str]:
    """Every error code the backend and the sync can return, read from their source."""
    codes: set[str] = set()
    for name in ("caldav_backend.py", "caldav_types.py", "operations/calendars.py", "tasks.py"):
        source = (BACKEND / name).read_text()
        codes |= set(re.findall(r'code="([a-z_]+)"', source))
        codes |= set(re.findall(r'default_code = "([a-z_]+)"', source))
        codes |= set(re.findall(r'"error_code": "([a-z_]+)"', source))
    return codes


def test_the_backend_returns_codes_that_all_have_words():
    assert {
        "timeout",
        "unreachable",
        "auth_failed",
        "no_privileges",
        "refused",
        "uid_taken",
    } <= backend_codes()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_code_reads_as_a_sentence_in_both_languages(app, fresh_translations, language):  # noqa: F811
    params = {
        "host": "dav.example.com",
        "status": "503",
        "what": "event upload",
        "precondition": "valid-calendar-data",
    }
    with app.test_request_context(headers={"Accept-Language": language}):
        for code in sorted(backend_codes()):
            text = sync_error_text(code, params, fallback="FALLBACK")
            assert text != "FALLBACK", code
            assert bool(JAPANESE.search(text)) == (language == "ja"), (code, text)
        for note in ("refused", "changed_again", "changed_during_sync", "unreadable", "all_day"):
            text = sync_note_text(
                {"code": note, "title": "Weekly review", "precondition": "max-resource-size"}
            )
            assert bool(JAPANESE.search(text)) == (language == "ja"), (note, text)
        said = refusal_text("valid-calendar-data", "No value for X property")
        assert "No value for X property" in said and bool(JAPANESE.search(said)) == (language == "ja")


def test_link_page_and_meeting_page_say_why_in_the_readers_language(
    client,
    login,
    api_headers,
    make_user,
    make_engagement,
    make_meeting,
    fresh_translations,  # noqa: F811
):
    owner = make_user()
    engagement = make_engagement(owner=owner, name="Renewal")
    meeting = make_meeting(engagement, title="Budget review")
    link = CalendarLink(
        engagement_id=engagement.id,
        server_url="https://dav.example.com/",
        username="team",
        calendar_url="https://dav.example.com/team/renewal/",
        display_name="Renewal",
        last_error="Could not connect to the calendar server at dav.example.com; it may be down. Will retry.",
        last_error_code="unreachable",
        last_error_params=json.dumps({"host": "dav.example.com"}),
        last_error_at=utcnow(),
        failures=1,
        last_counts="{}",
    )
    db.session.add(link)
    db.session.flush()
    db.session.add(
        SyncState(
            link_id=link.id,
            meeting_id=meeting.id,
            uid=meeting.uid,
            href="/team/renewal/x.ics",
            refused="valid-calendar-data",
            refused_detail="No value for X property",
            refused_sequence=meeting.sequence,
        )
    )
    db.session.commit()
    login(client, owner)

    english = _text(client.get(f"/engagements/{engagement.id}/calendars", headers={"Accept-Language": "en"}))
    assert "Could not connect to the calendar server at dav.example.com" in english
    assert "the server found the event's data invalid" in english and "No value for X property" in english
    japanese = _text(client.get(f"/engagements/{engagement.id}/calendars", headers={"Accept-Language": "ja"}))
    assert "カレンダーサーバー dav.example.com に接続できませんでした" in japanese
    assert "サーバーが予定のデータを不正と判断しました" in japanese and "No value for X property" in japanese
    assert "Could not connect" not in japanese

    page = _text(client.get(f"/meetings/{meeting.id}", headers={"Accept-Language": "ja"}))
    assert "カレンダー「Renewal」に受け付けられませんでした" in page
    assert "サーバーのメッセージ：「No value for X property」" in page

    status = client.get(
        f"/api/v1/calendars/{link.id}", headers={"Accept-Language": "ja", **api_headers(owner)}
    )
    assert status.status_code == 200
    assert status.json["last_error_code"] == "unreachable"
    assert "接続できませんでした" in status.json["last_error"]
