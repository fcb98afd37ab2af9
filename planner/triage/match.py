"""Does a meeting really share a request's topic? Content words and Japanese character pairs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from planner.triage.model import MeetingInfo

_LATIN = re.compile(r"[a-z][a-z0-9]*")
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆]+")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc\uff66-\uff9f]+")
_HANGUL = re.compile(r"[\uac00-\ud7af]+")
# Words that say nothing about what a topic is: grammar, politeness, time and "meeting" itself.
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "have",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "the",
        "this",
        "that",
        "these",
        "those",
        "to",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "regarding",
        "re",
        "fw",
        "fwd",
        "meeting",
        "meetings",
        "mtg",
        "please",
        "call",
        "question",
        "questions",
        "quick",
        "ask",
        "asking",
        "request",
        "help",
        "need",
        "needs",
        "want",
        "wants",
        "like",
        "discuss",
        "discussion",
        "talk",
        "check",
        "confirm",
        "confirmation",
        "update",
        "issue",
        "issues",
        "matter",
        "thing",
        "things",
        "some",
        "any",
        "next",
        "last",
        "week",
        "weeks",
        "today",
        "tomorrow",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "new",
        "also",
        "regular",
        "weekly",
        "status",
        "project",
        "item",
        "items",
        "topic",
        "topics",
        "follow",
        "up",
    ]
)
# Japanese words that carry no topic: meeting words, dates and the stock verbs of a request.
_STOP_PHRASES = (
    "ミーティング",
    "打ち合わせ",
    "打合せ",
    "打合わせ",
    "お打ち合わせ",
    "会議",
    "相談",
    "確認",
    "来週",
    "今週",
    "先週",
    "来月",
    "今月",
    "本日",
    "今日",
    "明日",
    "明後日",
    "午前",
    "午後",
    "曜日",
    "件",
    "対応",
    "検討",
    "お願い",
    "依頼",
    "質問",
    "連絡",
    "予定",
    "今後",
    "状況",
    "共有",
    "報告",
    "定例",
    "資料",
    "至急",
    "急ぎ",
    "以降",
    "以前",
    "まで",
)
# A real match: one content word of an English topic, or two character pairs of a Japanese one, in the
# meeting's title or purpose (an agenda title counts half, a word of the details half again).
MATCH_THRESHOLD = 2.0


def _pairs(run: str) -> Iterable[str]:
    return (run[i : i + 2] for i in range(len(run) - 1))


@lru_cache(maxsize=8192)
def tokens(text: str) -> frozenset[str]:
    """Match tokens of a text: Latin content words, plus character pairs of Japanese and Korean runs.

    Japanese has no spaces, so kanji and katakana runs are cut into overlapping pairs of characters
    (画面設計 → 画面, 面設, 設計); hiragana is left out because it is mostly particles and endings, and a
    lone kanji (月, 日, 件) says too little to count.
    """
    norm = unicodedata.normalize("NFKC", text).lower()
    for phrase in _STOP_PHRASES:
        norm = norm.replace(phrase, " ")
    found = {
        w.rstrip("s") if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w
        for w in _LATIN.findall(norm)
        if len(w) > 1 and w not in _STOP_WORDS
    }
    for pattern in (_KANJI, _KATAKANA, _HANGUL):
        for run in pattern.findall(norm):
            if len(run) > 1:
                found.update(_pairs(run))
    return frozenset(found)


@lru_cache(maxsize=4096)
def meeting_tokens(
    title: str, purpose: str, agenda_titles: tuple[str, ...]
) -> tuple[frozenset[str], frozenset[str]]:
    """A meeting's title-and-purpose tokens and its agenda's, made once per wording (every request asks)."""
    agenda: frozenset[str] = frozenset()
    for item in agenda_titles:
        agenda |= tokens(item)
    return tokens(title) | tokens(purpose), agenda


def _weight(words: frozenset[str]) -> float:
    # A Latin word says as much as two Japanese character pairs.
    return sum(2.0 if word.isascii() else 1.0 for word in words)


def match_score(topic_tokens: frozenset[str], detail_tokens: frozenset[str], meeting: MeetingInfo) -> float:
    """How well a meeting's purpose, title and agenda match a request: topic words count double."""
    if not topic_tokens and not detail_tokens:
        return 0.0
    main, agenda = meeting_tokens(meeting.title, meeting.purpose, meeting.agenda_titles)
    score = 0.0
    for factor, words in ((1.0, topic_tokens), (0.5, detail_tokens - topic_tokens)):
        score += factor * (_weight(words & main) + 0.5 * _weight((words & agenda) - main))
    return score


def shared_words(topic: str, details: str, meeting: MeetingInfo) -> tuple[str, ...]:
    """The tokens a request and a meeting share, for the explanation."""
    main, agenda = meeting_tokens(meeting.title, meeting.purpose, meeting.agenda_titles)
    return tuple(sorted((tokens(topic) | tokens(details)) & (main | agenda)))
