"""Forms for linking CalDAV calendars and settling what sync left for a person."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from planner import netguard

ON_CANCEL_LABELS = {
    "status": _l("Keep it, marked cancelled (recommended)"),
    "delete": _l("Delete it from the calendar"),
}
NEW_CALENDAR = "__new__"


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _refusal(reason: str) -> str:
    """The guard's reason in the reader's language."""
    if reason == "not_found":
        return str(_l("This server name cannot be found. Check the address."))
    if reason == "not_allowed":
        return str(_l("This calendar server is not on this installation's list of allowed servers."))
    return str(
        _l(
            "This address is in a private network. An administrator can allow private "
            "calendar servers with PLANNER_CALDAV_ALLOW_PRIVATE_HOSTS."
        )
    )


def check_server_url(url: str) -> str | None:
    """Why a server address cannot be used (a sentence), or None when it can."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return str(_l("Enter the full address, starting with https://"))
    if parts.username or parts.password:
        return str(_l("Put the user name and password in their own fields, not in the address."))
    try:
        netguard.check_url(netguard.policy_from(current_app.config), url.strip())
    except netguard.Refused as refused:
        return _refusal(refused.reason)
    return None


class ServerForm(FlaskForm):
    """Step 1: where the calendars are, and who we are there."""

    url = StringField(
        _l("Server address"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("The CalDAV address, e.g. https://cloud.example.com/remote.php/dav/"),
    )
    username = StringField(_l("User name"), validators=[Optional(), Length(max=200)])
    password = PasswordField(
        _l("Password or app password"),
        validators=[Optional(), Length(max=500)],
        description=_l(
            "Stored encrypted and never shown again. Prefer an app password where the server has them."
        ),
    )

    def validate_url(self, field) -> None:
        problem = check_server_url(field.data or "")
        if problem:
            raise ValidationError(problem)


class BusyCalendarForm(ServerForm):
    """A calendar of the member's own, read for busy times only."""

    calendar_url = StringField(
        _l("Calendar address"),
        validators=[Optional(), Length(max=500)],
        description=_l("The calendar's own address; leave it empty when the server address is the calendar."),
    )

    def validate_calendar_url(self, field) -> None:
        problem = check_server_url(field.data) if field.data else None
        if problem:
            raise ValidationError(problem)


class ChooseCalendarForm(FlaskForm):
    """Step 2: an existing calendar from the server's list, or a new one the app creates."""

    calendar_url = RadioField(_l("Calendar"), validators=[DataRequired()], choices=[])
    calendar_name = StringField(_l("Name of the new calendar"), validators=[Optional(), Length(max=200)])
    on_cancel = SelectField(
        _l("When a meeting is cancelled"), choices=_options(ON_CANCEL_LABELS.items()), default="status"
    )

    def set_calendars(self, calendars: list[list[str]]) -> None:
        """Offer the calendars found on the server, then "create a new one"."""
        self.calendar_url.choices = _options(
            [*((url, name) for url, name in calendars), (NEW_CALENDAR, _l("Create a new calendar"))]
        )

    def validate_calendar_name(self, field) -> None:
        if self.calendar_url.data == NEW_CALENDAR and not (field.data or "").strip():
            raise ValidationError(_l("Give the new calendar a name."))


class LinkSettingsForm(FlaskForm):
    """Change how cancellations are written, or replace the stored password."""

    on_cancel = SelectField(_l("When a meeting is cancelled"), choices=_options(ON_CANCEL_LABELS.items()))
    password = PasswordField(
        _l("New password"),
        validators=[Optional(), Length(max=500)],
        description=_l("Leave empty to keep the stored one."),
    )


class ApiLinkForm(FlaskForm):
    """The JSON body of ``POST /api/v1/engagements/<id>/calendars``."""

    url = StringField(validators=[DataRequired(), Length(max=500)])
    username = StringField(validators=[Optional(), Length(max=200)])
    password = StringField(validators=[Optional(), Length(max=500)])
    calendar_url = StringField(validators=[Optional(), Length(max=500)])
    calendar_name = StringField(validators=[Optional(), Length(max=200)])
    on_cancel = SelectField(choices=_options((key, key) for key in ON_CANCEL_LABELS), default="status")

    def validate_url(self, field) -> None:
        problem = check_server_url(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        url, name = (self.calendar_url.data or "").strip(), (self.calendar_name.data or "").strip()
        if bool(url) == bool(name):
            # Optional() stops a field's own validators on an empty value: the pair is checked here.
            self.calendar_url.errors = [
                *self.calendar_url.errors,
                _l("Give calendar_url (an existing calendar) or calendar_name (a new one)."),
            ]
            return False
        if url:
            parts, server = urlsplit(url), urlsplit(self.url.data or "")
            if parts.scheme not in ("http", "https") or parts.netloc != server.netloc:
                self.calendar_url.errors = [
                    *self.calendar_url.errors,
                    _l("The calendar must be on the same server as url."),
                ]
                return False
        return ok
