"""Triage of ad-hoc meeting requests: plain data and `now` in, a `Decision` (codes and parameters) out.

The rules, tried in order (the first that applies decides), are in `rules.py`; free slots in `slots.py`;
topic matching in `match.py`. Sentences about a decision are written in `planner.replies`.
"""

from planner.triage.match import MATCH_THRESHOLD, match_score, meeting_tokens, tokens
from planner.triage.model import (
    CALL_CHANNELS,
    CONVERSATION_REASONS,
    FORMATS,
    OUTCOMES,
    REASONS,
    TALK_REASONS,
    Decision,
    MeetingInfo,
    Note,
    RequestInfo,
    Slot,
    TriageError,
    TriageSettings,
    decision_data,
    lunch_for,
)
from planner.triage.rules import (
    answer_day,
    call_minutes,
    cause_of,
    decide,
    homes,
    is_home,
    meeting_minutes,
    report_time,
    slots_for,
)
from planner.triage.slots import pick_slots, window_for, working_days_ahead

__all__ = [
    "CALL_CHANNELS",
    "CONVERSATION_REASONS",
    "FORMATS",
    "MATCH_THRESHOLD",
    "OUTCOMES",
    "REASONS",
    "TALK_REASONS",
    "Decision",
    "MeetingInfo",
    "Note",
    "RequestInfo",
    "Slot",
    "TriageError",
    "TriageSettings",
    "answer_day",
    "call_minutes",
    "cause_of",
    "decide",
    "decision_data",
    "homes",
    "is_home",
    "lunch_for",
    "match_score",
    "meeting_minutes",
    "meeting_tokens",
    "pick_slots",
    "report_time",
    "slots_for",
    "tokens",
    "window_for",
    "working_days_ahead",
]
