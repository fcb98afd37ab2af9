"""The frame of a business mail: who it is to (address block), who signs it, times in the reader's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from planner.replies.formatting import format_date, is_japanese

# Abbreviations zoneinfo does not give (it writes "+08" for Singapore).
ZONE_ABBREVIATIONS = {
    "Asia/Singapore": "SGT",
    "Asia/Kuala_Lumpur": "MYT",
    "Asia/Hong_Kong": "HKT",
    "Asia/Shanghai": "CST",
    "Asia/Taipei": "CST",
    "Asia/Manila": "PHT",
    "Asia/Bangkok": "ICT",
    "Asia/Ho_Chi_Minh": "ICT",
    "Asia/Jakarta": "WIB",
    "Asia/Kolkata": "IST",
    "Asia/Calcutta": "IST",
    "Asia/Dubai": "GST",
    "Australia/Sydney": None,  # zoneinfo knows AEST/AEDT
}


def zone_abbreviation(moment: datetime, zone: str) -> str:
    """The zone's abbreviation at that moment: JST, SGT, CET or CEST, BST, EST…"""
    name = moment.astimezone(ZoneInfo(zone)).tzname() or ""
    if name[:1] in "+-" or not name:
        return ZONE_ABBREVIATIONS.get(zone) or f"UTC{name}"
    return name


def format_span(start: datetime, end: datetime, zone: str, language: str, *, with_zone: bool = True) -> str:
    """A time span in a zone: 5月12日(火) 10:30〜10:50 / Tue 12 May, 10:30–10:50 SGT."""
    tz = ZoneInfo(zone)
    local, until = start.astimezone(tz), end.astimezone(tz)
    abbreviation = f" {zone_abbreviation(start, zone)}" if with_zone else ""
    if is_japanese(language):
        return f"{format_date(local.date(), 'ja')} {local:%H:%M}〜{until:%H:%M}{abbreviation}"
    return f"{format_date(local.date(), 'en')}, {local:%H:%M}–{until:%H:%M}{abbreviation}"


def format_moment(moment: datetime, zone: str, language: str, *, with_zone: bool = True) -> str:
    """A moment in a zone: 5月12日(火) 17:00 / Tue 12 May, 17:00 JST."""
    local = moment.astimezone(ZoneInfo(zone))
    abbreviation = f" {zone_abbreviation(moment, zone)}" if with_zone else ""
    if is_japanese(language):
        return f"{format_date(local.date(), 'ja')} {local:%H:%M}{abbreviation}"
    return f"{format_date(local.date(), 'en')}, {local:%H:%M}{abbreviation}"


@dataclass(frozen=True)
class Addressee:
    """The person a reply goes to, as their profile says."""

    name: str = ""
    organisation: str = ""
    department: str = ""
    role: str = ""


@dataclass(frozen=True)
class Sender:
    """The member who signs: their profile's name, company, title and phone."""

    name: str = ""
    company: str = ""
    title: str = ""
    phone: str = ""
    email: str = ""


def address_block(to: Addressee | None, language: str) -> list[str]:
    """株式会社サンライズ精機 / 情報システム部 部長 / 佐藤 様, or the English name, role and organisation."""
    to = to or Addressee()
    name = to.name.strip()
    if is_japanese(language):
        lines = [to.organisation.strip()] if to.organisation.strip() else []
        title = " ".join(part.strip() for part in (to.department, to.role) if part.strip())
        if title:
            lines.append(title)
        lines.append(f"{name} 様" if name else "ご担当者様")
        return lines
    lines = [name] if name else []
    position = ", ".join(part.strip() for part in (to.role, to.department, to.organisation) if part.strip())
    if position:
        lines.append(position)
    return lines


def greeting(to: Addressee | None, sender: Sender | None, language: str) -> str:
    """The opening line after the address block."""
    if is_japanese(language):
        who = ""
        if sender and sender.name.strip():
            company = f"{sender.company.strip()}の" if sender.company.strip() else ""
            who = f"{company}{sender.name.strip()}です。"
        return "いつもお世話になっております。" + who
    name = (to.name.strip() if to else "") or "Sir or Madam"
    return f"Dear {name},"


def signature(sender: Sender | None) -> list[str]:
    """The member's signature: name, title, company, phone and mail, each when known."""
    if sender is None or not sender.name.strip():
        return []
    lines = ["--", sender.name.strip()]
    lines += [part.strip() for part in (sender.title, sender.company) if part.strip()]
    if sender.phone.strip():
        lines.append(f"TEL: {sender.phone.strip()}")
    if sender.email.strip():
        lines.append(sender.email.strip())
    return lines


def frame(body: str, to: Addressee | None, sender: Sender | None, language: str, *, closing: str = "") -> str:
    """Address block, greeting, body, closing and signature, as a business mail in that language."""
    ja = is_japanese(language)
    if ja:
        close = closing or "引き続き、何卒よろしくお願いいたします。"
        parts = ["\n".join(address_block(to, language)), greeting(to, sender, language), body, close]
    else:
        close = (closing + "\n\n" if closing else "") + "Kind regards,"
        block = address_block(to, language)
        parts = (["\n".join(block)] if block else []) + [greeting(to, sender, language), body, close]
    text = "\n\n".join(parts)
    sign = signature(sender)
    return text + ("\n" + "\n".join(sign) if ja and sign else ("\n" + "\n".join(sign[1:]) if sign else ""))


def quoted(topic: str, language: str) -> str:
    """The topic in quotes, never quotes inside quotes: 「…」 or “…”."""
    text = " ".join(topic.split())
    if is_japanese(language):
        if text.startswith("「") and text.endswith("」") and text.count("「") == 1:
            return text
        text = text.replace("「", "『").replace("」", "』")
        return f"「{text}」"
    text = text.strip('"“”')
    return f"“{text}”"
