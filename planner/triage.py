"""Triage of ad-hoc meeting requests: plain data in, a `Decision` out (call, email, agenda item or meeting).

The rules are tried in order and the first that applies decides:

R1 a problem or complaint: a call (short, few people) or a dedicated meeting within two working days.
R2 only a status update wanted: an email with a status summary, today.
R3 an eligible scheduled meeting exists: an agenda item on the best-matching one (else the earliest).
R4 urgent and short: a call.
R5 long and (many people, materials to review or a decision to make): a new meeting.
R6 otherwise: a call for reasons that writing serves badly, else the contact's preferred channel.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from planner.replies.formatting import format_datetime
from planner.workdays import country_for_zone, is_working_day, local_datetime, next_working_day

REASONS: tuple[str, ...] = (
    "email_tedious",
    "wants_face_to_face",
    "nuance",
    "deadline_pressure",
    "status_update",
    "new_work_request",
    "decision_needed",
    "problem_or_complaint",
    "review_materials",
    "other",
)

# What each reason means in words, for the decision page and the API (en, ja).
REASON_LABELS: dict[str, tuple[str, str]] = {
    "email_tedious": ("Writing it all in a mail is tedious", "メールで書くのは手間がかかる"),
    "wants_face_to_face": ("Wants to talk face to face", "顔を合わせて話したい"),
    "nuance": ("Nuance is hard to get across in writing", "文章ではニュアンスが伝わりにくい"),
    "deadline_pressure": ("A deadline is close", "締め切りが迫っている"),
    "status_update": ("Wants to know where things stand", "進捗状況を知りたい"),
    "new_work_request": ("Has new work to hand over", "新しい依頼がある"),
    "decision_needed": ("A decision must be made", "決めなければならないことがある"),
    "problem_or_complaint": ("Something went wrong", "問題やご不満がある"),
    "review_materials": ("Materials to review together", "資料を一緒に確認したい"),
    "other": ("Another reason", "その他"),
}

OUTCOMES: tuple[str, ...] = ("call", "email", "agenda_item", "meeting")

# Reasons that a mail serves badly: a few minutes of talk settles them better.
TALK_REASONS = frozenset(
    {"nuance", "wants_face_to_face", "email_tedious", "decision_needed", "deadline_pressure"}
)
CALL_CHANNELS = frozenset({"phone", "video", "in_person", "call"})


class TriageError(ValueError):
    """The policy cannot decide with these settings or this request."""


@dataclass(frozen=True)
class TriageSettings:
    """Per-engagement thresholds of the policy, with the issue's defaults."""

    call_max_minutes: int = 30
    agenda_horizon_days: int = 14
    agenda_lead_hours: int = 24
    urgent_hours: int = 48
    country: str | None = None
    zone: str = "UTC"
    default_meeting_minutes: int = 60
    workday_start: time = time(9, 0)
    workday_end: time = time(18, 0)
    # A call is offered no sooner than this, so that whoever calls can prepare.
    call_lead_minutes: int = 30
    complaint_max_people: int = 4

    def __post_init__(self) -> None:
        for name in ("call_max_minutes", "agenda_horizon_days", "default_meeting_minutes"):
            if getattr(self, name) <= 0:
                raise TriageError(f"{name} must be positive")
        for name in ("agenda_lead_hours", "urgent_hours", "call_lead_minutes"):
            if getattr(self, name) < 0:
                raise TriageError(f"{name} must not be negative")
        if self.workday_end <= self.workday_start:
            raise TriageError("the working day must end after it starts")
        # Fails loudly here rather than in the middle of a decision.
        ZoneInfo(self.zone)

    @property
    def tz(self) -> ZoneInfo:
        """The engagement's zone."""
        return ZoneInfo(self.zone)


@dataclass(frozen=True)
class RequestInfo:
    """What the client asked for; `needed_by` is an aware datetime or None."""

    topic: str
    details: str = ""
    reasons: tuple[str, ...] = ()
    needed_by: datetime | None = None
    expected_minutes: int = 15
    people: int = 1
    preferred_format: str | None = None
    contact_channel: str | None = None
    # When the contact takes calls, if they told us: wall-clock in `contact_zone` (None: the engagement's).
    call_hours: tuple[time, time] | None = None
    contact_zone: str | None = None


@dataclass(frozen=True)
class MeetingInfo:
    """A scheduled meeting as the policy sees it; `starts_at` is aware."""

    id: int
    title: str
    purpose: str
    kind: str
    starts_at: datetime
    duration_minutes: int
    agenda_minutes: int = 0
    agenda_titles: tuple[str, ...] = ()
    cancelled: bool = False
    # Computed once here: slot finding compares every meeting's end many times per decision.
    ends_at: datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ends_at", self.starts_at + timedelta(minutes=self.duration_minutes))

    @property
    def free_minutes(self) -> int:
        """Minutes of the meeting not yet taken by its agenda."""
        return self.duration_minutes - self.agenda_minutes


@dataclass(frozen=True)
class Decision:
    """The outcome of triage, with the rule that fired and the reasons in words."""

    outcome: str
    rule: str
    explanation_en: tuple[str, ...]
    explanation_ja: tuple[str, ...]
    reasons: tuple[str, ...] = ()
    meeting_id: int | None = None
    proposed_at: datetime | None = None
    proposed_minutes: int = 0
    minutes_saved: int = 0
    candidates: tuple[int, ...] = field(default=())

    @property
    def proposed_call_at(self) -> datetime | None:
        """The proposed call slot (UTC) when the outcome is a call."""
        return self.proposed_at if self.outcome == "call" else None

    def explanation(self, language: str | None) -> tuple[str, ...]:
        """Why the rule fired, in Japanese or English."""
        return self.explanation_ja if (language or "").startswith("ja") else self.explanation_en

    def reasons_text(self, language: str | None) -> str:
        """The explanation and the client's reasons as one paragraph."""
        ja = (language or "").startswith("ja")
        labels = [REASON_LABELS[r][1 if ja else 0] for r in self.reasons if r in REASON_LABELS]
        lines = list(self.explanation(language))
        if labels:
            if ja:
                lines.append("依頼の理由：" + "、".join(labels) + "。")
            else:
                lines.append("Reasons given: " + "; ".join(labels) + ".")
        return ("" if ja else " ").join(lines)


# --- topic matching -------------------------------------------------------------------------------------

_LATIN = re.compile(r"[a-z0-9]+")
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆]+")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc\uff66-\uff9f]+")
_HANGUL = re.compile(r"[\uac00-\ud7af]+")
_STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "of", "on"}
    | {"or", "our", "the", "this", "to", "we", "with", "you", "your", "about", "meeting", "meetings"}
    | {"please", "call", "mtg"}
)
# Words every meeting title carries in Japanese; they say nothing about the topic.
_STOP_PHRASES = ("ミーティング", "打ち合わせ", "打合せ", "打合わせ", "会議", "相談")


def _bigrams(run: str) -> Iterable[str]:
    return (run[i : i + 2] for i in range(len(run) - 1))


@lru_cache(maxsize=8192)
def tokens(text: str) -> frozenset[str]:
    """Match tokens of a text: Latin words, plus character bigrams of Japanese, Chinese and Korean runs.

    Japanese has no spaces, so kanji and katakana runs are cut into overlapping pairs of characters
    (画面設計 → 画面, 面設, 設計); hiragana is left out because it is mostly particles and endings.
    """
    norm = unicodedata.normalize("NFKC", text).lower()
    for phrase in _STOP_PHRASES:
        norm = norm.replace(phrase, " ")
    found = {w for w in _LATIN.findall(norm) if len(w) > 1 and w not in _STOP_WORDS}
    for pattern in (_KANJI, _KATAKANA, _HANGUL):
        for run in pattern.findall(norm):
            if len(run) == 1:
                if pattern is _KANJI:
                    found.add(run)
            else:
                found.update(_bigrams(run))
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


def match_score(topic_tokens: frozenset[str], detail_tokens: frozenset[str], meeting: MeetingInfo) -> float:
    """How well a meeting's purpose, title and agenda match a request: topic words count double."""
    if not topic_tokens and not detail_tokens:
        return 0.0
    main, agenda = meeting_tokens(meeting.title, meeting.purpose, meeting.agenda_titles)
    score = 0.0
    for weight, words in ((2.0, topic_tokens), (1.0, detail_tokens - topic_tokens)):
        score += weight * len(words & main) + weight * 0.5 * len((words & agenda) - main)
    return score


# --- slots ----------------------------------------------------------------------------------------------


def _round_up(moment: datetime, minutes: int, tz: ZoneInfo) -> datetime:
    """The first wall-clock multiple of `minutes` at or after `moment`, in the zone."""
    local = moment.astimezone(tz)
    base = local.replace(second=0, microsecond=0)
    if base < local:
        base += timedelta(minutes=1)
    extra = (-(base.hour * 60 + base.minute)) % minutes
    return (base + timedelta(minutes=extra)).astimezone(UTC)


def _clash(busy: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> datetime | None:
    """The end of the first busy interval overlapping [start, end); `busy` is sorted by start."""
    for begin, finish in busy:
        if begin >= end:
            return None
        if finish > start:
            return finish
    return None


def propose_slot(
    minutes: int,
    meetings: Sequence[MeetingInfo],
    settings: TriageSettings,
    *,
    now: datetime,
    not_before: datetime | None = None,
    search_days: int = 31,
    hours: tuple[time, time] | None = None,
    hours_zone: str | None = None,
    their_country: str | None = None,
) -> datetime:
    """The first free slot of `minutes` in business hours (or `hours`) on a working day, not in the past.

    `hours` are wall-clock in `hours_zone` (default: the engagement's zone), where the days are counted
    too; with `their_country`, a day must be a working day there as well. Slots fall on the half hour and
    avoid the engagement's own meetings; when the search finds nothing free it falls back to the start of
    the first working day.
    """
    countries = (settings.country, their_country) if their_country else (settings.country,)
    day_start, day_end = hours or (settings.workday_start, settings.workday_end)
    zone = (hours_zone if hours else None) or settings.zone
    tz = ZoneInfo(zone)
    start = _round_up(max(now + timedelta(minutes=settings.call_lead_minutes), not_before or now), 30, tz)
    length = timedelta(minutes=minutes)
    horizon = start + timedelta(days=search_days)
    busy = sorted(
        (m.starts_at, m.ends_at)
        for m in meetings
        if not m.cancelled and m.ends_at > start and m.starts_at < horizon
    )
    day: date = start.astimezone(tz).date()
    first_open: datetime | None = None
    for _ in range(search_days):
        if all(is_working_day(day, country) for country in countries):
            opens = local_datetime(day, day_start, zone).astimezone(UTC)
            closes = local_datetime(day, day_end, zone).astimezone(UTC)
            slot = max(start, opens)
            if first_open is None and slot + length <= closes:
                first_open = slot
            while slot + length <= closes:
                clash = _clash(busy, slot, slot + length)
                if clash is None:
                    return slot
                slot = _round_up(clash, 30, tz)
        day += timedelta(days=1)
    if first_open is not None:
        return first_open
    fallback_day = next_working_day(start.astimezone(tz).date(), settings.country)
    return local_datetime(fallback_day, day_start, zone).astimezone(UTC)


def meeting_minutes(request: RequestInfo) -> int:
    """The length of a dedicated meeting for a request: its expected length in quarter hours, at least 30."""
    return max(30, -(-request.expected_minutes // 15) * 15)


def propose_meeting_slot(
    request: RequestInfo, meetings: Sequence[MeetingInfo], settings: TriageSettings, *, now: datetime
) -> datetime:
    """A slot for a dedicated meeting from the next working day on, leaving a day to prepare."""
    tz = settings.tz
    prepare_from = next_working_day(now.astimezone(tz).date(), settings.country)
    opens = local_datetime(prepare_from, settings.workday_start, settings.zone).astimezone(UTC)
    return propose_slot(meeting_minutes(request), meetings, settings, now=now, not_before=opens)


def propose_call_slot(
    request: RequestInfo, meetings: Sequence[MeetingInfo], settings: TriageSettings, *, now: datetime
) -> datetime:
    """A call slot today if business hours allow, else on the next working day (UTC).

    The contact's call hours, when known, take the place of business hours: they told us when they can talk.
    """
    return propose_slot(
        max(5, request.expected_minutes),
        meetings,
        settings,
        now=now,
        hours=request.call_hours,
        hours_zone=request.contact_zone,
        # Someone abroad takes no calls on their own public holidays either.
        their_country=country_for_zone(request.contact_zone) if request.contact_zone else None,
    )


# --- the rules ------------------------------------------------------------------------------------------


def eligible_meetings(
    request: RequestInfo, meetings: Sequence[MeetingInfo], settings: TriageSettings, *, now: datetime
) -> list[MeetingInfo]:
    """Meetings that can take the request as an agenda item, earliest first."""
    earliest = now + timedelta(hours=settings.agenda_lead_hours)
    horizon = now + timedelta(days=settings.agenda_horizon_days)
    found = [
        m
        for m in meetings
        if not m.cancelled
        and m.starts_at >= earliest
        and (m.starts_at < request.needed_by if request.needed_by is not None else m.starts_at <= horizon)
        and m.free_minutes >= request.expected_minutes
    ]
    found.sort(key=lambda m: (m.starts_at, m.id))
    return found


def best_match(request: RequestInfo, candidates: Sequence[MeetingInfo]) -> tuple[MeetingInfo, float]:
    """The candidate that best matches the topic; ties (and no match at all) go to the earliest."""
    topic_tokens = tokens(request.topic)
    detail_tokens = tokens(request.details) if request.details else frozenset()
    best, best_score = candidates[0], 0.0
    for meeting in candidates:
        score = match_score(topic_tokens, detail_tokens, meeting)
        if score > best_score:
            best, best_score = meeting, score
    return best, best_score


def _saved(settings: TriageSettings, spent: int) -> int:
    return max(0, settings.default_meeting_minutes - spent)


def _call(
    rule: str,
    request: RequestInfo,
    meetings: Sequence[MeetingInfo],
    settings: TriageSettings,
    now: datetime,
    en: list[str],
    ja: list[str],
) -> Decision:
    slot = propose_call_slot(request, meetings, settings, now=now)
    when_en = format_datetime(slot, settings.zone, "en")
    when_ja = format_datetime(slot, settings.zone, "ja")
    minutes = max(5, request.expected_minutes)
    en.append(f"Proposed call: {when_en}, about {minutes} minutes.")
    ja.append(f"電話の候補：{when_ja}（{minutes}分程度）。")
    if request.call_hours:
        start, end = (t.strftime("%H:%M") for t in request.call_hours)
        abroad = request.contact_zone and request.contact_zone != settings.zone
        where_en = f", {request.contact_zone}" if abroad else ""
        where_ja = f"、現地時間 {request.contact_zone}" if abroad else ""
        en.append(f"Within the hours they take calls ({start}–{end}{where_en}).")
        ja.append(f"先方が電話を受けられる時間帯（{start}〜{end}{where_ja}）に合わせています。")
    return Decision(
        "call",
        rule,
        tuple(en),
        tuple(ja),
        reasons=request.reasons,
        proposed_at=slot,
        proposed_minutes=minutes,
        minutes_saved=_saved(settings, minutes),
    )


def _meeting(
    rule: str,
    request: RequestInfo,
    meetings: Sequence[MeetingInfo],
    settings: TriageSettings,
    now: datetime,
    en: list[str],
    ja: list[str],
) -> Decision:
    slot = propose_meeting_slot(request, meetings, settings, now=now)
    minutes = meeting_minutes(request)
    en.append(f"Proposed meeting: {format_datetime(slot, settings.zone, 'en')}, {minutes} minutes.")
    ja.append(f"打ち合わせの候補：{format_datetime(slot, settings.zone, 'ja')}（{minutes}分）。")
    return Decision(
        "meeting",
        rule,
        tuple(en),
        tuple(ja),
        reasons=request.reasons,
        proposed_at=slot,
        proposed_minutes=minutes,
        minutes_saved=0,
    )


def decide(
    request: RequestInfo, meetings: Sequence[MeetingInfo], settings: TriageSettings, *, now: datetime
) -> Decision:
    """Apply rules R1–R6 in order; the first that applies decides."""
    if now.tzinfo is None:
        raise TriageError("now must be an aware datetime")
    if request.needed_by is not None and request.needed_by.tzinfo is None:
        raise TriageError("needed_by must be an aware datetime")
    if request.expected_minutes <= 0 or request.people <= 0:
        raise TriageError("expected length and people must be positive")
    reasons = set(request.reasons)
    unknown = reasons - set(REASONS)
    if unknown:
        raise TriageError(f"unknown reasons: {', '.join(sorted(unknown))}")
    short = request.expected_minutes <= settings.call_max_minutes
    limit = settings.call_max_minutes

    # R1: a complaint is answered in person or by voice at once, never by mail alone or later.
    if "problem_or_complaint" in reasons:
        en = ["Something went wrong for the client: a problem is never answered by mail alone or put off."]
        ja = ["問題・ご不満のご連絡のため、メールだけで済ませず、先送りもせずに直接対応します。"]
        if short and request.people <= settings.complaint_max_people:
            en.append(f"It is short (≤ {limit} min) with few people: we call at the first free slot.")
            ja.append(f"短時間（{limit}分以内）で関係者も少ないため、最も早く空いている時間にお電話します。")
            return _call("R1", request, meetings, settings, now, en, ja)
        en.append("It needs more time or people than a call: a dedicated meeting within two working days.")
        ja.append("電話では収まらない時間・人数のため、2営業日以内に個別の打ち合わせを設けます。")
        return _meeting("R1", request, meetings, settings, now, en, ja)

    # R2: an anxious client gets where things stand today, in writing they can forward.
    if reasons == {"status_update"}:
        return Decision(
            "email",
            "R2",
            ("The client only wants to know where things stand: a status summary by mail today.",),
            ("進捗確認のみのご依頼のため、本日中に進捗をまとめてメールでお送りします。",),
            reasons=request.reasons,
            minutes_saved=_saved(settings, 0),
        )

    # R3: a meeting that is already planned, with a purpose, takes the topic as an item.
    candidates = eligible_meetings(request, meetings, settings, now=now)
    if candidates:
        chosen, score = best_match(request, candidates)
        when_en = format_datetime(chosen.starts_at, settings.zone, "en")
        when_ja = format_datetime(chosen.starts_at, settings.zone, "ja")
        en = [
            f"“{chosen.title}” on {when_en} has {chosen.free_minutes} free minutes for the "
            f"{request.expected_minutes} minutes needed, so the topic goes on its agenda.",
        ]
        ja = [
            f"{when_ja}の「{chosen.title}」に{chosen.free_minutes}分の空きがあり、必要な"
            f"{request.expected_minutes}分を確保できるため、議題に加えます。",
        ]
        if score > 0:
            en.append("It is the scheduled meeting whose purpose, title and agenda best match the topic.")
            ja.append("予定済みの打ち合わせのうち、目的・件名・議題が最も近いものです。")
        else:
            en.append("No meeting matches the topic more closely, so it is the earliest one with room.")
            ja.append("内容が近い打ち合わせがないため、空きのある最も早い打ち合わせとしました。")
        return Decision(
            "agenda_item",
            "R3",
            tuple(en),
            tuple(ja),
            reasons=request.reasons,
            meeting_id=chosen.id,
            proposed_minutes=request.expected_minutes,
            minutes_saved=_saved(settings, request.expected_minutes),
            candidates=tuple(m.id for m in candidates),
        )

    # R4: urgent and short: a call beats any meeting we could still set up in time.
    if (
        request.needed_by is not None
        and request.needed_by - now < timedelta(hours=settings.urgent_hours)
        and short
    ):
        en = [
            f"It is needed within {settings.urgent_hours} hours and fits in a call (≤ {limit} min), "
            "and no scheduled meeting comes in time."
        ]
        ja = [
            f"{settings.urgent_hours}時間以内に必要で、{limit}分以内の電話で足りる内容のため、お電話で対応します。"
        ]
        return _call("R4", request, meetings, settings, now, en, ja)

    # R5: long, and with many people, materials or a decision: this is a real meeting.
    heavy = reasons & {"review_materials", "decision_needed"}
    if not short and (request.people >= 4 or heavy):
        en = [
            f"It needs {request.expected_minutes} minutes (more than a {limit}-minute call) "
            + ("with materials to review or a decision to make" if heavy else f"with {request.people} people")
            + ", and no scheduled meeting has room: a new meeting with its purpose."
        ]
        ja = [
            f"{request.expected_minutes}分が必要で（電話の目安{limit}分を超える）、"
            + ("資料の確認や意思決定を伴い" if heavy else f"{request.people}名が参加し")
            + "、予定済みの打ち合わせにも空きがないため、目的を明確にした打ち合わせを新たに設けます。"
        ]
        return _meeting("R5", request, meetings, settings, now, en, ja)

    # R6: talk for what writing serves badly; otherwise the way this contact likes to be reached.
    talk = reasons & TALK_REASONS
    if talk:
        en = ["What the client needs is served better by a short conversation than by a mail or a meeting."]
        ja = ["メールや打ち合わせよりも短いお電話のほうが確実に伝わる内容のため、お電話で対応します。"]
        return _call("R6", request, meetings, settings, now, en, ja)
    channel = (request.contact_channel or request.preferred_format or "").lower()
    if channel in CALL_CHANNELS:
        en = [f"The contact prefers to be reached by {channel.replace('_', ' ')}, so a call."]
        ja = ["ご担当者様は電話・対面でのやり取りを好まれるため、お電話で対応します。"]
        return _call("R6", request, meetings, settings, now, en, ja)
    if channel in {"email", "chat"}:
        en = [f"Nothing here needs a conversation and the contact prefers {channel}: we answer in writing."]
        ja = ["会話が必要な内容ではなく、ご担当者様も文面でのやり取りを好まれるため、メールでご回答します。"]
    else:
        en = ["Nothing here needs a conversation and no preferred channel is known: we answer by mail."]
        ja = ["会話が必要な内容ではないため、メールでご回答します。"]
    return Decision(
        "email", "R6", tuple(en), tuple(ja), reasons=request.reasons, minutes_saved=_saved(settings, 0)
    )
