"""Engagement, meeting and agenda forms (also used by the API for JSON bodies)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from planner.forms.fields import MultiCheckboxField, Needed, ZonedDateTimeField, time_zone_name
from planner.workdays import all_zones, country_for_zone, is_valid_country

TEXT = 4000  # what fits in a calendar description without surprising anyone

KIND_LABELS = {
    "kickoff": _l("Kickoff"),
    "requirements": _l("Requirements"),
    "design_review": _l("Design review"),
    # "Status" alone is also a field label; Japanese names the kind differently (定例).
    "status": lazy_pgettext("meeting kind", "Status"),
    "review": _l("Review"),
    "acceptance": _l("Acceptance"),
    "call": _l("Call"),
    "other": _l("Other"),
}
STATUS_LABELS = {
    "tentative": _l("Tentative"),
    "confirmed": _l("Confirmed"),
    "cancelled": _l("Cancelled"),
    "held": _l("Held"),
}
COMMON_ZONES = [
    "Asia/Tokyo",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
]


def options(pairs) -> list[SelectChoice]:
    """Select choices from (value, label) pairs, in the form WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]


def zone_choices() -> list[tuple[str, str]]:
    rest = sorted(z for z in all_zones() if z not in COMMON_ZONES and "/" in z and not z.startswith("Etc/"))
    return [(z, z) for z in COMMON_ZONES + rest]


class EngagementForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    client_name = StringField(_l("Client"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=TEXT)])
    timezone = StringField(
        _l("Time zone"), default="Asia/Tokyo", validators=[DataRequired(), Length(max=64), time_zone_name]
    )
    country = StringField(
        _l("Country for public holidays"),
        validators=[Optional(), Length(max=2)],
        description=_l("ISO code such as JP, DE, US; empty takes it from the time zone."),
    )
    language = SelectField(
        _l("Client's language"), choices=options([("ja", "日本語"), ("en", "English")]), default="ja"
    )
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])

    def validate_country(self, field):
        if field.data:
            field.data = field.data.strip().upper()
            if not is_valid_country(field.data):
                raise ValidationError(_l("Unknown country code."))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date is before the start date."))

    def values(self) -> dict:
        data = {k: self.data[k] for k in ("name", "client_name", "description", "timezone", "language")}
        data.update(starts_on=self.starts_on.data, ends_on=self.ends_on.data)
        data["country"] = self.country.data or country_for_zone(self.timezone.data)
        data["client_name"] = data["client_name"] or ""
        data["description"] = data["description"] or ""
        return data


class EngagementSettingsForm(FlaskForm):
    call_max_minutes = IntegerField(
        _l("Longest request settled by a call (minutes)"),
        default=30,
        validators=[DataRequired(), NumberRange(5, 240)],
    )
    agenda_horizon_days = IntegerField(
        _l("Look for a meeting to add an agenda item within (days)"),
        default=14,
        validators=[DataRequired(), NumberRange(1, 120)],
    )
    agenda_lead_hours = IntegerField(
        _l("Agenda items need at least (hours before the meeting)"),
        default=24,
        validators=[DataRequired(), NumberRange(0, 24 * 14)],
    )
    urgent_hours = IntegerField(
        _l("A request is urgent when needed within (hours)"),
        default=48,
        validators=[DataRequired(), NumberRange(1, 24 * 14)],
    )
    warning_working_days = IntegerField(
        _l("Warn before a commitment is due (working days)"),
        default=2,
        validators=[DataRequired(), NumberRange(1, 30)],
    )
    quiet_days = IntegerField(
        _l("A contact is quiet after (days without contact)"),
        default=30,
        validators=[DataRequired(), NumberRange(1, 365)],
    )
    cancelled_feed_days = IntegerField(
        _l("Keep cancelled meetings in feeds for (days)"),
        default=30,
        validators=[DataRequired(), NumberRange(0, 365)],
    )
    simple_question_minutes = IntegerField(
        _l("A simple question, answered by mail, takes at most (minutes)"),
        default=10,
        validators=[Needed(), NumberRange(0, 60)],
    )
    many_people = IntegerField(
        _l("A request with this many people or more becomes a meeting"),
        default=5,
        validators=[DataRequired(), NumberRange(2, 100)],
    )
    new_work_minutes = IntegerField(
        _l("A meeting to hear new work lasts (minutes)"),
        default=60,
        validators=[DataRequired(), NumberRange(15, 480)],
    )
    estimate_working_days = IntegerField(
        _l("The scope and estimate for new work follow within (working days)"),
        default=5,
        validators=[DataRequired(), NumberRange(1, 60)],
    )
    requests_user_id = SelectField(
        _l("Requests from the client's page are answered by"),
        coerce=int,
        choices=[],
        description=_l("Proposed times are free in this member's calendar across all their engagements."),
    )
    lunch_from = TimeField(_l("Lunch hour, kept free of proposed calls: from"), validators=[Optional()])
    lunch_until = TimeField(_l("Lunch hour: until"), validators=[Optional()])

    def set_members(self, engagement) -> None:
        """Choices for who answers: the engagement's owners and members (0: its first owner)."""
        people = [
            (m.user_id, m.user.display_name)
            for m in sorted(engagement.members, key=lambda m: m.id)
            if m.allows("member")
        ]
        self.requests_user_id.choices = [(0, _l("The first owner"))] + people

    def validate_lunch_until(self, field) -> None:
        """Both ends or neither, and the end after the start."""
        start, end = self.lunch_from.data, field.data
        if (start is None) != (end is None):
            raise ValidationError(_l("Give both ends of the lunch hour, or neither."))
        if start is not None and end <= start:
            raise ValidationError(_l("The lunch hour must end after it starts."))


class MeetingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    purpose = TextAreaField(
        _l("Purpose"),
        validators=[
            DataRequired(message=_l("State the purpose: what must this meeting decide or produce?")),
            Length(max=TEXT),
        ],
        description=_l("What must be decided or produced, e.g. “Agree the scope of phase 1”."),
    )
    desired_outcome = TextAreaField(
        _l("Desired outcome"),
        validators=[Optional(), Length(max=TEXT)],
        description=_l("How everyone knows the meeting worked, e.g. “Signed-off scope document”."),
    )
    kind = SelectField(_l("Kind"), choices=options(KIND_LABELS.items()), default="other")
    starts_at = ZonedDateTimeField(_l("Starts"), validators=[Needed(message=_l("A start time is needed."))])
    duration_minutes = IntegerField(
        _l("Length (minutes)"), default=60, validators=[Optional(), NumberRange(5, 24 * 60)]
    )
    ends_at = ZonedDateTimeField(_l("Ends"), validators=[Optional()])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=300)])
    conference_url = URLField(_l("Conference link"), validators=[Optional(), Length(max=500)])
    status = SelectField(_l("Status"), choices=options(STATUS_LABELS.items()), default="tentative")
    internal = BooleanField(_l("Internal (team only, never shown to the client)"))
    internal_notes = TextAreaField(_l("Internal notes"), validators=[Optional(), Length(max=TEXT)])
    contact_ids = MultiCheckboxField(_l("Client attendees"), coerce=int, choices=[], validate_choice=True)
    user_ids = MultiCheckboxField(_l("Team attendees"), coerce=int, choices=[], validate_choice=True)
    # The version the editor saw: a stale edit is refused instead of overwriting a newer one.
    version = HiddenField()

    def set_people(self, engagement) -> None:
        """Offer the engagement's contacts and members as attendees."""
        self.contact_ids.choices = options((c.id, c.name) for c in engagement.contacts)
        self.user_ids.choices = options((m.user.id, m.user.display_name) for m in engagement.members)

    def validate_conference_url(self, field):
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_l("Use an http or https link."))

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end is before the start."))
        if field.data and self.starts_at.data and (field.data - self.starts_at.data).days >= 1:
            raise ValidationError(_l("A meeting lasts less than a day."))

    def values(self) -> dict:
        data = {
            k: self.data[k]
            for k in ("title", "purpose", "desired_outcome", "kind", "starts_at", "status", "internal")
        }
        for key in ("location", "conference_url", "internal_notes", "desired_outcome"):
            data[key] = (self.data.get(key) or "").strip()
        if self.ends_at.data:
            data["ends_at"] = self.ends_at.data
        else:
            data["duration_minutes"] = self.duration_minutes.data or 60
        data["title"] = data["title"].strip()
        data["purpose"] = data["purpose"].strip()
        return data


class AgendaItemForm(FlaskForm):
    title = StringField(_l("Item"), validators=[DataRequired(), Length(max=300)])
    minutes = IntegerField(_l("Minutes"), default=10, validators=[Needed(), NumberRange(1, 480)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=TEXT)])


class AgendaItemEditForm(AgendaItemForm):
    """Editing an item in place; `seen` fingerprints the item as loaded, so a concurrent edit is not lost."""

    seen = HiddenField()
    meeting_id = HiddenField()
