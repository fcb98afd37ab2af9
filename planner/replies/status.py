"""A status summary for a client who asked where things stand, in their language and zone.

It lists what is agreed with the client (confirmed meetings, milestones first, each purpose once), the open
agenda items that are news and the open promises between us and them, and leaves one line for the consultant
to write the overall status and key risks: marked so that it is never sent unfilled by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from planner.replies.formatting import format_date, is_japanese
from planner.replies.letters import format_moment, quoted

# The line the consultant fills in; a reply that still holds one of these is not sent.
FILL_IN = {
    "ja": "【要記入：全体の状況と主なリスクを一、二文で】",
    "en": "[TO FILL IN: the overall status and the key risks, in a sentence or two]",
}


def unfilled(body: str) -> bool:
    """True while the reply still holds the line the consultant must write."""
    return any(marker in body for marker in FILL_IN.values())


@dataclass(frozen=True)
class StatusMeeting:
    """A meeting as the summary lists it; `milestone` puts it first."""

    title: str
    purpose: str
    starts_at: datetime
    milestone: bool = False


@dataclass(frozen=True)
class CommitmentRef:
    """An open commitment for a status summary; `owed_by` is "us" or "client"."""

    title: str
    owed_by: str
    due_at: datetime | None = None


@dataclass(frozen=True)
class StatusSummary:
    """Where things stand: next meetings, open agenda items (meeting title, item title), commitments."""

    meetings: tuple[StatusMeeting, ...] = ()
    open_items: tuple[tuple[str, str], ...] = ()
    commitments: tuple[CommitmentRef, ...] = ()


def _meetings_in_order(meetings: tuple[StatusMeeting, ...]) -> list[tuple[StatusMeeting, bool]]:
    """Milestones first, then the others by time; each purpose said once (a series shares one)."""
    ordered = sorted(meetings, key=lambda m: (not m.milestone, m.starts_at))
    said: set[str] = set()
    marked = []
    for meeting in ordered:
        first = bool(meeting.purpose) and meeting.purpose not in said
        said.add(meeting.purpose)
        marked.append((meeting, first))
    return marked


def status_body(topic: str, status: StatusSummary, language: str, zone: str) -> tuple[str, str]:
    """Subject and body of the summary; times in the reader's zone."""
    ja = is_japanese(language)
    lang = "ja" if ja else "en"
    sections: list[str] = [FILL_IN[lang]]
    if status.meetings:
        rows = []
        for meeting, first in _meetings_in_order(status.meetings):
            when = format_moment(meeting.starts_at, zone, lang, with_zone=not ja)
            mark = ("★" if ja else "* ") if meeting.milestone else ""
            purpose = ""
            if first and meeting.purpose:
                purpose = f"（目的：{meeting.purpose}）" if ja else f" (purpose: {meeting.purpose})"
            rows.append(
                f"・{mark}{when}　{meeting.title}{purpose}"
                if ja
                else f"- {mark}{when}: {meeting.title}{purpose}"
            )
        head = "■今後の打ち合わせ（★は節目）\n" if ja else "Next meetings (* a milestone):\n"
        sections.append(head + "\n".join(rows))
    if status.open_items:
        rows = [f"・{item}（{title}）" if ja else f"- {item} ({title})" for title, item in status.open_items]
        head = "■今後の打ち合わせで扱う事項\n" if ja else "Coming up on the agenda:\n"
        sections.append(head + "\n".join(rows))
    if status.commitments:
        rows = []
        for c in status.commitments:
            due = format_date(c.due_at.astimezone(ZoneInfo(zone)).date(), lang) if c.due_at else ""
            if ja:
                owner = "弊社" if c.owed_by == "us" else "貴社"
                rows.append(f"・{c.title}（{owner}{'、期限：' + due if due else ''}）")
            else:
                owner = "ours" if c.owed_by == "us" else "yours"
                rows.append(f"- {c.title} ({owner}{', due ' + due if due else ''})")
        sections.append(("■対応中の事項\n" if ja else "Open commitments:\n") + "\n".join(rows))
    if len(sections) == 1:
        sections.append(
            "現時点で予定している打ち合わせや、対応中の事項はございません。"
            if ja
            else "There are no meetings planned and nothing open on either side at the moment."
        )
    if ja:
        body = (
            f"{quoted(topic, 'ja')}の件、お問い合わせいただきありがとうございます。\n"
            "現在の状況を以下にまとめましたので、ご確認ください。\n\n"
            + "\n\n".join(sections)
            + "\n\nご不明な点や気になる点がございましたら、お気軽にお知らせください。"
        )
        return f"Re: {topic}（進捗状況のご報告）", body
    body = (
        f"Thank you for asking about {quoted(topic, 'en')}. Here is where things stand.\n\n"
        + "\n\n".join(sections)
        + "\n\nIf anything here raises a question, just reply or call me."
    )
    return f"Re: {topic} (where things stand)", body
