"""Feed link and calendar import forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

AUDIENCE_LABELS = {"client": _l("Client"), "team": _l("Team")}
MAX_IMPORT_BYTES = 1024 * 1024


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class FeedLinkForm(FlaskForm):
    """A named link to the schedule, for the client or for the team."""

    label = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("Who the link is for, e.g. “Tanaka-san (Acme)”."),
    )
    audience = SelectField(
        _l("Shows"),
        choices=_options(AUDIENCE_LABELS.items()),
        default="client",
        description=_l("A client link never shows internal meetings or notes; a team link shows all."),
    )
    contact_id = SelectField(
        _l("Contact"),
        coerce=int,
        default=0,
        description=_l("The client page speaks this contact's language."),
    )

    def set_contacts(self, engagement) -> None:
        """Offer the engagement's contacts (or none)."""
        self.contact_id.choices = _options([(0, "—")] + [(c.id, c.name) for c in engagement.contacts])


class ImportForm(FlaskForm):
    """An .ics file drafted in another tool."""

    file = FileField(
        _l("Calendar file (.ics)"),
        validators=[
            FileRequired(_l("Choose an .ics file.")),
            FileSize(MAX_IMPORT_BYTES, message=_l("The file is larger than 1 MB.")),
        ],
    )
