"""All models, importable from one place."""

# Registers the session hooks that keep `Engagement.activity` moving.
from planner.models import activity  # noqa: F401
from planner.models.base import UTCDateTime, utcnow
from planner.models.busy import BusyCalendar
from planner.models.calendars import CalendarLink, SyncConflict, SyncState
from planner.models.commitments import Commitment, CommitmentEvent, ContactNote, MeetingOutcome
from planner.models.feeds import FeedLink
from planner.models.idempotency import IdempotentAnswer
from planner.models.people import ApiToken, Contact, Invitation, Membership, User
from planner.models.requests import MeetingRequest, RequestEvent
from planner.models.schedule import AgendaItem, Engagement, Meeting, MeetingAttendee
