"""Commitment, outcome, late-note and carry-forward forms (the API validates JSON with the same rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from planner.forms.fields import FiniteFloatField, MultiCheckboxField, ZonedDateTimeField, ZonedFormField

TEXT = 4000

OWED_BY_LABELS = {"us": _l("Us"), "client": _l("The client")}
STATUS_LABELS = {
    "open": _l("Open"),
    "at_risk": _l("At risk"),
    "late": _l("Late"),
    "done": _l("Done"),
    "dropped": _l("Dropped"),
}
REACHED_LABELS = {"yes": _l("Yes"), "partly": _l("Partly"), "no": _l("No")}


def options(pairs) -> list[SelectChoice]:
    """Select choices from (value, label) pairs, in the form WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]


def _int_or_none(value):
    if value in (None, "", "0", 0):
        return None
    return int(value)


class _Amounts:
    """Amount fields shared by the page form and the API form."""

    promised_amount = FiniteFloatField(
        _l("Promised amount"),
        validators=[Optional(), NumberRange(min=0)],
        description=_l("For an estimate: the figure we gave the client (hours, days or money)."),
    )
    revised_amount = FiniteFloatField(
        _l("Revised amount"),
        validators=[Optional(), NumberRange(min=0)],
        description=_l("Above the promised amount, the client must be told at once."),
    )
    amount_unit = StringField(
        _l("Unit"), validators=[Optional(), Length(max=20)], description=_l("e.g. h, days, ¥")
    )


class CommitmentForm(FlaskForm, _Amounts):
    """Create or edit a commitment; choices are the engagement's members, contacts and meetings."""

    title = StringField(_l("What is promised"), validators=[DataRequired(), Length(max=300)])
    details = TextAreaField(_l("Details"), validators=[Optional(), Length(max=TEXT)])
    owed_by = SelectField(_l("Who owes it"), choices=options(OWED_BY_LABELS.items()), default="us")
    owner_user_id = SelectField(
        _l("Member"),
        coerce=_int_or_none,
        validate_choice=False,
        validators=[Optional()],
        description=_l("Ours: who owes it. The client's: who follows it up."),
    )
    contact_id = SelectField(
        _l("Client contact"),
        coerce=_int_or_none,
        validate_choice=False,
        validators=[Optional()],
        description=_l("Ours: to whom we owe it. The client's: who owes it."),
    )
    due_at = ZonedDateTimeField(
        _l("Due"), validators=[DataRequired(message=_l("A commitment needs a due date and time."))]
    )
    meeting_id = SelectField(
        _l("From meeting"), coerce=_int_or_none, validate_choice=False, validators=[Optional()]
    )
    revised_due_at = ZonedDateTimeField(_l("New date (when it will be late)"), validators=[Optional()])
    reason = TextAreaField(
        _l("Why it will be late or cost more"),
        validators=[Optional(), Length(max=TEXT)],
        description=_l("Facts, not excuses: this goes into the note to the client."),
    )

    def __init__(self, *args, engagement=None, **kwargs):
        super().__init__(*args, **kwargs)
        blank = [(0, "—")]
        members = contacts = meetings = []
        if engagement is not None:
            members = [(m.user.id, m.user.display_name) for m in engagement.members]
            contacts = [(c.id, c.name) for c in engagement.contacts]
            meetings = [
                (m.id, f"{m.local_start:%Y-%m-%d} {m.title}")
                for m in engagement.meetings
                if m.status != "cancelled"
            ]
        self.owner_user_id.choices = options(blank + members)
        self.contact_id.choices = options(blank + contacts)
        self.meeting_id.choices = options(blank + meetings)

    def _check_choice(self, field) -> None:
        # The blank choice coerces to None, which SelectField's own check would refuse.
        if field.data is not None and field.data not in {_int_or_none(c.value) for c in field.choices}:
            raise ValidationError(_l("Not a valid choice."))

    def validate_owner_user_id(self, field):
        self._check_choice(field)

    def validate_contact_id(self, field):
        self._check_choice(field)

    def validate_meeting_id(self, field):
        self._check_choice(field)

    def validate_revised_due_at(self, field):
        if field.data and self.due_at.data and field.data <= self.due_at.data:
            raise ValidationError(_l("The new date must be after the promised one."))

    def values(self) -> dict:
        data = {
            key: getattr(self, key).data
            for key in (
                "title",
                "details",
                "owed_by",
                "owner_user_id",
                "contact_id",
                "due_at",
                "meeting_id",
                "promised_amount",
                "revised_amount",
                "amount_unit",
                "revised_due_at",
                "reason",
            )
        }
        for key in ("details", "amount_unit", "reason"):
            data[key] = (data[key] or "").strip()
        return data


class ApiCommitmentForm(FlaskForm, _Amounts):
    """The JSON body of POST /api/v1/engagements/<id>/commitments."""

    class Meta:
        csrf = False

    title = StringField("title", validators=[DataRequired(), Length(max=300)])
    details = StringField("details", validators=[Optional(), Length(max=TEXT)])
    owed_by = SelectField("owed_by", choices=options([("us", "us"), ("client", "client")]), default="us")
    owner_email = StringField("owner_email", validators=[Optional(), Email(), Length(max=254)])
    contact_id = IntegerField("contact_id", validators=[Optional()])
    due_at = ZonedDateTimeField("due_at", validators=[DataRequired(message="due_at is required (ISO 8601).")])
    meeting_id = IntegerField("meeting_id", validators=[Optional()])
    request_id = IntegerField("request_id", validators=[Optional(), NumberRange(min=1)])

    def __init__(self, *args, engagement=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.engagement = engagement
        self.owner = None

    def validate_owner_email(self, field):
        if not field.data or self.engagement is None:
            return
        wanted = field.data.strip().lower()
        found = next((m.user for m in self.engagement.members if m.user.email == wanted), None)
        if found is None:
            raise ValidationError("No member of this engagement has this email.")
        self.owner = found

    def validate_contact_id(self, field):
        if (
            field.data is not None
            and self.engagement
            and field.data not in {c.id for c in self.engagement.contacts}
        ):
            raise ValidationError("No contact of this engagement has this id.")

    def validate_meeting_id(self, field):
        if (
            field.data is not None
            and self.engagement
            and field.data not in {m.id for m in self.engagement.meetings}
        ):
            raise ValidationError("No meeting of this engagement has this id.")

    def validate_request_id(self, field):
        from planner.operations.commitments import request_in_engagement

        if (
            field.data is not None
            and self.engagement
            and not request_in_engagement(self.engagement, field.data)
        ):
            raise ValidationError("No request of this engagement has this id.")

    def values(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "details": (self.details.data or "").strip(),
            "owed_by": self.owed_by.data,
            "owner_user_id": self.owner.id if self.owner else None,
            "contact_id": self.contact_id.data,
            "due_at": self.due_at.data,
            "meeting_id": self.meeting_id.data,
            "request_id": self.request_id.data,
            "promised_amount": self.promised_amount.data,
            "revised_amount": self.revised_amount.data,
            "amount_unit": (self.amount_unit.data or "").strip(),
        }


class StatusForm(FlaskForm):
    """One-click status change on a commitment."""

    status = SelectField(
        _l("Status"),
        choices=options((k, v) for k, v in STATUS_LABELS.items() if k != "late"),
        validators=[DataRequired()],
    )


class ClientToldForm(FlaskForm):
    """Record that the client was told (about a delay or a revised estimate)."""

    how = StringField(_l("How"), validators=[Optional(), Length(max=200)], description=_l("e.g. phone, mail"))


class ActionItemForm(FlaskForm):
    """One action item captured in a meeting: it becomes a commitment."""

    class Meta:
        csrf = False

    title = StringField(_l("Action item"), validators=[Optional(), Length(max=300)])
    owed_by = SelectField(_l("Who owes it"), choices=options(OWED_BY_LABELS.items()), default="us")
    due_at = ZonedDateTimeField(_l("Due"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        # Optional() ends the field's own chain on an empty value, so the pairing is checked here.
        ok = super().validate(extra_validators)
        if self.title.data and self.title.data.strip() and not self.due_at.data and not self.due_at.errors:
            self.due_at.errors = [*self.due_at.errors, _l("An action item needs a due date and time.")]
            ok = False
        return ok


class OutcomeForm(FlaskForm):
    """After the meeting: was the desired outcome reached, why, what was decided, and the action items."""

    reached = SelectField(
        _l("Desired outcome reached?"), choices=options(REACHED_LABELS.items()), validators=[DataRequired()]
    )
    why = StringField(_l("Why, in one line"), validators=[Optional(), Length(max=500)])
    decisions = TextAreaField(_l("Decisions taken"), validators=[Optional(), Length(max=TEXT)])
    actions = FieldList(ZonedFormField(ActionItemForm), min_entries=3, max_entries=20)

    def validate(self, extra_validators=None) -> bool:
        # Optional() ends the field's own chain on an empty value, so the pairing is checked here.
        ok = super().validate(extra_validators)
        if self.reached.data in ("partly", "no") and not (self.why.data or "").strip():
            self.why.errors = [*self.why.errors, _l("Say in one line why it was not fully reached.")]
            ok = False
        return ok

    def action_items(self) -> list[dict]:
        return [
            {"title": entry.title.data.strip(), "owed_by": entry.owed_by.data, "due_at": entry.due_at.data}
            for entry in self.actions.entries
            if entry.title.data and entry.title.data.strip()
        ]


class CarryForwardForm(FlaskForm):
    """A person confirms which undone agenda items go to the next meeting of the same kind."""

    items = MultiCheckboxField(_l("Carry forward"), coerce=int)
