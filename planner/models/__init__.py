"""All models, importable from one place."""

from planner.models.base import UTCDateTime, utcnow
from planner.models.people import ApiToken, Contact, Membership, User
from planner.models.schedule import AgendaItem, Engagement, Meeting, MeetingAttendee
