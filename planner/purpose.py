"""Is a meeting's stated purpose real? Words that say nothing on their own are flagged as vague."""

from __future__ import annotations

import re
import unicodedata

# Words that name a meeting rather than say what it must decide or produce.
VAGUE_WORDS = {
    "mtg",
    "meeting",
    "meetings",
    "sync",
    "synch",
    "catch",
    "up",
    "catchup",
    "catch-up",
    "check",
    "in",
    "checkin",
    "check-in",
    "touch",
    "base",
    "chat",
    "call",
    "discussion",
    "discuss",
    "talk",
    "update",
    "updates",
    "status",
    "weekly",
    "daily",
    "monthly",
    "regular",
    "routine",
    "general",
    "misc",
    "tbd",
    "todo",
    "n/a",
    "na",
    "various",
    "topics",
    "stuff",
    "things",
    "follow",
    "followup",
    "follow-up",
    "the",
    "a",
    "an",
    "and",
    "with",
    "about",
    "team",
    "client",
    "quick",
}
VAGUE_JA = (
    "打ち合わせ",
    "打合せ",
    "打合わせ",
    "うちあわせ",
    "ミーティング",
    "会議",
    "定例",
    "定期",
    "週次",
    "月次",
    "進捗確認",
    "進捗",
    "確認",
    "相談",
    "雑談",
    "共有",
    "報告",
    "意見交換",
    "情報交換",
    "面談",
    "mtg",
    "その他",
    "各種",
    "について",
    "の件",
    "件",
    "会",
    "等",
    "など",
)
_SPLIT = re.compile(r"[\s/,.;:!?()\[\]「」『』、。・（）【】\-]+")


def is_vague(purpose: str | None) -> bool:
    """True when the purpose is empty or made only of words that say nothing."""
    text = unicodedata.normalize("NFKC", purpose or "").strip().lower()
    if not text:
        return True
    for word in sorted(VAGUE_JA, key=len, reverse=True):
        text = text.replace(word, " ")
    words = [w for w in _SPLIT.split(text) if w]
    return all(w in VAGUE_WORDS or w.isdigit() for w in words)
