"""Meeting request forms: the client page's intake, a member's log, override and reply."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from planner.forms.fields import MultiCheckboxField, ZonedDateTimeField
from planner.models import utcnow
from planner.models.requests import (
    DETAILS_MAX,
    EMAIL_MAX,
    MINUTES_RANGE,
    NAME_MAX,
    PEOPLE_RANGE,
    TOPIC_MAX,
)

REASON_CHOICES = [
    ("email_tedious", _l("Writing it all in a mail is tedious")),
    ("wants_face_to_face", _l("I would like to talk face to face")),
    ("nuance", _l("Nuance is hard to get across in writing")),
    ("deadline_pressure", _l("A deadline is close")),
    ("status_update", _l("I want to know where things stand")),
    ("new_work_request", _l("I have new work to hand over")),
    ("decision_needed", _l("A decision must be made")),
    ("problem_or_complaint", _l("Something went wrong")),
    ("review_materials", _l("There are materials to review together")),
    ("other", _l("Another reason")),
]
FORMAT_CHOICES = [
    ("any", _l("No preference")),
    ("phone", _l("Phone")),
    ("video", _l("Video call")),
    ("in_person", _l("In person")),
    ("email", _l("Email")),
]
LOGGED_CHANNELS = [
    ("phone", _l("Phone")),
    ("email", _l("Email")),
    ("chat", _l("Chat")),
    ("in_person", _l("In person")),
]
OUTCOME_CHOICES = [
    ("agenda_item", _l("Agenda item on a planned meeting")),
    ("call", _l("Call")),
    ("email", _l("Answer by mail")),
    ("meeting", _l("A meeting of its own")),
]


def options(pairs) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
EMAIL_MESSAGE = _l("Enter an email address such as name@example.com.")
EMAIL = Regexp(EMAIL_PATTERN, message=EMAIL_MESSAGE)


class RequestFields(FlaskForm):
    """What every request says: topic, details, why, by when, how long, how many, which format."""

    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=TOPIC_MAX)])
    details = TextAreaField(_l("Details"), validators=[Optional(), Length(max=DETAILS_MAX)])
    reasons = MultiCheckboxField(
        _l("Why would you like to meet?"),
        choices=options(REASON_CHOICES),
        validators=[DataRequired(message=_l("Choose at least one reason."))],
        description=_l("Choose all that apply."),
    )
    needed_by = ZonedDateTimeField(_l("Needed by"), validators=[Optional()])
    expected_minutes = IntegerField(
        _l("Expected length (minutes)"), default=15, validators=[DataRequired(), NumberRange(*MINUTES_RANGE)]
    )
    people = IntegerField(
        _l("Number of people"), default=1, validators=[DataRequired(), NumberRange(*PEOPLE_RANGE)]
    )
    preferred_format = SelectField(_l("Preferred format"), choices=options(FORMAT_CHOICES), default="any")

    def validate_needed_by(self, field) -> None:
        if field.data is not None and field.data <= utcnow():
            raise ValidationError(_l("This time has already passed."))

    def values(self) -> dict:
        """The request's fields for `receive_request`."""
        return {
            "topic": self.topic.data.strip(),
            "details": (self.details.data or "").strip(),
            "reasons": list(self.reasons.data or []),
            "needed_by": self.needed_by.data,
            "expected_minutes": self.expected_minutes.data,
            "people": self.people.data,
            "preferred_format": self.preferred_format.data or "any",
        }


class IntakeForm(RequestFields):
    """The client page's "request a meeting" form."""

    requester_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    requester_email = StringField(_l("Your email"), validators=[DataRequired(), Length(max=EMAIL_MAX), EMAIL])

    def values(self) -> dict:
        return super().values() | {
            "requester_name": self.requester_name.data.strip(),
            "requester_email": self.requester_email.data.strip(),
        }


class LogRequestForm(RequestFields):
    """A request that reached a member by phone, mail, chat or in person."""

    contact_id = SelectField(_l("From"), coerce=int, default=0)
    received_via = SelectField(_l("Came by"), choices=options(LOGGED_CHANNELS), default="phone")
    requester_name = StringField(
        _l("Name, if not a listed contact"), validators=[Optional(), Length(max=NAME_MAX)]
    )
    requester_email = StringField(
        _l("Email, if not a listed contact"), validators=[Optional(), Length(max=EMAIL_MAX), EMAIL]
    )

    def set_contacts(self, engagement) -> None:
        """Offer the engagement's contacts."""
        self.contact_id.choices = options(
            [(0, _l("Someone not listed"))]
            + [
                (c.id, c.name + (f" ({c.organisation})" if c.organisation else ""))
                for c in engagement.contacts
            ]
        )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self.contact_id.data and not (self.requester_name.data or "").strip():
            self.requester_name.errors.append(_l("Choose a contact or give the person's name."))
            return False
        return ok

    def values(self) -> dict:
        return super().values() | {
            "contact_id": self.contact_id.data or None,
            "requester_name": (self.requester_name.data or "").strip(),
            "requester_email": (self.requester_email.data or "").strip(),
        }


class OverrideForm(FlaskForm):
    """Choose another outcome, and for an agenda item another meeting."""

    outcome = SelectField(_l("Outcome"), choices=options(OUTCOME_CHOICES))
    meeting_id = SelectField(_l("Meeting for the agenda item"), coerce=int, default=0)
    starts_at = ZonedDateTimeField(
        _l("Time (call or meeting)"),
        validators=[Optional()],
        description=_l("Leave it empty to offer the first free times."),
    )
    minutes = IntegerField(_l("Length (minutes)"), validators=[Optional(), NumberRange(*MINUTES_RANGE)])
    place = StringField(_l("Place or online link"), validators=[Optional(), Length(max=300)])
    attendee_id = SelectField(_l("Client attendee"), coerce=int, default=0)

    def set_meetings(self, meetings, label) -> None:
        """Offer upcoming meetings; `label(meeting)` writes each choice."""
        self.meeting_id.choices = options([(0, "—")] + [(m.id, label(m)) for m in meetings])

    def set_contacts(self, contacts) -> None:
        """The client attendee of a call or meeting, from the engagement's contacts (0: who asked)."""
        self.attendee_id.choices = options([(0, _l("Who asked"))] + [(c.id, c.name) for c in contacts])

    def validate_meeting_id(self, field) -> None:
        if self.outcome.data == "agenda_item" and not field.data:
            raise ValidationError(_l("Choose the meeting that takes the agenda item."))


class ReplyForm(FlaskForm):
    """The drafted reply, as the member edits it."""

    reply_subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=300)])
    reply_body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=20000)])
