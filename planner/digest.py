"""The morning digest mail as text: today's briefs and what is late or at risk, in ja or en (no Flask)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from planner.brief import Brief
from planner.replies.formatting import format_date, format_datetime, format_time, is_japanese

# The digest is read in a mail client, not in the app: its words live here, in both languages.
WORDS = {
    "en": {
        "subject": "Today: {count} meeting(s) — {date}",
        "subject_none": "Commitments to watch — {date}",
        "hello": "Good morning {name},",
        "intro": "Here is what you need for today.",
        "attention": "Late or at risk",
        "late": "LATE",
        "at_risk": "AT RISK",
        "open": "open",
        "due": "due",
        "untold": "the client has not been told yet",
        "meetings": "Today's meetings",
        "purpose": "Purpose",
        "outcome": "Desired outcome",
        "agenda": "Agenda",
        "agenda_total": "{agenda} of {length} min planned",
        "agenda_over": "the agenda runs {over} min over",
        "no_agenda": "No agenda items yet.",
        "people": "Attendees",
        "ours": "our team",
        "prefers": "prefers",
        "reads": "read by",
        "notes": "Latest notes",
        "owed": "Open commitments",
        "by_us": "we owe",
        "by_client": "the client owes",
        "requests": "Requests waiting for this meeting",
        "waiting": "Meeting requests waiting for an answer",
        "received": "received",
        "needed_by": "needed by",
        "overdue": "PAST ITS NEEDED-BY TIME",
        "urgent": "URGENT",
        "subject_waiting": "Requests waiting for an answer — {date}",
        "where": "Where",
        "open_page": "Brief",
        "footer": "Sent by Planner because you are a member of these engagements.",
    },
    "ja": {
        "subject": "本日の会議 {count}件 — {date}",
        "subject_none": "期限に注意が必要な約束 — {date}",
        "hello": "{name}さん",
        "intro": "おはようございます。本日に必要な情報をお送りします。",
        "attention": "遅延・遅延リスクのある約束",
        "late": "遅延",
        "at_risk": "要注意",
        "open": "未完了",
        "due": "期限",
        "untold": "お客様へ未連絡",
        "meetings": "本日の会議",
        "purpose": "目的",
        "outcome": "期待する成果",
        "agenda": "アジェンダ",
        "agenda_total": "{length}分中 {agenda}分を予定",
        "agenda_over": "アジェンダが{over}分超過しています",
        "no_agenda": "アジェンダはまだありません。",
        "people": "出席者",
        "ours": "当社",
        "prefers": "希望の連絡手段",
        "reads": "読み手",
        "notes": "最近のメモ",
        "owed": "未完了の約束",
        "by_us": "当社",
        "by_client": "お客様",
        "requests": "この会議で扱う依頼",
        "waiting": "返信待ちの会議の依頼",
        "received": "受付",
        "needed_by": "希望期限",
        "overdue": "希望期限超過",
        "urgent": "急ぎ",
        "subject_waiting": "返信待ちの依頼 — {date}",
        "where": "場所",
        "open_page": "ブリーフ",
        "footer": "このメールは、参加しているエンゲージメントのメンバーとして Planner から送信されています。",
    },
}
CHANNELS = {
    "en": {
        "phone": "phone",
        "email": "email",
        "chat": "chat",
        "video": "video call",
        "in_person": "in person",
    },
    "ja": {
        "phone": "電話",
        "email": "メール",
        "chat": "チャット",
        "video": "ビデオ会議",
        "in_person": "対面",
    },
}
READERS = {
    "en": {"self": "only them", "manager": "their manager too", "committee": "a committee"},
    "ja": {"self": "本人のみ", "manager": "上長も読む", "committee": "委員会で読む"},
}


@dataclass(frozen=True)
class AttentionLine:
    """A late or at-risk commitment for the digest."""

    engagement: str
    title: str
    status: str
    owed_by: str
    due_at: datetime | None
    zone: str
    client_told: bool
    link: str = ""


@dataclass(frozen=True)
class WaitingRequest:
    """A meeting request the team has not answered yet; `urgency` is "overdue", "urgent" or None."""

    engagement: str
    topic: str
    who: str
    received_at: datetime
    needed_by: datetime | None
    urgency: str | None
    zone: str
    link: str = ""


@dataclass(frozen=True)
class DigestMeeting:
    """One of today's meetings: its engagement, zone, brief and a link to its page."""

    engagement: str
    zone: str
    brief: Brief
    link: str = ""


def _lang(language: str | None) -> str:
    return "ja" if is_japanese(language) else "en"


def _brief_lines(item: DigestMeeting, lang: str) -> list[str]:
    w, brief, zone = WORDS[lang], item.brief, item.zone
    start = format_datetime(brief.starts_at, zone, lang)
    lines = [f"■ {format_time(brief.starts_at, zone)}–{format_time(brief.ends_at, zone)} {brief.title}"]
    lines.append(f"  {item.engagement} · {start}")
    if brief.location or brief.conference_url:
        lines.append(f"  {w['where']}: {' / '.join(x for x in (brief.location, brief.conference_url) if x)}")
    lines.append(f"  {w['purpose']}: {brief.purpose}")
    if brief.desired_outcome:
        lines.append(f"  {w['outcome']}: {brief.desired_outcome}")
    total = w["agenda_total"].format(agenda=brief.agenda_minutes, length=brief.length_minutes)
    lines.append(f"  {w['agenda']} ({total}):")
    if brief.over_minutes:
        lines.append(f"    ! {w['agenda_over'].format(over=brief.over_minutes)}")
    lines += [f"    - {a.title} ({a.minutes}{'分' if lang == 'ja' else ' min'})" for a in brief.agenda]
    if not brief.agenda:
        lines.append(f"    {w['no_agenda']}")
    if brief.attendees:
        lines.append(f"  {w['people']}:")
        for person in brief.attendees:
            if person.ours:
                lines.append(f"    - {person.name} ({w['ours']})")
                continue
            facts = [x for x in (person.role, person.organisation) if x]
            if person.preferred_channel:
                channel = CHANNELS[lang].get(person.preferred_channel, person.preferred_channel)
                facts.append(f"{w['prefers']}: {channel}")
            if person.readers:
                facts.append(f"{w['reads']}: {READERS[lang].get(person.readers, person.readers)}")
            lines.append(f"    - {person.name}" + (f" ({', '.join(facts)})" if facts else ""))
            for note in person.notes:
                lines.append(f"        {format_date(note.noted_on, lang)}: {note.body}")
    if brief.commitments:
        lines.append(f"  {w['owed']}:")
        for c in brief.commitments:
            who = w["by_us"] if c.owed_by == "us" else w["by_client"]
            due = f", {w['due']} {format_datetime(c.due_at, zone, lang, with_zone=False)}" if c.due_at else ""
            lines.append(f"    - [{w.get(c.status, c.status)}] {c.title} ({who}{due})")
    if brief.requests:
        lines.append(f"  {w['requests']}:")
        lines += [f"    - {r.topic}" for r in brief.requests]
    if item.link:
        lines.append(f"  {w['open_page']}: {item.link}")
    return lines


def _waiting_lines(r: WaitingRequest, w: dict[str, str], lang: str) -> list[str]:
    flag = f"[{w[r.urgency]}] " if r.urgency else ""
    when = f"{w['received']} {format_datetime(r.received_at, r.zone, lang, with_zone=False)}"
    if r.needed_by:
        when += f", {w['needed_by']} {format_datetime(r.needed_by, r.zone, lang, with_zone=False)}"
    lines = [f"- {flag}{r.topic} — {r.who} · {when} · {r.engagement}"]
    return lines + ([f"  {r.link}"] if r.link else [])


def compose_digest(
    *,
    language: str | None,
    name: str,
    today: datetime,
    meetings: list[DigestMeeting],
    attention: list[AttentionLine],
    waiting: Sequence[WaitingRequest] = (),
) -> tuple[str, str]:
    """The subject and text of one member's morning digest; late and at-risk items come first, then the
    requests still waiting for an answer."""
    lang = _lang(language)
    w = WORDS[lang]
    day = format_date(today.date(), lang)
    if meetings:
        subject = w["subject"].format(count=len(meetings), date=day)
    else:
        subject = (w["subject_none"] if attention else w["subject_waiting"]).format(date=day)
    lines = [w["hello"].format(name=name), "", w["intro"], ""]
    if attention:
        lines.append(f"【{w['attention']}】" if lang == "ja" else f"== {w['attention']} ==")
        for a in attention:
            due = (
                f" — {w['due']} {format_datetime(a.due_at, a.zone, lang, with_zone=False)}"
                if a.due_at
                else ""
            )
            who = w["by_us"] if a.owed_by == "us" else w["by_client"]
            told = "" if a.client_told or a.owed_by != "us" else f" ({w['untold']})"
            lines.append(f"- [{w[a.status]}] {a.title}{due} · {who} · {a.engagement}{told}")
            if a.link:
                lines.append(f"  {a.link}")
        lines.append("")
    if waiting:
        lines.append(f"【{w['waiting']}】" if lang == "ja" else f"== {w['waiting']} ==")
        lines += [line for r in waiting for line in _waiting_lines(r, w, lang)]
        lines.append("")
    if meetings:
        lines.append(f"【{w['meetings']}】" if lang == "ja" else f"== {w['meetings']} ==")
        for item in meetings:
            lines += _brief_lines(item, lang)
            lines.append("")
    lines += ["--", w["footer"]]
    return subject, "\n".join(lines)
