"""Every date and time a form reads is in the engagement's zone, nested forms and API bodies included."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import wtforms
from werkzeug.datastructures import MultiDict
from wtforms.fields import DateField, DateTimeField, FieldList, FormField, TimeField
from wtforms.fields.core import UnboundField

import planner
from planner.extensions import db
from planner.forms.fields import ZonedDateTimeField
from planner.models import utcnow
from planner.models.commitments import Commitment

PACKAGES = ("planner.forms", "planner.web", "planner.api")
TYPED = "2026-12-10T18:00"
# What 2026-12-10 18:00 is in each zone, as the user means it.
ZONES = {
    "Asia/Tokyo": datetime(2026, 12, 10, 9, 0, tzinfo=UTC),
    "Europe/Berlin": datetime(2026, 12, 10, 17, 0, tzinfo=UTC),
    "America/New_York": datetime(2026, 12, 10, 23, 0, tzinfo=UTC),
}


def _subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def planner_forms() -> list[type]:
    """Every form class the planner defines, found by importing the packages that hold forms."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            importlib.import_module(info.name)
    forms = [cls for cls in _subclasses(wtforms.Form) if cls.__module__.startswith("planner.")]
    return sorted(forms, key=lambda cls: (cls.__module__, cls.__qualname__))


def _unbound_fields(form_class) -> list[tuple[str, UnboundField]]:
    return inspect.getmembers(form_class, lambda value: isinstance(value, UnboundField))


def datetime_fields(form_class, prefix: str = "") -> list[tuple[str, type]]:
    """(name as posted, field class) of every field of a form that reads a date and time, nested ones too."""
    found = []
    for name, unbound in _unbound_fields(form_class):
        found += _walk(unbound, prefix + name)
    return found


def _walk(unbound: UnboundField, name: str) -> list[tuple[str, type]]:
    field_class = unbound.field_class
    if issubclass(field_class, FieldList):
        inner = unbound.args[0] if unbound.args else unbound.kwargs["unbound_field"]
        return _walk(inner, f"{name}-0")
    if issubclass(field_class, FormField):
        inner = unbound.args[0] if unbound.args else unbound.kwargs["form_class"]
        return datetime_fields(inner, f"{name}{unbound.kwargs.get('separator', '-')}")
    # A date alone or a time of day names no instant (WTForms derives them from DateTimeField): a plan's
    # rows join a day and a time in the engagement's zone, as test_plans_views checks.
    if issubclass(field_class, (DateField, TimeField)):
        return []
    if issubclass(field_class, (ZonedDateTimeField, DateTimeField)):
        return [(name, field_class)]
    return []


def _field(form, name: str):
    """The bound field posted as `name` ("actions-0-due_at" is entry 0 of `actions`, field `due_at`)."""
    field = form
    parts = name.split("-")
    while parts:
        part = parts.pop(0)
        field = field[part] if not isinstance(field, FieldList) else field.entries[int(part)]
        if isinstance(field, FormField):
            field = field.form
    return field


FORMS_WITH_TIMES = [form for form in planner_forms() if datetime_fields(form)]


def test_the_walk_finds_the_forms_people_type_times_into() -> None:
    names = {form.__name__ for form in FORMS_WITH_TIMES}
    # A floor, not the list: the walk itself decides which forms the tests below check.
    assert {"MeetingForm", "CommitmentForm", "ApiCommitmentForm", "OutcomeForm", "IntakeForm"} <= names
    outcome = dict(datetime_fields(next(f for f in FORMS_WITH_TIMES if f.__name__ == "OutcomeForm")))
    assert "actions-0-due_at" in outcome


@pytest.mark.parametrize("form_class", FORMS_WITH_TIMES, ids=lambda cls: cls.__qualname__)
def test_every_date_time_field_is_read_in_the_engagement_zone(app, form_class) -> None:
    for name, field_class in datetime_fields(form_class):
        # WTForms' own DateTimeField gives a naive time that would be taken as UTC.
        assert issubclass(field_class, ZonedDateTimeField), f"{form_class.__name__}.{name} ignores the zone"
        for zone, instant in ZONES.items():
            with app.test_request_context():
                form = form_class(formdata=MultiDict({name: TYPED}), meta={"zone": zone, "csrf": False})
                field = _field(form, name)
                assert field.data == instant, (form_class.__name__, name, zone)
                # An offset typed with the time (API clients) is taken as given.
                offset = form_class(
                    formdata=MultiDict({name: TYPED + "+02:00"}), meta={"zone": zone, "csrf": False}
                )
                assert _field(offset, name).data == datetime(2026, 12, 10, 16, 0, tzinfo=UTC)


def _constructions(tree: ast.AST, names: set[str]):
    """Calls that build one of `names`: Form(...) directly, or form_from_json(Form, ...)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in names:
            yield node.func.id, node
        elif (
            isinstance(node.func, ast.Name)
            and node.func.id == "form_from_json"
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in names
        ):
            yield node.args[0].id, node


def _passes_zone(call: ast.Call) -> bool:
    for keyword in call.keywords:
        if keyword.arg == "meta" and isinstance(keyword.value, ast.Dict):
            return any(isinstance(k, ast.Constant) and k.value == "zone" for k in keyword.value.keys)
    return False


def test_every_view_builds_these_forms_in_the_engagement_zone() -> None:
    names = {form.__name__ for form in FORMS_WITH_TIMES}
    root = Path(planner.__file__).parent
    seen, missing = set(), []
    for path in sorted(root.rglob("*.py")):
        if path.parent.name == "forms":
            continue
        for name, call in _constructions(ast.parse(path.read_text(encoding="utf-8")), names):
            seen.add(name)
            if not _passes_zone(call):
                missing.append(f"{path.relative_to(root)}:{call.lineno} {name}")
    assert missing == []
    assert {"MeetingForm", "OutcomeForm", "IntakeForm", "LogRequestForm"} <= seen


def test_an_action_item_keeps_the_time_typed_and_the_late_note_says_it(client, login, team, make_meeting):
    engagement = team["engagement"]
    assert engagement.timezone == "Asia/Tokyo"
    meeting = make_meeting(engagement, title="Status", kind="status", starts_at=utcnow() - timedelta(hours=2))
    login(client, team["member"])
    response = client.post(
        f"/meetings/{meeting.id}/outcome",
        data={
            "reached": "yes",
            "actions-0-title": "基本設計書を送る",
            "actions-0-owed_by": "us",
            "actions-0-due_at": "2026-12-10T18:00",
        },
    )
    assert response.status_code == 302
    commitment = db.session.scalars(db.select(Commitment).where(Commitment.meeting_id == meeting.id)).one()
    assert commitment.due_at.astimezone(UTC) == datetime(2026, 12, 10, 9, 0, tzinfo=UTC)

    # The edit page shows the time as typed; the new date goes in the same way.
    page = client.get(f"/commitments/{commitment.id}/edit").get_data(as_text=True)
    assert 'value="2026-12-10T18:00"' in page
    response = client.post(
        f"/commitments/{commitment.id}/edit",
        data={
            "title": "基本設計書を送る",
            "owed_by": "us",
            "owner_user_id": str(team["member"].id),
            "contact_id": str(team["contact"].id),
            "due_at": "2026-12-10T18:00",
            "meeting_id": str(meeting.id),
            "revised_due_at": "2026-12-14T12:00",
            "reason": "レビュー指摘の反映に時間がかかっております。",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    note = client.get(f"/commitments/{commitment.id}/note").get_data(as_text=True)
    assert "12月10日(木) 18:00までとお約束しておりました" in note
    assert "12月14日(月) 12:00" in note
    assert "03:00" not in note
