"""Why triage decided as it did, in the reader's language, written from the stored decision data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from planner.replies.formatting import format_date, format_datetime, is_japanese

# What each reason means in words (en, ja).
REASON_LABELS: dict[str, tuple[str, str]] = {
    "email_tedious": ("writing it all in a mail is tedious", "メールで書くのは手間がかかる"),
    "wants_face_to_face": ("they want to talk face to face", "顔を合わせて話したい"),
    "nuance": ("nuance is hard to get across in writing", "文章ではニュアンスが伝わりにくい"),
    "deadline_pressure": ("a deadline is close", "締め切りが迫っている"),
    "status_update": ("they want to know where things stand", "進捗状況を知りたい"),
    "new_work_request": ("they have new work to hand over", "新しい依頼がある"),
    "decision_needed": ("a decision must be made", "決めなければならないことがある"),
    "problem_or_complaint": ("something went wrong", "問題やご不満がある"),
    "review_materials": ("there are materials to review together", "資料を一緒に確認したい"),
    "other": ("another reason", "その他"),
}
_FORMATS = {
    "phone": ("phone", "電話"),
    "video": ("video", "ビデオ会議"),
    "in_person": ("in-person", "対面"),
}
_CHANNELS = {
    "phone": ("the phone", "電話"),
    "video": ("video calls", "ビデオ会議"),
    "in_person": ("meeting in person", "対面"),
    "call": ("calls", "電話"),
    "email": ("mail", "メール"),
    "chat": ("chat", "チャット"),
}


@dataclass(frozen=True)
class MeetingName:
    """What an explanation says of a meeting it names."""

    title: str
    starts_at: datetime


def _when(value: str | None, zone: str, ja: bool) -> str:
    if not value:
        return ""
    return format_datetime(datetime.fromisoformat(value), zone, "ja" if ja else "en")


def _day(value: str | None, ja: bool) -> str:
    return format_date(date.fromisoformat(value), "ja" if ja else "en") if value else ""


def _hm(value: str | None) -> str:
    return time.fromisoformat(value).strftime("%H:%M") if value else ""


def _pick(pair: tuple[str, str], ja: bool) -> str:
    return pair[1] if ja else pair[0]


def _meeting(meetings: Mapping[int, MeetingName], meeting_id: Any, zone: str, ja: bool) -> str:
    found = meetings.get(meeting_id) if meeting_id is not None else None
    if found is None:
        return "（削除された打ち合わせ）" if ja else "a meeting that is gone"
    when = format_datetime(found.starts_at, zone, "ja" if ja else "en")
    return f"{when}の「{found.title}」" if ja else f"“{found.title}” on {when}"


def explain(
    data: Mapping[str, Any] | None,
    language: str | None,
    *,
    zone: str,
    meetings: Mapping[int, MeetingName] | None = None,
) -> list[str]:
    """The decision's reasons as sentences; a decision stored before its data was kept gives its old text."""
    if not data:
        return []
    ja = is_japanese(language)
    if "legacy" in data:
        text = data["legacy"].get("ja" if ja else "en") or data["legacy"].get("en" if ja else "ja") or ""
        return [text] if text else []
    meetings = meetings or {}
    lines = [_rule(data, ja, zone, meetings)]
    for note in data.get("notes") or ():
        line = _note(note["code"], note.get("params") or {}, data, ja, zone, meetings)
        if line:
            lines.append(line)
    counted = [REASON_LABELS[r] for r in data.get("counted") or () if r in REASON_LABELS]
    if counted and data.get("rule") in ("R6", "R9"):
        words = "、".join(_pick(r, True) for r in counted) if ja else "; ".join(r[0] for r in counted)
        lines.append(f"決め手になった理由：{words}。" if ja else f"What counted: {words}.")
    return lines


def _rule(data: Mapping[str, Any], ja: bool, zone: str, meetings: Mapping[int, MeetingName]) -> str:
    rule, outcome = data.get("rule"), data.get("outcome")
    minutes = data.get("minutes") or 0
    fmt = _pick(_FORMATS.get(data.get("format") or "", ("", "")), ja)
    if rule == "R1":
        if outcome == "meeting":
            return (
                f"問題のご連絡で関係者が多いため、1営業日以内に{fmt}の打ち合わせを設けます。"
                if ja
                else f"Something went wrong and many people are affected: a {fmt} meeting within one "
                "working day."
            )
        return (
            "問題のご連絡のため、メールだけで済ませず、先送りもせず、できるだけ早くお電話します。"
            if ja
            else "Something went wrong: we call as soon as possible, never answering by mail alone or later."
        )
    if rule == "R2":
        return (
            "進捗状況のみを知りたいとのご依頼のため、本日中に進捗のまとめをメールでお送りします。"
            if ja
            else "They only want to know where things stand: a status summary by mail today."
        )
    if rule == "R3":
        by = _day(data.get("estimate_by"), ja)
        return (
            f"新しいご依頼のため、要件を伺う{minutes}分の{fmt}の打ち合わせを設けます。範囲と見積は{by}までに別途お送りします。"
            if ja
            else f"New work to hand over: a {minutes}-minute {fmt} meeting to hear the requirement; "
            f"the scope and estimate follow separately by {by}."
        )
    if rule == "R4":
        return (
            f"{minutes}分でも参加者が多いため、メールや電話ではなく打ち合わせとし、準備のため2営業日以上先に設定します。"
            if ja
            else "Many people take part: a meeting, whatever its length, at least two working days "
            "ahead so that they can be freed."
        )
    if rule in ("R5", "R10") and outcome == "email":
        by = _day(data.get("answer_by"), ja)
        if rule == "R5":
            return (
                f"短い質問で会話を要する理由がないため、{by}までにメールでご回答します。"
                if ja
                else f"A simple question with nothing to discuss: answered by mail by {by}."
            )
        return (
            f"会話を要する内容ではなく、文面でのやり取りが合っているため、{by}までにメールでご回答します。"
            if ja
            else f"Nothing here needs a conversation and writing suits them: answered by mail by {by}."
        )
    if rule == "R6":
        where = _meeting(meetings, data.get("meeting_id"), zone, ja)
        return (
            f"{where}の議題として{minutes}分をいただきます。"
            if ja
            else f"It goes on the agenda of {where}, with {minutes} minutes."
        )
    if rule == "R7":
        return (
            f"急ぎで、{data.get('minutes')}分の電話で足りるため、期限までにお電話します。"
            if ja
            else f"It is urgent and fits in a {minutes}-minute call: a call before it is needed."
        )
    if rule == "R8":
        return (
            f"電話の目安を超える{minutes}分の話し合いが必要なため、{fmt}の打ち合わせとします。"
            if ja
            else f"It needs a {minutes}-minute conversation, longer than a call: a {fmt} meeting of its own."
        )
    if rule == "R9":
        return (
            f"メールよりも短い会話のほうが確実に伝わる内容のため、{fmt}でお話しします。"
            if ja
            else f"A short conversation serves this better than a mail: a {fmt} call."
        )
    if rule == "R10":
        return (
            f"ご希望の連絡手段に合わせ、{fmt}でお話しします。"
            if ja
            else f"Their preferred way of talking: a {fmt} call."
        )
    if rule == "override":
        return "担当者が対応方法を選びました。" if ja else "A member chose the outcome."
    return ""


def _note(
    code: str,
    params: Mapping[str, Any],
    data: Mapping[str, Any],
    ja: bool,
    zone: str,
    meetings: Mapping[int, MeetingName],
) -> str:
    if code == "topic_match":
        words = "、".join(params.get("words") or ()) if ja else ", ".join(params.get("words") or ())
        return (
            f"この打ち合わせの目的・件名・議題が依頼の内容と一致しています（共通語：{words}）。"
            if ja
            else f"That meeting's purpose, title and agenda share the topic (shared words: {words})."
        )
    if code == "status_home":
        return (
            "内容が一致する打ち合わせはないため、空きのある直近の定例（進捗会議）で扱います。"
            if ja
            else "No planned meeting is about this topic, so the next status meeting with room takes it."
        )
    if code == "home_full":
        where = _meeting(meetings, params.get("meeting_id"), zone, ja)
        free, needed = params.get("free"), params.get("needed")
        return (
            f"{where}は内容が一致しますが、空きが{free}分しかなく必要な{needed}分に足りません。"
            "別の内容の打ち合わせには載せず、次の規則で判断しました。"
            if ja
            else f"{where} matches the topic but has {free} of the {needed} minutes needed free; the topic "
            "is not put on a meeting about something else."
        )
    if code == "their_hours":
        span = f"{_hm(params.get('from'))}–{_hm(params.get('until'))}"
        return (
            f"候補は先方の時間帯（{params.get('zone')}、{span}）と双方の営業日に合わせています。"
            if ja
            else f"The times keep to their hours ({span}, {params.get('zone')}) on working days on "
            "both sides."
        )
    if code == "after_needed_by":
        by = _when(params.get("needed_by"), zone, ja)
        if not params.get("in_time"):
            return (
                f"期限（{by}）までに空いている時間がないため、最も早い候補を示し、返信でもその旨をお伝えします。"
                if ja
                else f"No time is free before it is needed ({by}): the earliest times are offered, "
                "and the reply says so."
            )
        return (
            f"期限（{by}）までに収まる候補は{params.get('in_time')}件のみで、残りはその後の時間です。"
            if ja
            else f"Only {params.get('in_time')} of the times fit before it is needed ({by}); "
            "the others come after."
        )
    if code == "no_slot":
        return (
            f"今後{params.get('days')}日間に空いている時間がありません。日時を選んでください。"
            if ja
            else f"No free time in the next {params.get('days')} days: choose a time by hand."
        )
    if code == "calendar_failed":
        servers = "、".join(params.get("servers") or ()) if ja else ", ".join(params.get("servers") or ())
        return (
            f"個人カレンダー（{servers}）の予定を読めなかったため、候補はその予定を考慮していません。"
            if ja
            else f"The personal calendar on {servers} could not be read: the times do not account for it."
        )
    if code == "longer_agreed_on_call":
        return (
            f"ご希望は{params.get('asked')}分ですが、お電話は上限内とし、詳しいお打ち合わせはその電話で決めます。"
            if ja
            else f"They asked for {params.get('asked')} minutes: the call keeps within the limit "
            "and a longer discussion is agreed on it."
        )
    if code == "people":
        return (
            f"参加者は{params.get('people')}名（{params.get('threshold')}名以上）です。"
            if ja
            else f"{params.get('people')} people take part ({params.get('threshold')} or more)."
        )
    if code == "urgent":
        by = _when(params.get("needed_by"), zone, ja)
        return (
            f"期限は{by}で、{params.get('hours')}時間以内です。"
            if ja
            else f"It is needed by {by}, within {params.get('hours')} hours."
        )
    if code == "channel" and data.get("outcome") == "email" and params.get("channel") in (None, ""):
        return "連絡手段の希望は分かっていません。" if ja else "No preferred way of contact is known."
    if code == "channel" and params.get("channel"):
        channel = _pick(_CHANNELS.get(params["channel"], (params["channel"], params["channel"])), ja)
        if params.get("stated"):
            return f"今回のご依頼では{channel}をご希望です。" if ja else f"This request asks for {channel}."
        return f"ご担当者様は{channel}を好まれます。" if ja else f"The contact prefers {channel}."
    return ""
