"""Contact profile and contact note forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from planner.forms.fields import time_zone_name

CHANNEL_LABELS = {
    "phone": _l("Phone"),
    "email": _l("Email"),
    "chat": _l("Chat"),
    "video": _l("Video call"),
    "in_person": _l("In person"),
}
READERS_LABELS = {
    "self": _l("Only them"),
    "manager": _l("Their manager too"),
    "committee": _l("A committee"),
}
FORMAT_LABELS = {"prose": _l("Prose"), "diagrams": _l("Diagrams")}
LANGUAGE_LABELS = {"ja": "日本語", "en": "English"}


def options(pairs) -> list[SelectChoice]:
    """Select choices from (value, label) pairs, in the form WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]


def _none_if_blank(value):
    return value or None


class ContactForm(FlaskForm):
    """Everything that helps to serve a contact well."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    department = StringField(_l("Department"), validators=[Optional(), Length(max=200)])
    role = StringField(_l("Role"), validators=[Optional(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    language = SelectField(_l("Language"), choices=options(LANGUAGE_LABELS.items()), default="ja")
    preferred_channel = SelectField(
        _l("Preferred channel"), choices=options(CHANNEL_LABELS.items()), default="email"
    )
    readers = SelectField(
        _l("Who reads what we send"),
        choices=options([("", "—"), *READERS_LABELS.items()]),
        default="",
        validate_choice=False,
    )
    prefers_format = SelectField(
        _l("Prefers"), choices=options([("", "—"), *FORMAT_LABELS.items()]), default="", validate_choice=False
    )
    timezone = StringField(
        _l("Time zone"),
        validators=[Optional(), Length(max=64), time_zone_name],
        description=_l("Where they are, such as America/New_York; empty means the engagement's time zone."),
    )
    call_from = TimeField(
        _l("Takes calls from"),
        validators=[Optional()],
        description=_l("In their time zone. A proposed call falls inside these hours."),
    )
    call_until = TimeField(_l("Until"), validators=[Optional()])
    notes = TextAreaField(
        _l("Profile notes"),
        validators=[Optional(), Length(max=4000)],
        description=_l("Background that stays true: tenure, responsibilities, how they like to work."),
    )

    def validate(self, extra_validators=None) -> bool:
        # Checked here: a blank time stops its own field's validators, and the pair is one fact.
        valid = super().validate(extra_validators)
        start, end = self.call_from, self.call_until
        if start.errors or end.errors or (start.data is None and end.data is None):
            return valid
        if start.data is None or end.data is None:
            end.errors.append(_l("Give both times, or neither."))
        elif end.data <= start.data:
            end.errors.append(_l("The end must be after the start."))
        else:
            return valid
        return False

    def validate_readers(self, field):
        if field.data and field.data not in READERS_LABELS:
            raise ValidationError(_l("Not a valid choice."))

    def validate_prefers_format(self, field):
        if field.data and field.data not in FORMAT_LABELS:
            raise ValidationError(_l("Not a valid choice."))

    def values(self) -> dict:
        data = {
            key: (getattr(self, key).data or "").strip()
            for key in ("name", "organisation", "department", "role", "email", "phone", "notes")
        }
        data["email"] = data["email"].lower()
        data.update(
            language=self.language.data,
            preferred_channel=self.preferred_channel.data,
            readers=_none_if_blank(self.readers.data),
            prefers_format=_none_if_blank(self.prefers_format.data),
            timezone=self.timezone.data or "",
            call_from=self.call_from.data,
            call_until=self.call_until.data,
        )
        return data


class NoteForm(FlaskForm):
    """Something the contact told us, with the day and the meeting it came from."""

    body = TextAreaField(
        _l("What they told us"),
        validators=[DataRequired(), Length(max=4000)],
        description=_l("In their words where you can: it will be in front of whoever meets them next."),
    )
    noted_on = DateField(_l("On"), validators=[DataRequired()])
    meeting_id = SelectField(
        _l("In meeting"),
        coerce=lambda v: int(v) if v not in (None, "", "0", 0) else None,
        validate_choice=False,
        validators=[Optional()],
    )

    def __init__(self, *args, meetings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting_id.choices = options(
            [(0, "—")] + [(m.id, f"{m.local_start:%Y-%m-%d} {m.title}") for m in meetings]
        )

    def validate_meeting_id(self, field):
        if field.data is not None and field.data not in {int(c.value) for c in self.meeting_id.choices}:
            raise ValidationError(_l("Not a valid choice."))
