"""A request's history in words, in the reader's language, written from each event's kind and data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from planner.replies.formatting import format_datetime, is_japanese

CHANNELS = {
    "client_page": ("the client page", "お客様ページ"),
    "phone": ("phone", "電話"),
    "email": ("email", "メール"),
    "chat": ("chat", "チャット"),
    "in_person": ("in person", "対面"),
    "api": ("the API", "API"),
}
OUTCOMES = {
    "agenda_item": ("Agenda item", "議題として追加"),
    "call": ("Call", "電話"),
    "email": ("Answer by mail", "メールで回答"),
    "meeting": ("Meeting", "打ち合わせ"),
}
ERRORS = {
    "triage_failed": ("Triage failed", "自動判定に失敗しました"),
    "not_saved": ("Triage could not be saved", "判定を保存できませんでした"),
    "apply_refused": ("Not applied", "反映できませんでした"),
    "mail_failed": ("Mail not sent", "メールを送信できませんでした"),
    "no_address": ("Mail not sent: no address to reply to", "返信先のアドレスがないため送信できませんでした"),
    "team_not_notified": ("Team not notified", "チームへの通知を送れませんでした"),
    "slot_taken": ("The chosen time was taken meanwhile", "選ばれた時間はすでに埋まっていました"),
}


def _pick(pair: tuple[str, str], ja: bool) -> str:
    return pair[1] if ja else pair[0]


def _outcome(code: str | None, ja: bool, meeting: Any = None) -> str:
    if not code:
        return "—"
    words = _pick(OUTCOMES.get(code, (code, code)), ja)
    return f"{words} (#{meeting})" if code == "agenda_item" and meeting else words


def event_text(kind: str, data: Mapping[str, Any] | None, language: str | None, *, zone: str) -> str:
    """What one event says: "via the client page", "R6 → Agenda item", "call “…” on the schedule"."""
    data = data or {}
    ja = is_japanese(language)
    if "text" in data:
        return data["text"]  # written before the history was kept as data
    if kind == "received":
        via = _pick(CHANNELS.get(data.get("via", ""), (data.get("via", ""),) * 2), ja)
        return f"{via}から" if ja else f"via {via}"
    if kind == "triaged":
        return f"{data.get('rule')} → {_outcome(data.get('outcome'), ja)}"
    if kind == "overridden":
        before = _outcome(data.get("from"), ja, data.get("from_meeting"))
        return f"{before} → {_outcome(data.get('to'), ja, data.get('to_meeting'))}"
    if kind == "applied":
        return _applied(data, ja)
    if kind == "booked":
        when = format_datetime(datetime.fromisoformat(data["starts_at"]), zone, "ja" if ja else "en")
        who = data.get("by") or ""
        if ja:
            return f"{when}で確定（{'お客様が選択' if who == 'client' else '担当者が記録'}）"
        return f"{when}, {'picked by the client' if who == 'client' else 'recorded by a member'}"
    if kind == "other_times":
        wish = data.get("message") or ""
        if ja:
            return "お客様が別の日時を希望" + (f"：{wish}" if wish else "")
        return "the client asked for other times" + (f": {wish}" if wish else "")
    if kind == "replied":
        how, to = data.get("how"), data.get("to") or ""
        if how == "mail":
            return f"{to} にメールで送信" if ja else f"by mail to {to}"
        if how == "own_mail":
            return "自分のメールソフトから送信" if ja else "from my own mail program"
        return "回答済みとして記録" if ja else "marked as answered"
    if kind == "error":
        words = _pick(ERRORS.get(data.get("code", ""), ("Error", "エラー")), ja)
        message = data.get("message") or ""
        address = data.get("address")
        if address:
            words += f"（{address}）" if ja else f" ({address})"
        return f"{words}：{message}" if ja and message else (f"{words}: {message}" if message else words)
    return ""


def _applied(data: Mapping[str, Any], ja: bool) -> str:
    outcome, title = data.get("outcome"), data.get("meeting_title") or ""
    if outcome in ("call", "meeting") and "slots" in data:
        count = data["slots"]
        return f"{count}件の候補日時をお客様に提示" if ja else f"{count} times offered to the client"
    if outcome == "agenda_item":
        return f"「{title}」の議題に追加" if ja else f"agenda item on “{title}”"
    if outcome == "call":
        return f"電話「{title}」を予定に追加" if ja else f"call “{title}” on the schedule"
    if outcome == "meeting":
        return (
            f"仮の打ち合わせ「{title}」を予定に追加" if ja else f"tentative meeting “{title}” on the schedule"
        )
    if data.get("commitment"):
        return "メールで回答（当社の約束事項に登録）" if ja else "answer by mail, tracked as our commitment"
    return "メールで回答" if ja else "answer by mail"
