"""Honest notes to a client about our commitments: a late delivery, a revised estimate (ja and en)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from planner.replies.formatting import format_datetime, is_japanese

Amount = Decimal | int | float


@dataclass(frozen=True)
class Reply:
    """A drafted message: subject, body and the language it is written in ("ja" or "en")."""

    subject: str
    body: str
    language: str


def _lang(language: str | None) -> str:
    return "ja" if is_japanese(language) else "en"


def delay_text(due_at: datetime, new_due_at: datetime, zone: str, language: str | None) -> str:
    """How late, in words: calendar days in the engagement's zone, or hours within the same day."""
    tz = ZoneInfo(zone)
    days = (new_due_at.astimezone(tz).date() - due_at.astimezone(tz).date()).days
    ja = is_japanese(language)
    if days >= 1:
        return f"{days}日" if ja else f"{days} day{'s' if days != 1 else ''}"
    hours = max(1, math.ceil((new_due_at - due_at).total_seconds() / 3600))
    return f"{hours}時間" if ja else f"{hours} hour{'s' if hours != 1 else ''}"


def format_amount(amount: Amount, unit: str = "") -> str:
    """An amount without trailing zeros, with its unit (e.g. "40 h", "1.5 days", "¥300,000")."""
    value = Decimal(str(amount))
    text = f"{value.quantize(Decimal(1)):,f}" if value == value.to_integral() else f"{value.normalize():,f}"
    if not unit:
        return text
    return f"{unit}{text}" if unit in ("¥", "$", "€", "£") else f"{text} {unit}"


def _when(moment: datetime, zone: str, language: str) -> str:
    return format_datetime(moment, zone, language, with_zone=False)


def late_note(
    *,
    language: str | None,
    title: str,
    due_at: datetime,
    new_due_at: datetime,
    reason: str,
    zone: str,
    meanwhile: str = "",
    contact_name: str = "",
    sender_name: str = "",
) -> Reply:
    """The note telling a client, as soon as we know, that a commitment will be late and its new date."""
    lang = _lang(language)
    late_by = delay_text(due_at, new_due_at, zone, lang)
    due, new_due = _when(due_at, zone, lang), _when(new_due_at, zone, lang)
    reason, meanwhile = reason.strip(), meanwhile.strip()
    if lang == "ja":
        subject = f"【ご報告とお詫び】「{title}」の期日について"
        lines = [f"{contact_name}様" if contact_name else "ご担当者様", ""]
        lines.append(
            f"いつもお世話になっております。{sender_name}です。"
            if sender_name
            else "いつもお世話になっております。"
        )
        lines += [
            "",
            f"{due}までとお約束しておりました「{title}」につきまして、{late_by}遅れる見込みとなりました。",
            "ご迷惑をおかけし、誠に申し訳ございません。判明した時点で、取り急ぎご報告いたします。",
            "",
        ]
        if reason:
            lines += ["■ 遅れる理由", reason, ""]
        lines += ["■ 新しい期日", new_due, ""]
        lines += [
            "■ それまでの対応",
            meanwhile or "進捗は随時ご報告し、途中段階でご確認いただけるものは先にお送りいたします。",
            "",
        ]
        lines += [
            "新しい期日でご都合の悪い点がございましたら、ご遠慮なくお知らせください。お電話でもご説明いたします。",
            "重ねてお詫び申し上げますとともに、引き続きどうぞよろしくお願いいたします。",
        ]
        if sender_name:
            lines += ["", sender_name]
        return Reply(subject, "\n".join(lines), "ja")

    subject = f'"{title}" will be late by {late_by}: new date {new_due}'
    lines = [f"Dear {contact_name}," if contact_name else "Hello,", ""]
    lines += [
        f'I am sorry to tell you that "{title}", which we promised for {due}, will be late by {late_by}.',
        "We wanted you to know as soon as we did, not at the deadline.",
        "",
    ]
    if reason:
        lines += [f"Why: {reason}"]
    lines += [f"New date: {new_due}"]
    lines += [
        f"Until then: {meanwhile or 'we will keep you updated and send anything you can already review.'}",
        "",
        "If the new date causes a problem on your side, please tell us. "
        "I am glad to talk it through by phone.",
        "",
        "Best regards,",
    ]
    if sender_name:
        lines.append(sender_name)
    return Reply(subject, "\n".join(lines), "en")


def revised_estimate_note(
    *,
    language: str | None,
    title: str,
    promised: Amount,
    revised: Amount,
    reason: str,
    unit: str = "",
    contact_name: str = "",
    sender_name: str = "",
) -> Reply:
    """The note that tells a client at once that an estimate is going up, by how much and why."""
    lang = _lang(language)
    was, now = format_amount(promised, unit), format_amount(revised, unit)
    reason = reason.strip()
    if lang == "ja":
        subject = f"【ご報告とお詫び】「{title}」のお見積りの見直しについて"
        lines = [f"{contact_name}様" if contact_name else "ご担当者様", ""]
        lines.append(
            f"いつもお世話になっております。{sender_name}です。"
            if sender_name
            else "いつもお世話になっております。"
        )
        lines += [
            "",
            f"「{title}」につきまして、当初{was}とお伝えしておりましたお見積りを、{now}に見直す必要が生じました。",
            "ご期待に沿えず、誠に申し訳ございません。判明した時点で、まずはご報告いたします。",
            "",
        ]
        if reason:
            lines += ["■ 見直しの理由", reason, ""]
        lines += [
            "内訳や進め方の代案についても、ご説明の機会をいただけましたら幸いです。",
            "お手数をおかけいたしますが、何卒よろしくお願いいたします。",
        ]
        if sender_name:
            lines += ["", sender_name]
        return Reply(subject, "\n".join(lines), "ja")

    subject = f'Revised estimate for "{title}": {now} instead of {was}'
    lines = [f"Dear {contact_name}," if contact_name else "Hello,", ""]
    lines += [
        f'I am sorry to tell you that our estimate for "{title}" has to go up from {was} to {now}.',
        "We are telling you now, as soon as we know, so that you can plan with the real figure.",
        "",
    ]
    if reason:
        lines += [f"Why: {reason}", ""]
    lines += [
        "I would be glad to walk you through the breakdown and the options, by phone or at our next meeting.",
        "",
        "Best regards,",
    ]
    if sender_name:
        lines.append(sender_name)
    return Reply(subject, "\n".join(lines), "en")


def revised_estimate_line(
    *, language: str | None, title: str, promised: Amount, revised: Amount, unit: str = ""
) -> str:
    """The status line for a revised estimate: above the promised amount, it says to tell the client now."""
    was, now = format_amount(promised, unit), format_amount(revised, unit)
    p, r = Decimal(str(promised)), Decimal(str(revised))
    diff = r - p
    if lang_ja := is_japanese(language):
        if diff <= 0:
            return f"「{title}」の見積り: {now}（当初 {was} 以内）"
    elif diff <= 0:
        return f'"{title}" estimate: {now} (within the {was} promised)'
    sign = format_amount(diff, unit)
    share = f", +{(diff / p * 100):.0f}%" if p > 0 else ""
    if lang_ja:
        return (
            f"「{title}」の見積りが当初の{was}から{now}に増えています（+{sign}{share}）。"
            "すぐにお客様へお伝えください。"
        )
    return f'"{title}" estimate raised from {was} to {now} (+{sign}{share}): tell the client now.'
