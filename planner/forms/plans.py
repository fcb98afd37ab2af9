"""Kickoff plan forms: the generator's settings, and the adjusted preview rows sent to confirm."""

from __future__ import annotations

from datetime import time, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from planner.forms.schedule import TEXT, options
from planner.playbooks import KINDS, load_playbooks

WEEKDAYS = [
    (0, _l("Monday")),
    (1, _l("Tuesday")),
    (2, _l("Wednesday")),
    (3, _l("Thursday")),
    (4, _l("Friday")),
]
CADENCE_LABELS = {"weekly": _l("Every week"), "biweekly": _l("Every other week")}
MAX_SPAN_DAYS = 2 * 366  # a plan longer than two years is guesswork, and a huge preview
MAX_ROWS = 300


class PlanForm(FlaskForm):
    playbook = SelectField(_l("Playbook"), validators=[DataRequired()])
    starts_on = DateField(
        _l("Kickoff on"), validators=[InputRequired(message=_l("Choose the day of the kickoff."))]
    )
    ends_on = DateField(
        _l("Plan until"),
        validators=[Optional()],
        description=_l("Empty: until the last phase of the playbook."),
    )
    cadence = SelectField(_l("Status meetings"), choices=options(CADENCE_LABELS.items()), default="weekly")
    weekday = SelectField(lazy_pgettext("weekday", "On"), choices=options(WEEKDAYS), coerce=int, default=1)
    meeting_time = TimeField(
        _l("At"), default=time(10, 0), validators=[InputRequired(message=_l("Choose a time."))]
    )

    def set_playbooks(self, language: str) -> None:
        """Offer every shipped playbook, named in the reader's language."""
        self.playbook.choices = options((p.key, p.name_in(language)) for p in load_playbooks())

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data:
            if field.data < self.starts_on.data:
                raise ValidationError(_l("The end date is before the kickoff."))
            if field.data - self.starts_on.data > timedelta(days=MAX_SPAN_DAYS):
                raise ValidationError(_l("Plan at most two years ahead."))


class PlanRowForm(Form):
    """One meeting of the preview; only checked rows are validated and created."""

    include = BooleanField(_l("Create"))
    phase = HiddenField()
    kind = HiddenField()
    note = HiddenField(validators=[Length(max=500)])
    title = StringField(
        _l("Title"), validators=[DataRequired(message=_l("A title is needed.")), Length(max=200)]
    )
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Not a valid date."))])
    start = TimeField(_l("Time"), validators=[InputRequired(message=_l("Not a valid time."))])
    minutes = IntegerField(
        _l("Minutes"),
        validators=[InputRequired(message=_l("Give the length in minutes.")), NumberRange(5, 480)],
    )
    purpose = TextAreaField(
        _l("Purpose"),
        validators=[
            DataRequired(message=_l("State the purpose: what must this meeting decide or produce?")),
            Length(max=TEXT),
        ],
    )
    desired_outcome = TextAreaField(_l("Desired outcome"), validators=[Optional(), Length(max=TEXT)])

    def validate(self, extra_validators=None) -> bool:
        if not self.include.data:
            return True  # an unticked row is dropped, whatever it holds
        return super().validate(extra_validators)

    def validate_kind(self, field):
        if field.data not in KINDS:
            raise ValidationError(_l("Unknown kind of meeting."))


class ConfirmPlanForm(FlaskForm):
    playbook = HiddenField(validators=[DataRequired()])
    rows = FieldList(FormField(PlanRowForm), max_entries=MAX_ROWS)

    def included(self) -> list[PlanRowForm]:
        return [entry.form for entry in self.rows if entry.form.include.data]

    def validate_rows(self, field):
        chosen = self.included()
        if not chosen:
            raise ValidationError(_l("Tick at least one meeting to create."))
        if len(chosen) > MAX_ROWS:
            raise ValidationError(_l("Too many meetings in one plan."))
        # Two meetings of the same team on the same day must not overlap.
        timed = [r for r in chosen if r.day.data and r.start.data and r.minutes.data and not r.errors]
        timed.sort(key=lambda r: (r.day.data, r.start.data))
        clashes = 0
        for earlier, later in zip(timed, timed[1:], strict=False):
            if earlier.day.data != later.day.data:
                continue
            start = earlier.start.data.hour * 60 + earlier.start.data.minute
            if later.start.data.hour * 60 + later.start.data.minute < start + earlier.minutes.data:
                later.start.errors = [
                    *later.start.errors,
                    _l("Overlaps with “%(title)s”.", title=earlier.title.data),
                ]
                clashes += 1
        if clashes:
            raise ValidationError(_l("Some meetings overlap; move them apart."))


def row_data(meeting, note: str) -> dict:
    """A generated meeting as the preview row's initial data."""
    return {
        "include": True,
        "phase": meeting.phase,
        "kind": meeting.kind,
        "note": note,
        "title": meeting.title,
        "day": meeting.day,
        "start": meeting.local_start.time().replace(second=0, microsecond=0),
        "minutes": meeting.minutes,
        "purpose": meeting.purpose,
        "desired_outcome": meeting.desired_outcome,
    }
