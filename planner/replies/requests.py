"""Drafted replies to meeting requests, written from the decision's data in the reader's language.

A reply a consultant sends as is: addressed to the contact's organisation, department and role, signed with
the member's profile, times in the contact's zone with its abbreviation, an apology first for a complaint,
the meeting's place and link for an agenda item, the proposed times and the link to pick one. Honest: it
never makes up an excuse and never claims a speed the proposed times do not keep.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from planner.replies.formatting import format_date, is_japanese
from planner.replies.letters import Addressee, Sender, format_moment, format_span, frame, quoted
from planner.replies.purposes import call_purpose, proposed_purpose
from planner.replies.status import StatusSummary, status_body

__all__ = [
    "Addressee",
    "MeetingRef",
    "Reply",
    "ReplyInput",
    "Sender",
    "StatusSummary",
    "call_purpose",
    "draft_reply",
    "proposed_purpose",
    "reply_language",
]


@dataclass(frozen=True)
class Reply:
    """A drafted mail: subject, body and the language it is written in."""

    subject: str
    body: str
    language: str


@dataclass(frozen=True)
class MeetingRef:
    """A meeting as a reply mentions it; `purpose` is empty when it says nothing (a vague one)."""

    title: str
    purpose: str
    starts_at: datetime
    minutes: int
    desired_outcome: str = ""
    location: str = ""
    conference_url: str = ""

    @property
    def ends_at(self) -> datetime:
        """When it ends."""
        return self.starts_at + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class ReplyInput:
    """What a reply is written from: the request, the stored decision and who writes to whom."""

    outcome: str
    topic: str
    language: str
    # The contact's zone (the engagement's when they are not elsewhere).
    zone: str
    now: datetime
    decision: Mapping[str, Any] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    minutes: int = 15
    to: Addressee | None = None
    sender: Sender | None = None
    meeting: MeetingRef | None = None
    status: StatusSummary | None = None
    booking_url: str | None = None
    needed_by: datetime | None = None
    # The engagement's zone: dates a promise is kept on are counted there.
    home_zone: str = "Asia/Tokyo"


def reply_language(*candidates: str | None) -> str:
    """The first of the given language codes we write in ("ja" or "en"), else English."""
    for code in candidates:
        if code and is_japanese(code):
            return "ja"
        if code and code.lower().startswith("en"):
            return "en"
    return "en"


def draft_reply(data: ReplyInput) -> Reply:
    """The drafted reply for the request's outcome (`call`, `email`, `agenda_item`, `meeting`)."""
    lang = reply_language(data.language)
    ja = lang == "ja"
    complaint = "problem_or_complaint" in data.reasons
    if data.outcome == "agenda_item":
        if data.meeting is None:
            raise ValueError("an agenda item reply needs the meeting")
        subject, body = _agenda(data, ja)
    elif data.outcome in ("call", "meeting"):
        subject, body = _proposal(data, ja, complaint)
    elif data.outcome == "email" and data.status is not None:
        subject, body = status_body(data.topic, data.status, lang, data.zone)
    elif data.outcome == "email":
        subject, body = _written(data, ja)
    else:
        raise ValueError(f"unknown outcome: {data.outcome}")
    closing = ""
    if complaint:
        closing = "重ねてお詫び申し上げます。" if ja else "Once again, I am sorry for the trouble."
    return Reply(
        subject=subject, body=frame(body, data.to, data.sender, lang, closing=closing), language=lang
    )


# --- proposals: a call or a meeting ----------------------------------------------------------------------

_FORMATS = {
    "phone": ("a phone call", "お電話"),
    "video": ("a video call", "ビデオ会議"),
    "in_person": ("a meeting in person", "対面でのお打ち合わせ"),
}


def _slots(data: ReplyInput) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.fromisoformat(s["starts_at"]), datetime.fromisoformat(s["ends_at"]))
        for s in data.decision.get("slots") or ()
    ]


def _after_needed_by(data: ReplyInput) -> dict | None:
    return next(
        (n["params"] for n in data.decision.get("notes") or () if n["code"] == "after_needed_by"), None
    )


def _proposal(data: ReplyInput, ja: bool, complaint: bool) -> tuple[str, str]:
    lang = "ja" if ja else "en"
    is_call = data.outcome == "call"
    fmt = data.decision.get("format") or ("phone" if is_call else "video")
    cause = data.decision.get("cause")
    slots = _slots(data)
    lines: list[str] = []
    if complaint:
        lines.append(
            f"{quoted(data.topic, lang)}の件では、大変ご迷惑をおかけしており、誠に申し訳ございません。"
            if ja
            else f"I am sorry for the trouble this has caused with {quoted(data.topic, lang)}."
        )
        if cause == "ours":
            lines.append(
                "何が起きたのか、原因と復旧の見通しを直接ご説明させてください。"
                if ja
                else "I would like to explain what happened, why, and how we are putting it right."
            )
        else:
            lines.append(
                "まずは状況を詳しくお伺いし、次の対応を一緒に決めさせてください。"
                if ja
                else "I would like to hear exactly what happened and agree the next step with you."
            )
    else:
        lines.append(
            f"{quoted(data.topic, lang)}の件、ご連絡いただきありがとうございます。"
            if ja
            else f"Thank you for your message about {quoted(data.topic, lang)}."
        )
    lines.append("")
    minutes = data.minutes
    if is_call and complaint:
        lines.append(
            f"こちらからお電話を差し上げたく存じます。以下のいずれかのお時間はいかがでしょうか（{minutes}分ほど）。"
            if ja
            else f"I would like to call you. Any of these times would suit me (about {minutes} minutes):"
        )
    elif is_call:
        how = _FORMATS.get(fmt, _FORMATS["phone"])[1 if ja else 0]
        lines.append(
            f"{how}で{minutes}分ほどお話しできればと存じます。以下のいずれかのお時間はいかがでしょうか。"
            if ja
            else f"Could we talk it through on {how}? About {minutes} minutes should do; I can call you at "
            "any of these times:"
        )
    else:
        purpose, outcome = proposed_purpose(data.topic, data.reasons, lang, cause)
        how = _FORMATS.get(fmt, _FORMATS["video"])[1 if ja else 0]
        if ja:
            lines += [
                "本件は、お打ち合わせの場を設けてご相談させていただきたく存じます。",
                "",
                f"目的：{purpose}",
                f"目指す成果：{outcome}",
                f"形式：{how}（{minutes}分）",
                "",
                "以下のいずれかの日時はいかがでしょうか。",
            ]
        else:
            lines += [
                "This deserves a meeting of its own. I propose:",
                "",
                f"Purpose: {purpose}",
                f"Desired outcome: {outcome}",
                f"Format: {how}, {minutes} minutes",
                "",
                "Any of these times would suit us:",
            ]
    lines += [("・" if ja else "- ") + format_span(start, end, data.zone, lang) for start, end in slots]
    lines += _honest_timing(data, ja, slots)
    if data.booking_url:
        lines += [
            "",
            f"ご都合のよい日時は、こちらからお選びいただけます：{data.booking_url}"
            if ja
            else f"You can pick the time that suits you here: {data.booking_url}",
        ]
    lines.append("")
    if complaint:
        lines.append(
            "上記以外でも、ご都合のよいお時間をお知らせいただければ、いつでも折り返しお電話いたします。"
            if ja
            else "If another time suits you better, tell me and I will call you back whenever you like."
        )
        report = data.decision.get("report_by")
        if report:
            lines.append(_report_line(datetime.fromisoformat(report), data, ja))
    else:
        lines.append(
            "ご都合が合わない場合は、別の日時をお知らせください。"
            if ja
            else "If none of these suits you, just tell me another time."
        )
    if data.outcome == "meeting" and data.decision.get("estimate_by"):
        by = format_date(date.fromisoformat(data.decision["estimate_by"]), lang)
        lines.append(
            f"対応範囲とお見積りは、お打ち合わせの内容を踏まえ、{by}までに別途お送りいたします。"
            if ja
            else f"The scope and estimate will follow separately, by {by}."
        )
    subject = _subject(data, ja, complaint, "お電話のお願い" if is_call else "お打ち合わせ日程のご相談")
    return subject, "\n".join(lines)


def _honest_timing(data: ReplyInput, ja: bool, slots: list) -> list[str]:
    """Say plainly when no time is free before it is needed, or none at all."""
    lang = "ja" if ja else "en"
    if not slots:
        return [
            "申し訳ございませんが、現時点でご提案できる空き時間がございません。ご都合のよい日時をお知らせください。"
            if ja
            else "I am sorry: I have no free time to offer at the moment. Please tell me when suits you."
        ]
    late = _after_needed_by(data)
    if late is None or data.needed_by is None:
        return []
    by = format_moment(data.needed_by, data.zone, lang)
    if not late.get("in_time"):
        return [
            "",
            f"ご希望の{by}までにお取りできる時間がなく、申し訳ございません。上記が最も早い候補です。"
            if ja
            else f"I am sorry: I have no time free before {by}, when you needed it. These are the earliest "
            "I can offer.",
        ]
    return [
        "",
        f"ご希望の{by}までに間に合うのは、最初の候補です。"
        if ja
        else f"Only the first time is before {by}, when you needed it.",
    ]


def _report_line(when: datetime, data: ReplyInput, ja: bool) -> str:
    local = when.astimezone(ZoneInfo(data.home_zone))
    today = data.now.astimezone(ZoneInfo(data.home_zone)).date()
    lang = "ja" if ja else "en"
    if local.date() == today and data.zone == data.home_zone:
        at = f"本日{local:%H:%M}" if ja else f"{local:%H:%M} today"
    else:
        at = format_moment(when, data.zone, lang)
    return (
        f"また、{at}までに、現在の状況を改めてご報告いたします。"
        if ja
        else f"Whatever happens meanwhile, I will report where this stands by {at}."
    )


def _subject(data: ReplyInput, ja: bool, complaint: bool, what_ja: str) -> str:
    topic = " ".join(data.topic.split())
    if complaint:
        return f"【お詫び】{topic}" if ja else f"Apologies: {topic}"
    return f"Re: {topic}（{what_ja}）" if ja else f"Re: {topic}"


# --- an agenda item --------------------------------------------------------------------------------------


def _agenda(data: ReplyInput, ja: bool) -> tuple[str, str]:
    lang = "ja" if ja else "en"
    meeting = data.meeting
    assert meeting is not None
    when = format_span(meeting.starts_at, meeting.ends_at, data.zone, lang)
    title = quoted(meeting.title, lang)
    face = "wants_face_to_face" in data.reasons
    if ja:
        lines = [
            f"{quoted(data.topic, 'ja')}の件、ご連絡いただきありがとうございます。",
            "",
            f"本件は、{title}の中で{data.minutes}分ほどお時間をいただき、ご相談させていただければと存じます。",
            "",
            f"日時：{when}",
        ]
        if meeting.location:
            lines.append(f"場所：{meeting.location}")
        if meeting.conference_url:
            lines.append(f"オンライン：{meeting.conference_url}")
        if meeting.purpose:
            lines.append(f"この打ち合わせの目的：{meeting.purpose}")
        lines.append("")
        if face:
            lines.append(
                "直接お顔を合わせてお話しできる場として、こちらの打ち合わせをご活用ください。"
                "それより前にお話しされたい場合は、ビデオ会議も設けますので、お気軽にお申し付けください。"
            )
        lines.append(
            "事前にご用意いただく資料や、あらかじめ共有しておきたい点がございましたら、お知らせいただけますと幸いです。"
        )
        lines.append("それまでにお急ぎの事情が生じた場合は、ご遠慮なくお電話ください。")
        day = format_date(meeting.starts_at.astimezone(ZoneInfo(data.zone)).date(), "ja")
        return f"Re: {data.topic}（{day}の{meeting.title}にてご相談）", "\n".join(lines)
    lines = [
        f"Thank you for your message about {quoted(data.topic, 'en')}.",
        "",
        f"We will take it up at the {title} meeting, with about {data.minutes} minutes on the agenda.",
        "",
        f"When: {when}",
    ]
    if meeting.location:
        lines.append(f"Where: {meeting.location}")
    if meeting.conference_url:
        lines.append(f"Online: {meeting.conference_url}")
    if meeting.purpose:
        lines.append(f"Purpose of the meeting: {meeting.purpose}")
    lines.append("")
    if face:
        lines.append(
            "That meeting is where we will see each other; if you would like to talk before then, a video "
            "call is easy to arrange."
        )
    lines.append("If there is anything we should read or prepare beforehand, please send it over.")
    lines.append("If something becomes urgent before then, just call me.")
    day = format_date(meeting.starts_at.astimezone(ZoneInfo(data.zone)).date(), "en")
    return f"Re: {data.topic} (at the {meeting.title} meeting on {day})", "\n".join(lines)


# --- an answer by mail -----------------------------------------------------------------------------------


def _written(data: ReplyInput, ja: bool) -> tuple[str, str]:
    raw = data.decision.get("answer_by")
    by = date.fromisoformat(raw) if raw else data.now.astimezone(ZoneInfo(data.home_zone)).date()
    today = data.now.astimezone(ZoneInfo(data.home_zone)).date()
    simple = data.decision.get("rule") == "R5"
    if ja:
        when = "本日中" if by == today else f"{format_date(by, 'ja')}まで"
        lines = [
            f"{quoted(data.topic, 'ja')}の件、ご連絡いただきありがとうございます。",
            "",
            f"確認のうえ、{when}にメールでご回答いたします。",
        ]
        if simple:
            lines.append(
                "ご回答にあたり、対象の画面や帳票、具体例などがございましたら、あわせてお知らせいただけますと幸いです。"
            )
        lines.append("お電話でお話しされたい場合は、お気軽にお申し付けください。")
        return f"Re: {data.topic}", "\n".join(lines)
    when = "today" if by == today else f"by {format_date(by, 'en')}"
    lines = [
        f"Thank you for your message about {quoted(data.topic, 'en')}.",
        "",
        f"I will answer it by mail {when}, once I have checked the details.",
    ]
    if simple:
        lines.append(
            "If anything would help me answer, such as the screen or document concerned or an example, "
            "please send it along."
        )
    lines.append("If you would rather talk it through, just say so and I will call you.")
    return f"Re: {data.topic}", "\n".join(lines)
