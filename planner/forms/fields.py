"""Fields shared by several forms."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import Field, FloatField, FormField, SelectMultipleField
from wtforms.utils import unset_value
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, DateTimeLocalInput, ListWidget

from planner.workdays import is_valid_zone

_UTC = ZoneInfo("UTC")


def time_zone_name(_form, field) -> None:
    """Validator: an IANA time zone name exactly as zoneinfo spells it; empty passes (add DataRequired).

    A person typing on a page may leave spaces around it; a program (the API sets `meta.exact_input`) gets
    the name it sent checked as sent.
    """
    field.data = field.data or ""
    if not getattr(field.meta, "exact_input", False):
        field.data = field.data.strip()
    if field.data and not is_valid_zone(field.data):
        raise ValidationError(_l("Unknown time zone; use an IANA name such as Asia/Tokyo."))


def zoned_datetime(raw: str, zone: ZoneInfo) -> datetime:
    """ISO 8601 text as an aware UTC time, read in `zone` without an offset; ValueError says what is wrong."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(_l("Not a valid date and time (expected e.g. 2026-05-12T10:00).")) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    # Far-off years would overflow when converted or when a length is added to them.
    if not 1970 <= value.year <= 2999:
        raise ValueError(_l("Use a date between the years 1970 and 2999."))
    return value.astimezone(_UTC)


class ZonedDateTimeField(Field):
    """ISO 8601 date and time; with an offset as given, without one in the form's zone (`meta.zone`).

    The browser's datetime-local input sends the second kind, API clients either.
    """

    widget = DateTimeLocalInput()

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(getattr(self.meta, "zone", None) or "UTC")

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = zoned_datetime(valuelist[0], self._zone())

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, datetime):
            return self.data.astimezone(self._zone()).strftime("%Y-%m-%dT%H:%M")
        return ""


class ZonedFormField(FormField):
    """A form inside a form (an outcome's action items) whose times are read in the outer form's zone.

    WTForms builds the inner form with a meta of its own, so without this its times would be read as UTC.
    """

    def process(self, formdata, data=unset_value, extra_filters=None):
        inner, zone = self.form_class, getattr(self.meta, "zone", None)

        def build(*args, meta=None, **kwargs):
            return inner(*args, meta={**(meta or {}), "zone": zone}, **kwargs)

        self.form_class = build
        try:
            super().process(formdata, data, extra_filters)
        finally:
            self.form_class = inner


class FiniteFloatField(FloatField):
    """A number that is a number: "inf", "nan" and figures too large for a float are refused."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not math.isfinite(self.data):
            self.data = None
            raise ValueError(_l("Not a valid number."))


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class Needed:
    """Like DataRequired, but a value that could not be read keeps its own message ("not a valid date")."""

    field_flags = {"required": True}

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        if field.process_errors:
            raise StopValidation()
        if field.data is None or (isinstance(field.data, str) and not field.data.strip()):
            raise StopValidation(self.message or _l("This field is required."))
