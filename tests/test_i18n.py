"""The Japanese catalog is complete and well-formed, and pages speak it when the reader asks for it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from planner.extensions import babel, db

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "planner" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# The same keywords as the extraction command in the README's translation section.
KEYWORDS = DEFAULT_KEYWORDS | {
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{\w+\}")


def _catalog():
    with PO.open("rb") as fh:
        return read_po(fh, locale="ja")


def _key(message) -> tuple[str | None, str]:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return message.context, msgid


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


@pytest.fixture(scope="module")
def source_messages() -> dict[tuple[str | None, str], tuple[str, ...]]:
    """Every translatable string in the Python code and the templates, as the extraction command finds it."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[tuple[str | None, str], tuple[str, ...]] = {}
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        ids = message if isinstance(message, tuple) else (message,)
        if ids[0]:
            found[context, ids[0]] = ids
    return found


@pytest.fixture(scope="module")
def compiled_catalog() -> None:
    """Pages are rendered from the compiled catalog; build it as `make translations` does when it is stale."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        buffer = BytesIO()
        write_mo(buffer, _catalog())
        MO.write_bytes(buffer.getvalue())


@pytest.fixture
def fresh_translations(app, compiled_catalog) -> None:
    """Flask-Babel keeps loaded catalogs for the whole process; read the one on disk."""
    babel.domain_instance.cache.clear()


def test_the_catalog_is_japanese_with_one_plural_form():
    catalog = _catalog()
    assert str(catalog.locale) == "ja"
    assert catalog.num_plurals == 1
    assert catalog.plural_expr == "0"


def test_the_catalog_compiles_without_errors():
    catalog = _catalog()
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []
    buffer = BytesIO()
    write_mo(buffer, catalog)
    assert len(buffer.getvalue()) > 10_000


def test_every_string_in_the_code_has_a_japanese_translation(source_messages):
    catalog = {_key(m): m for m in _catalog() if m.id}
    missing = sorted(msgid for key, (msgid, *_rest) in source_messages.items() if key not in catalog)
    assert missing == [], "run the extract and update commands, then translate"
    untranslated = sorted(
        msgid
        for key, (msgid, *_rest) in source_messages.items()
        if not all(s.strip() for s in _strings(catalog[key])) or catalog[key].fuzzy
    )
    assert untranslated == []


def test_translations_keep_every_placeholder():
    wrong = []
    for message in _catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for translated in _strings(message):
            if sorted(PLACEHOLDER.findall(translated)) != expected:
                wrong.append((ids[0], translated))
    assert wrong == []


def test_translations_are_japanese_not_copies():
    # A label left in English passes the emptiness check: outside its placeholders, a translation with Latin
    # words must also have Japanese script.
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    latin = re.compile(r"[A-Za-z]{2,}")
    # Product and protocol names read the same in Japanese.
    same_in_japanese = {"Planner", "API", "the API", "Outlook"}
    copies = []
    for message in _catalog():
        if not message.id or _key(message)[1] in same_in_japanese:
            continue
        for translated in _strings(message):
            bare = PLACEHOLDER.sub("", translated)
            if latin.search(bare) and not japanese.search(bare):
                copies.append((_key(message)[1], translated))
    assert copies == []


# --- pages -------------------------------------------------------------------------------------


def _text(response) -> str:
    """The page's visible text: tags, scripts and styles removed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return unescape(re.sub(r"(?s)<[^>]+>", "\n", html))


def _assert_japanese(text: str, expected: list[str], english: list[str]) -> None:
    assert [label for label in expected if label not in text] == []
    lines = {line.strip() for line in text.splitlines()}
    assert [label for label in english if label in lines] == []


@pytest.fixture
def japanese_engagement(make_user, make_engagement, make_meeting):
    owner = make_user(name="山本 翔太")
    engagement = make_engagement(owner, name="基幹システム刷新", client_name="さくら物流")
    meeting = make_meeting(
        engagement,
        title="要件定義ワークショップ",
        purpose="受注画面の範囲を合意する",
        desired_outcome="画面一覧の承認",
    )
    return owner, engagement, meeting


def test_login_page_in_japanese(client, fresh_translations):
    text = _text(client.get("/login", headers={"Accept-Language": "ja,en;q=0.5"}))
    _assert_japanese(text, ["ログイン", "パスワード", "メール"], ["Log in", "Password", "Email"])


def test_engagement_page_in_japanese(client, login, japanese_engagement, fresh_translations):
    owner, engagement, _meeting = japanese_engagement
    login(client, owner)
    text = _text(client.get(f"/engagements/{engagement.id}", headers={"Accept-Language": "ja"}))
    _assert_japanese(
        text,
        [
            "スケジュール",
            "新しい会議",
            "担当者",
            "約束事項",
            "カレンダーフィード",
            "会議の依頼",
            "確定",
            "要件定義",
        ],
        [
            "Schedule",
            "New meeting",
            "Contacts",
            "Commitments",
            "Calendar feeds",
            "Settings",
            "Log out",
            "Confirmed",
        ],
    )


def test_meeting_page_in_japanese(client, login, japanese_engagement, fresh_translations):
    owner, _engagement, meeting = japanese_engagement
    login(client, owner)
    text = _text(client.get(f"/meetings/{meeting.id}", headers={"Accept-Language": "ja"}))
    _assert_japanese(
        text,
        ["目的", "期待する成果", "議題", "議題を追加", "編集", "会議を中止"],
        ["Purpose", "Desired outcome", "Agenda", "Add to agenda", "Edit", "Cancel meeting", "Attendees"],
    )


def test_week_view_in_japanese(client, login, japanese_engagement, fresh_translations):
    owner, engagement, meeting = japanese_engagement
    login(client, owner)
    day = meeting.starts_at.astimezone(engagement.tz).date()

    def week(start) -> str:
        url = f"/engagements/{engagement.id}/week?start={start.isoformat()}"
        return _text(client.get(url, headers={"Accept-Language": "ja"}))

    _assert_japanese(
        week(day),
        ["前週", "翌週", "新しい会議", "要件定義ワークショップ", "の週"],
        ["Previous week", "Next week", "New meeting"],
    )
    # A week away from today, with nothing in it: the way back to this week, and the empty days.
    empty = week(day + timedelta(days=21))
    _assert_japanese(empty, ["今週", "前週", "会議なし"], ["This week", "No meetings"])


def test_the_users_language_setting_wins_over_the_browser(
    client, login, japanese_engagement, fresh_translations
):
    owner, engagement, _meeting = japanese_engagement
    login(client, owner)
    url = f"/engagements/{engagement.id}"
    owner.locale = "en"
    db.session.commit()
    text = _text(client.get(url, headers={"Accept-Language": "ja"}))
    assert "New meeting" in text and "新しい会議" not in text
    owner.locale = "ja"
    db.session.commit()
    text = _text(client.get(url, headers={"Accept-Language": "en"}))
    assert "新しい会議" in text and "New meeting" not in text
