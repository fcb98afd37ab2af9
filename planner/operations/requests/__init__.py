"""Meeting requests: intake, decisions (triage, override, apply), replies and queries.

Every request, from the client's page, a member's log or the API, goes through `submit_request`: the request
and its triage are saved in one transaction, and what was typed is saved on its own when that fails.
"""

from planner.operations.requests.booking import book_slot, booking_url, request_for_booking
from planner.operations.requests.common import REQUEST_FIELDS, RESUBMIT_MINUTES, RequestError, record_event
from planner.operations.requests.context import meeting_infos, request_info, triage_settings
from planner.operations.requests.decisions import apply_decision, override, triage_request
from planner.operations.requests.intake import just_received, receive_request, request_by_key, submit_request
from planner.operations.requests.queries import (
    RequestStats,
    agenda_item_of,
    commitments_of,
    explanation_of,
    open_requests,
    request_stats,
    urgency,
)
from planner.operations.requests.replies import (
    draft_for,
    mark_replied,
    notify_team,
    save_reply,
    send_reply,
    status_summary,
)

__all__ = [
    "REQUEST_FIELDS",
    "RESUBMIT_MINUTES",
    "RequestError",
    "RequestStats",
    "agenda_item_of",
    "book_slot",
    "booking_url",
    "record_event",
    "request_for_booking",
    "apply_decision",
    "commitments_of",
    "draft_for",
    "explanation_of",
    "just_received",
    "mark_replied",
    "meeting_infos",
    "notify_team",
    "open_requests",
    "override",
    "receive_request",
    "request_by_key",
    "request_info",
    "request_stats",
    "save_reply",
    "send_reply",
    "status_summary",
    "submit_request",
    "triage_request",
    "triage_settings",
    "urgency",
]
