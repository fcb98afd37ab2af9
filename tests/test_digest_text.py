"""The digest mail text: late and at-risk first, then each of today's briefs, in ja and en."""

from __future__ import annotations

from datetime import UTC, date, datetime

from planner.brief import AgendaLine, NoteLine, OwedLine, Person, build_brief
from planner.digest import AttentionLine, DigestMeeting, WaitingRequest, compose_digest

START = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
END = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def brief():
    return build_brief(
        title="基本設計レビュー",
        purpose="画面遷移を確定する",
        desired_outcome="画面遷移図の承認",
        starts_at=START,
        ends_at=END,
        zone="Asia/Tokyo",
        agenda=[AgendaLine("画面遷移", 40), AgendaLine("課題", 30)],
        attendees=[
            Person(
                "佐藤",
                ours=False,
                role="情報システム部長",
                preferred_channel="phone",
                readers="committee",
                notes=(NoteLine("3月に予算見直しがある", date(2026, 11, 2)),),
            ),
            Person("田中", ours=True),
        ],
        commitments=[OwedLine("画面モック", "us", "late", datetime(2026, 11, 20, 8, tzinfo=UTC))],
    )


def attention():
    return [
        AttentionLine(
            "A社 基幹刷新",
            "画面モック",
            "late",
            "us",
            datetime(2026, 11, 20, 8, tzinfo=UTC),
            "Asia/Tokyo",
            client_told=False,
            link="http://x/commitments/1",
        )
    ]


def test_digest_in_japanese() -> None:
    subject, body = compose_digest(
        language="ja",
        name="田中",
        today=START,
        meetings=[DigestMeeting("A社 基幹刷新", "Asia/Tokyo", brief())],
        attention=attention(),
    )
    assert subject == "本日の会議 1件 — 11月26日(木)"
    assert body.startswith("田中さん\n\nおはようございます。")
    assert body.index("【遅延・遅延リスクのある約束】") < body.index("【本日の会議】")
    assert "- [遅延] 画面モック — 期限 11月20日(金) 17:00 · 当社 · A社 基幹刷新 (お客様へ未連絡)" in body
    assert "■ 10:00–11:00 基幹設計レビュー" not in body
    assert "■ 10:00–11:00 基本設計レビュー" in body
    assert "目的: 画面遷移を確定する" in body
    assert "アジェンダ (60分中 70分を予定):" in body
    assert "! アジェンダが10分超過しています" in body
    assert "- 佐藤 (情報システム部長, 希望の連絡手段: 電話, 読み手: 委員会で読む)" in body
    assert "11月2日(月): 3月に予算見直しがある" in body
    assert "- 田中 (当社)" in body


def test_digest_in_english_without_meetings() -> None:
    subject, body = compose_digest(language="en", name="Ken", today=START, meetings=[], attention=attention())
    assert subject == "Commitments to watch — Thu 26 November"
    assert (
        "- [LATE] 画面モック — due Fri 20 November, 17:00 · we owe · A社 基幹刷新 "
        "(the client has not been told yet)" in body
    )
    assert "Today's meetings" not in body


def waiting():
    return [
        WaitingRequest(
            "A社 基幹刷新",
            "帳票レイアウトの相談",
            "山田 花子",
            datetime(2026, 11, 25, 2, 0, tzinfo=UTC),
            datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
            "urgent",
            "Asia/Tokyo",
            link="http://x/requests/7",
        )
    ]


def test_requests_waiting_for_an_answer_come_after_the_warnings() -> None:
    _subject, body = compose_digest(
        language="ja", name="田中", today=START, meetings=[], attention=attention(), waiting=waiting()
    )
    assert (
        "【返信待ちの会議の依頼】\n- [急ぎ] 帳票レイアウトの相談 — 山田 花子 · 受付 11月25日(水) 11:00"
        in body
    )
    assert "希望期限 11月26日(木) 18:00 · A社 基幹刷新\n  http://x/requests/7" in body
    assert body.index("【遅延・遅延リスクのある約束】") < body.index("【返信待ちの会議の依頼】")
    subject, body = compose_digest(
        language="en", name="Ken", today=START, meetings=[], attention=[], waiting=waiting()
    )
    assert subject == "Requests waiting for an answer — Thu 26 November"
    assert "== Meeting requests waiting for an answer ==\n- [URGENT] 帳票レイアウトの相談 — 山田 花子" in body
