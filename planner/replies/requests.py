"""Drafted replies to meeting requests, one per triage outcome, in Japanese or English.

The replies are honest: they say what will happen and when (an agenda item on a named meeting, a
call at a proposed time, a status summary, a proposed meeting with its purpose). They never make
up an excuse for not meeting; the member edits the draft before it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.replies.formatting import format_date, format_datetime, format_time, is_japanese


@dataclass(frozen=True)
class Reply:
    """A drafted mail: subject, body and the language it is written in."""

    subject: str
    body: str
    language: str


@dataclass(frozen=True)
class MeetingRef:
    """A meeting as a reply mentions it; `starts_at` is aware."""

    title: str
    purpose: str
    starts_at: datetime
    minutes: int
    desired_outcome: str = ""


@dataclass(frozen=True)
class CommitmentRef:
    """An open commitment for a status summary; `owed_by` is "us" or "client"."""

    title: str
    owed_by: str
    due_at: datetime | None = None


@dataclass(frozen=True)
class StatusSummary:
    """Where things stand: next meetings, open agenda items (meeting title, item title), commitments."""

    meetings: tuple[MeetingRef, ...] = ()
    open_items: tuple[tuple[str, str], ...] = ()
    commitments: tuple[CommitmentRef, ...] = ()


def reply_language(*candidates: str | None) -> str:
    """The first of the given language codes we write in ("ja" or "en"), else English."""
    for code in candidates:
        if code and is_japanese(code):
            return "ja"
        if code and code.lower().startswith("en"):
            return "en"
    return "en"


def proposed_purpose(topic: str, reasons: tuple[str, ...], language: str) -> tuple[str, str]:
    """Purpose and desired outcome for a dedicated meeting, prefilled from the request."""
    reasons_set = set(reasons)
    if is_japanese(language):
        if "problem_or_complaint" in reasons_set:
            return (
                f"「{topic}」の問題について直接お話を伺い、状況を確認する",
                "対応策と完了の目処を合意する",
            )
        purpose = f"「{topic}」について協議する"
        if "decision_needed" in reasons_set:
            return purpose, f"「{topic}」について結論を出し、担当者と期限を決める"
        if "review_materials" in reasons_set:
            return purpose, "資料を確認し、指摘事項と対応方針を合意する"
        if "new_work_request" in reasons_set:
            return purpose, "新しいご依頼の範囲・優先度・進め方を合意する"
        return purpose, f"「{topic}」の今後の進め方を合意する"
    if "problem_or_complaint" in reasons_set:
        return (
            f"Hear the problem with {topic} first-hand and understand what happened",
            "A fix and its date agreed",
        )
    purpose = f"Discuss {topic}"
    if "decision_needed" in reasons_set:
        return purpose, f"A decision on {topic}, with an owner and a date"
    if "review_materials" in reasons_set:
        return purpose, "The materials reviewed and the comments agreed"
    if "new_work_request" in reasons_set:
        return purpose, "The new work's scope, priority and next steps agreed"
    return purpose, f"Next steps on {topic} agreed"


def call_purpose(topic: str, reasons: tuple[str, ...], language: str) -> tuple[str, str, str]:
    """Title, purpose and desired outcome of a short call put on the schedule for a request."""
    complaint = "problem_or_complaint" in reasons
    if is_japanese(language):
        if complaint:
            return (
                f"電話：{topic}",
                f"「{topic}」の問題について直接お話を伺う",
                "対応策と完了の目処を合意する",
            )
        return f"電話：{topic}", f"「{topic}」について電話で確認する", "確認事項への回答と次の対応を合意する"
    if complaint:
        return (
            f"Call: {topic}",
            f"Hear about the problem with {topic} first-hand",
            "A fix and its date agreed",
        )
    return f"Call: {topic}", f"Settle {topic} by phone", "Questions answered and next steps agreed"


def draft_reply(
    outcome: str,
    *,
    topic: str,
    language: str,
    zone: str,
    now: datetime,
    contact_name: str | None = None,
    sender_name: str | None = None,
    meeting: MeetingRef | None = None,
    call_at: datetime | None = None,
    minutes: int = 15,
    status: StatusSummary | None = None,
    complaint: bool = False,
    answer_by: date | None = None,
    their_zone: str | None = None,
) -> Reply:
    """The drafted reply for a triage outcome (`call`, `email`, `agenda_item`, `meeting`).

    `meeting` is the meeting that takes the agenda item, or the proposed meeting; `call_at` the
    proposed call; `status` makes an email a status summary; `answer_by` is when a written answer
    is promised (default: today in the engagement's zone); `their_zone` is where the contact is, when
    that is not the engagement's zone: a call's time is then written in theirs.
    """
    lang = reply_language(language)
    ja = lang == "ja"
    topic = topic.strip()
    if outcome == "agenda_item":
        if meeting is None:
            raise ValueError("an agenda item reply needs the meeting")
        parts = _agenda_ja(topic, meeting, zone, minutes) if ja else _agenda_en(topic, meeting, zone, minutes)
    elif outcome == "call":
        if call_at is None:
            raise ValueError("a call reply needs the proposed time")
        when = _call_time(call_at, zone, their_zone, lang)
        parts = _call_ja(topic, when, minutes, complaint) if ja else _call_en(topic, when, minutes, complaint)
    elif outcome == "meeting":
        if meeting is None:
            raise ValueError("a meeting reply needs the proposed meeting")
        parts = (
            _meeting_ja(topic, meeting, zone, complaint)
            if ja
            else _meeting_en(topic, meeting, zone, complaint)
        )
    elif outcome == "email" and status is not None:
        parts = _status_ja(topic, status, zone) if ja else _status_en(topic, status, zone)
    elif outcome == "email":
        by = answer_by or now.astimezone(ZoneInfo(zone)).date()
        parts = _written_ja(topic, by, now, zone) if ja else _written_en(topic, by, now, zone)
    else:
        raise ValueError(f"unknown outcome: {outcome}")
    subject, body = parts
    return Reply(subject=subject, body=_frame(body, lang, contact_name, sender_name), language=lang)


def _frame(body: str, lang: str, contact_name: str | None, sender_name: str | None) -> str:
    """Greeting and closing around the body, as a letter in that language opens and ends."""
    name = (contact_name or "").strip()
    sender = (sender_name or "").strip()
    if lang == "ja":
        opening = f"{name}様" if name else "ご担当者様"
        intro = f"お世話になっております。{sender}です。" if sender else "お世話になっております。"
        closing = "引き続き、何卒よろしくお願いいたします。"
        return "\n".join([opening, "", intro, "", body, "", closing] + (["", sender] if sender else []))
    opening = f"Dear {name}," if name else "Hello,"
    closing = "Kind regards," + (f"\n{sender}" if sender else "")
    return "\n".join([opening, "", body, "", closing])


# --- Japanese -------------------------------------------------------------------------------------------


def _ja_about(topic: str) -> str:
    """「topic」の件, without doubling 件 when the client already wrote it."""
    return f"「{topic}」" if topic.endswith("件") else f"「{topic}」の件"


def _agenda_ja(topic: str, meeting: MeetingRef, zone: str, minutes: int) -> tuple[str, str]:
    when = format_datetime(meeting.starts_at, zone, "ja")
    day = format_date(meeting.starts_at.astimezone(ZoneInfo(zone)).date(), "ja")
    body = (
        f"{_ja_about(topic)}、ご連絡いただきありがとうございます。\n\n"
        f"本件は、{when}からの「{meeting.title}」の中で、{minutes}分ほどお時間をいただいて"
        "ご相談させていただければと存じます。\n"
        f"この打ち合わせは「{meeting.purpose}」を目的としており、議題に本件を加えさせていただきます。\n\n"
        "事前にご用意いただく資料や、あらかじめ共有しておきたい点がございましたら、"
        "お知らせいただけますと幸いです。\n"
        "それまでにお急ぎの事情が生じた場合は、ご遠慮なくお電話ください。"
    )
    return f"Re: {topic}（{day}の「{meeting.title}」にてご相談）", body


def _call_time(call_at: datetime, zone: str, their_zone: str | None, language: str) -> str:
    """When the call is, in the contact's own zone (named) when they are elsewhere."""
    if not their_zone or their_zone == zone:
        return format_datetime(call_at, zone, language)
    local = call_at.astimezone(ZoneInfo(their_zone))
    if language == "ja":
        return f"{format_datetime(call_at, their_zone, language)}（現地時間、{local.tzname()}）"
    return f"{format_datetime(call_at, their_zone, language, with_zone=False)} your time ({local.tzname()})"


def _call_ja(topic: str, when: str, minutes: int, complaint: bool) -> tuple[str, str]:
    if complaint:
        body = (
            f"{_ja_about(topic)}、ご連絡いただきありがとうございます。"
            "ご心配をおかけしており、申し訳ございません。\n\n"
            "まずは直接お話を伺い、状況を確認させていただきたく存じます。\n"
            f"{when}ごろ、こちらからお電話を差し上げてもよろしいでしょうか"
            f"（{minutes}分ほどを想定しております）。\n"
            "ご都合が悪いようでしたら、お手数ですがご希望の日時をお知らせください。"
        )
        return f"Re: {topic}（お電話でのご相談のお願い）", body
    body = (
        f"{_ja_about(topic)}、ご連絡いただきありがとうございます。\n\n"
        f"本件は、お電話で{minutes}分ほどお話しできれば、早く確実に進められるかと存じます。\n"
        f"{when}ごろ、こちらからお電話を差し上げてもよろしいでしょうか。\n"
        "ご都合が悪いようでしたら、お手数ですがご希望の日時をお知らせください。"
    )
    return f"Re: {topic}（お電話でのご相談のお願い）", body


def _meeting_ja(topic: str, meeting: MeetingRef, zone: str, complaint: bool) -> tuple[str, str]:
    when = format_datetime(meeting.starts_at, zone, "ja")
    end = format_time(meeting.starts_at + timedelta(minutes=meeting.minutes), zone)
    lead = (
        f"{_ja_about(topic)}、ご連絡いただきありがとうございます。ご心配をおかけしており、申し訳ございません。\n\n"
        "まずは直接お会いしてお話を伺いたく、お打ち合わせの場を設けさせていただければと存じます。\n"
        if complaint
        else f"{_ja_about(topic)}、ご連絡いただきありがとうございます。\n\n"
        "本件は、お打ち合わせの場を設けてじっくりご相談させていただきたく存じます。\n"
    )
    lines = [f"日時：{when}〜{end}", f"目的：{meeting.purpose}"]
    if meeting.desired_outcome:
        lines.append(f"目指す成果：{meeting.desired_outcome}")
    body = (
        lead
        + "以下の日程でいかがでしょうか。\n\n"
        + "\n".join(lines)
        + "\n\nご都合が合わない場合は、候補の日時をいくつかお知らせいただけますと幸いです。"
    )
    return f"Re: {topic}（お打ち合わせ日程のご相談）", body


def _purposes_once(meetings: tuple[MeetingRef, ...]) -> list[tuple[MeetingRef, bool]]:
    """Each meeting, and whether its purpose is said: once per purpose, as a series shares one."""
    said: set[str] = set()
    marked = []
    for meeting in meetings:
        first = bool(meeting.purpose) and meeting.purpose not in said
        said.add(meeting.purpose)
        marked.append((meeting, first))
    return marked


def _status_ja(topic: str, status: StatusSummary, zone: str) -> tuple[str, str]:
    sections: list[str] = []
    if status.meetings:
        rows = [
            f"・{format_datetime(m.starts_at, zone, 'ja')}　{m.title}"
            + (f"（目的：{m.purpose}）" if first else "")
            for m, first in _purposes_once(status.meetings)
        ]
        sections.append("■今後の打ち合わせ\n" + "\n".join(rows))
    if status.open_items:
        sections.append(
            "■未了の議題\n" + "\n".join(f"・{item}（{title}）" for title, item in status.open_items)
        )
    if status.commitments:
        rows = []
        for c in status.commitments:
            owner = "弊社" if c.owed_by == "us" else "貴社"
            due = (
                f"、期限：{format_date(c.due_at.astimezone(ZoneInfo(zone)).date(), 'ja')}" if c.due_at else ""
            )
            rows.append(f"・{c.title}（{owner}{due}）")
        sections.append("■対応中の事項\n" + "\n".join(rows))
    if not sections:
        sections.append("現時点で予定している打ち合わせや、対応中の事項はございません。")
    body = (
        f"{_ja_about(topic)}、お問い合わせいただきありがとうございます。\n"
        "現在の状況を以下にまとめましたので、ご確認ください。\n\n"
        + "\n\n".join(sections)
        + "\n\nご不明な点や気になる点がございましたら、お気軽にお知らせください。"
    )
    return f"Re: {topic}（進捗状況のご報告）", body


def _written_ja(topic: str, by: date, now: datetime, zone: str) -> tuple[str, str]:
    today = now.astimezone(ZoneInfo(zone)).date()
    when = "本日中" if by == today else f"{format_date(by, 'ja')}まで"
    body = (
        f"{_ja_about(topic)}、ご連絡いただきありがとうございます。\n\n"
        "本件につきましては、メールにてご回答させていただきます。\n"
        f"内容を確認のうえ、{when}に改めてご連絡いたします。\n"
        "お電話でのご相談をご希望の場合は、お気軽にお申し付けください。"
    )
    return f"Re: {topic}", body


# --- English --------------------------------------------------------------------------------------------


def _agenda_en(topic: str, meeting: MeetingRef, zone: str, minutes: int) -> tuple[str, str]:
    when = format_datetime(meeting.starts_at, zone, "en")
    day = format_date(meeting.starts_at.astimezone(ZoneInfo(zone)).date(), "en")
    body = (
        f"Thank you for getting in touch about {topic}.\n\n"
        f"We will cover this at the {meeting.title} on {when}, whose purpose is: {meeting.purpose}. "
        f"I am adding it to the agenda with about {minutes} minutes.\n\n"
        "If there is anything we should read or prepare beforehand, please send it over. "
        "If something becomes urgent before then, just call me."
    )
    return f"Re: {topic} (at the {meeting.title} on {day})", body


def _call_en(topic: str, when: str, minutes: int, complaint: bool) -> tuple[str, str]:
    if complaint:
        body = (
            f"Thank you for telling us about {topic}, and I am sorry for the trouble.\n\n"
            "I would like to hear about it from you directly and make sure it is put right. "
            f"Could I call you on {when}? I expect it to take about {minutes} minutes. "
            "If that time does not suit you, let me know one that does."
        )
        return f"Re: {topic} (could I call you?)", body
    body = (
        f"Thank you for getting in touch about {topic}.\n\n"
        f"Could we settle this by phone? It should take about {minutes} minutes. "
        f"I can call you on {when}. If that time does not suit you, let me know one that does."
    )
    return f"Re: {topic} (a quick call?)", body


def _meeting_en(topic: str, meeting: MeetingRef, zone: str, complaint: bool) -> tuple[str, str]:
    when = format_datetime(meeting.starts_at, zone, "en", with_zone=False)
    end = format_time(meeting.starts_at + timedelta(minutes=meeting.minutes), zone)
    zone_name = meeting.starts_at.astimezone(ZoneInfo(zone)).tzname()
    lead = (
        f"Thank you for telling us about {topic}, and I am sorry for the trouble. "
        "I would like to meet and hear about it from you directly.\n\n"
        if complaint
        else f"Thank you for getting in touch about {topic}. This deserves a meeting of its own.\n\n"
    )
    lines = [f"When: {when}–{end} {zone_name}", f"Purpose: {meeting.purpose}"]
    if meeting.desired_outcome:
        lines.append(f"Desired outcome: {meeting.desired_outcome}")
    body = (
        lead
        + "I propose:\n\n"
        + "\n".join(lines)
        + "\n\nIf that time does not work for you, please suggest a couple of alternatives."
    )
    day = format_date(meeting.starts_at.astimezone(ZoneInfo(zone)).date(), "en")
    return f"Re: {topic} (proposed meeting on {day})", body


def _status_en(topic: str, status: StatusSummary, zone: str) -> tuple[str, str]:
    sections: list[str] = []
    if status.meetings:
        rows = [
            f"- {format_datetime(m.starts_at, zone, 'en')}: {m.title}"
            + (f" (purpose: {m.purpose})" if first else "")
            for m, first in _purposes_once(status.meetings)
        ]
        sections.append("Next meetings:\n" + "\n".join(rows))
    if status.open_items:
        sections.append(
            "Open agenda items:\n" + "\n".join(f"- {item} ({title})" for title, item in status.open_items)
        )
    if status.commitments:
        rows = []
        for c in status.commitments:
            owner = "ours" if c.owed_by == "us" else "yours"
            due = f", due {format_date(c.due_at.astimezone(ZoneInfo(zone)).date(), 'en')}" if c.due_at else ""
            rows.append(f"- {c.title} ({owner}{due})")
        sections.append("Open commitments:\n" + "\n".join(rows))
    if not sections:
        sections.append("There are no meetings planned and nothing open on either side at the moment.")
    body = (
        f"Thank you for asking about {topic}. Here is where things stand.\n\n"
        + "\n\n".join(sections)
        + "\n\nIf anything here raises a question, just reply or call me."
    )
    return f"Re: {topic} (where things stand)", body


def _written_en(topic: str, by: date, now: datetime, zone: str) -> tuple[str, str]:
    today = now.astimezone(ZoneInfo(zone)).date()
    when = "today" if by == today else f"by {format_date(by, 'en')}"
    body = (
        f"Thank you for getting in touch about {topic}.\n\n"
        f"I will answer this by mail {when}, once I have checked the details. "
        "If you would rather talk it through, just say so and I will call you."
    )
    return f"Re: {topic}", body
