"""Meetings and their agendas: planning, editing without losing a concurrent edit, and the agenda editor."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError

from planner.extensions import db
from planner.forms.schedule import KIND_LABELS, STATUS_LABELS, AgendaItemEditForm, AgendaItemForm, MeetingForm
from planner.models import AgendaItem, Meeting
from planner.operations.schedule import (
    add_agenda_item,
    cancel_meeting,
    create_meeting,
    mark_held,
    move_agenda_item,
    remove_agenda_item,
    update_agenda_item,
    update_meeting,
)
from planner.purpose import is_vague
from planner.web import g_now
from planner.web.access import agenda_item_for, engagement_for, meeting_for
from planner.web.formatting import fmt_datetime, fmt_minutes

bp = Blueprint("meetings", __name__)

# Ids beyond this are not ours; refusing them early keeps databases from overflowing on lookup.
MAX_ID = 2**31 - 1


def _form_for(engagement, **kwargs) -> MeetingForm:
    form = MeetingForm(meta={"zone": engagement.timezone}, **kwargs)
    form.set_people(engagement)
    return form


def _values(form: MeetingForm) -> dict:
    return form.values() | {"contact_ids": form.contact_ids.data or [], "user_ids": form.user_ids.data or []}


def _load_people(form: MeetingForm, meeting: Meeting) -> None:
    form.contact_ids.data = [a.contact_id for a in meeting.attendees if a.contact_id]
    form.user_ids.data = [a.user_id for a in meeting.attendees if a.user_id]


def _similar(form: MeetingForm, source: Meeting) -> None:
    """Prefill a new meeting like `source`: same title, purpose, outcome, kind and length, a week later."""
    for name in ("title", "purpose", "desired_outcome", "kind", "location", "conference_url", "internal"):
        form[name].data = getattr(source, name)
    # Adding days to a local time keeps the wall-clock hour, also across a DST change.
    form.starts_at.data = source.starts_at.astimezone(source.engagement.tz) + timedelta(days=7)
    form.duration_minutes.data = source.duration_minutes
    form.status.data = "tentative"
    _load_people(form, source)


def _day_asked() -> date | None:
    """The `date` query argument (YYYY-MM-DD) when it is a sensible day, else None."""
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return None
    return day if 1970 <= day.year <= 2200 else None


def _source_meeting(engagement) -> Meeting | None:
    raw = request.args.get("from", "")
    if not raw.isdigit() or int(raw) > MAX_ID:
        return None
    source = meeting_for(int(raw))
    return source if source.engagement_id == engagement.id else None


@bp.route("/engagements/<int:engagement_id>/meetings/new", methods=["GET", "POST"])
def new(engagement_id: int):
    engagement = engagement_for(engagement_id, "member")
    form = _form_for(engagement)
    source = None
    if request.method == "GET":
        source = _source_meeting(engagement)
        if source is not None:
            _similar(form, source)
        else:
            # The day asked for (from the week view), else the next working day; at 10:00 in the zone.
            local = _day_asked()
            if local is None:
                local = g_now().astimezone(engagement.tz).date() + timedelta(days=1)
                while local.weekday() >= 5:
                    local += timedelta(days=1)
            form.starts_at.data = datetime.combine(local, time(10), tzinfo=engagement.tz)
            kind = request.args.get("kind")
            form.kind.data = kind if kind in KIND_LABELS else "other"
    if form.validate_on_submit():
        meeting = create_meeting(engagement, _values(form), now=g_now())
        db.session.commit()
        flash(_("Meeting planned."), "success")
        return redirect(url_for(".show", meeting_id=meeting.id))
    return render_template(
        "meetings/form.html", form=form, engagement=engagement, meeting=None, source=source
    ), (400 if form.errors else 200)


def agenda_fingerprint(item: AgendaItem) -> str:
    """A short digest of an item's text, to tell whether it changed since an editor loaded it."""
    text = f"{item.title}\x1f{item.minutes}\x1f{item.notes}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _show(meeting: Meeting, *, agenda_form=None, editing=None, item_conflict: bool = False):
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        engagement=meeting.engagement,
        agenda_form=agenda_form or AgendaItemForm(formdata=None),
        action_form=FlaskForm(),
        vague=is_vague(meeting.purpose) or meeting.purpose_missing,
        editing=editing,
        item_conflict=item_conflict,
        fingerprint=agenda_fingerprint,
    )


@bp.route("/meetings/<int:meeting_id>")
def show(meeting_id: int):
    return _show(meeting_for(meeting_id))


def differences(meeting: Meeting, data: dict) -> list[dict]:
    """What the editor typed against what the meeting says now, field by field, only where they differ."""
    zone = meeting.engagement.tz
    start = data.get("starts_at") or meeting.starts_at
    end = data.get("ends_at") or start + timedelta(minutes=int(data.get("duration_minutes") or 60))
    names = {c.id: c.name for c in meeting.engagement.contacts} | {
        m.user.id: m.user.display_name for m in meeting.engagement.members
    }

    def people(contact_ids, user_ids) -> str:
        found = [names.get(i, "?") for i in contact_ids] + [names.get(i, "?") for i in user_ids]
        return ", ".join(found) or "—"

    yes_no = {True: _("Yes"), False: _("No")}
    rows = [
        (_("Title"), meeting.title, data.get("title", "")),
        (_("Purpose"), meeting.purpose, data.get("purpose", "")),
        (_("Desired outcome"), meeting.desired_outcome, data.get("desired_outcome", "")),
        (
            _("Kind"),
            str(KIND_LABELS.get(meeting.kind, meeting.kind)),
            str(KIND_LABELS.get(data.get("kind"), "")),
        ),
        (
            _("Status"),
            str(STATUS_LABELS.get(meeting.status, meeting.status)),
            str(STATUS_LABELS.get(data.get("status"), "")),
        ),
        (_("Starts"), fmt_datetime(meeting.starts_at, zone), fmt_datetime(start, zone)),
        (
            _("Length"),
            fmt_minutes(meeting.duration_minutes),
            fmt_minutes(int((end - start).total_seconds() // 60)),
        ),
        (_("Location"), meeting.location, data.get("location", "")),
        (_("Conference link"), meeting.conference_url, data.get("conference_url", "")),
        (_("Internal"), yes_no[bool(meeting.internal)], yes_no[bool(data.get("internal"))]),
        (_("Internal notes"), meeting.internal_notes, data.get("internal_notes", "")),
        (
            _("Attendees"),
            people(
                sorted(a.contact_id for a in meeting.attendees if a.contact_id),
                sorted(a.user_id for a in meeting.attendees if a.user_id),
            ),
            people(sorted(data.get("contact_ids") or []), sorted(data.get("user_ids") or [])),
        ),
    ]
    return [
        {"label": label, "current": current or "—", "yours": yours or "—"}
        for label, current, yours in rows
        if (current or "") != (yours or "")
    ]


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit(meeting_id: int):
    meeting = meeting_for(meeting_id, "member")
    engagement = meeting.engagement
    form = _form_for(engagement, obj=meeting)
    if request.method == "GET":
        form.duration_minutes.data = meeting.duration_minutes
        form.ends_at.data = None
        _load_people(form, meeting)
        form.version.data = str(meeting.version)
    conflicts = None
    if form.validate_on_submit():
        data = _values(form)
        seen = str(form.version.data or "")
        if seen and seen != str(meeting.version):
            conflicts = differences(meeting, data)
        else:
            try:
                changed = update_meeting(meeting, data, now=g_now())
                db.session.commit()
            except StaleDataError:
                # Someone saved between our read and our write: the same answer as a stale form.
                db.session.rollback()
                meeting = meeting_for(meeting_id, "member")
                conflicts = differences(meeting, data)
            else:
                if changed:
                    flash(_("Meeting saved. Calendars will show the change."), "success")
                else:
                    flash(_("Nothing changed."), "info")
                return redirect(url_for(".show", meeting_id=meeting.id))
        # Their input stays in the form; saving again now applies it over the current version.
        form.version.data = str(meeting.version)
    status = 409 if conflicts is not None else (400 if form.errors else 200)
    return render_template(
        "meetings/form.html", form=form, engagement=engagement, meeting=meeting, conflicts=conflicts
    ), status


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
def cancel(meeting_id: int):
    meeting = meeting_for(meeting_id, "member")
    if cancel_meeting(meeting, now=g_now()):
        db.session.commit()
        flash(_("Meeting cancelled. It stays in calendars as cancelled."), "success")
    else:
        flash(_("This meeting was already cancelled."), "info")
    return redirect(url_for(".show", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/held", methods=["POST"])
def held(meeting_id: int):
    meeting = meeting_for(meeting_id, "member")
    if mark_held(meeting, now=g_now()):
        db.session.commit()
        flash(_("Marked as held."), "success")
    elif meeting.status == "held":
        flash(_("This meeting is already marked as held."), "info")
    else:
        flash(_("Only a meeting that has started and was not cancelled can be marked as held."), "error")
    return redirect(url_for(".show", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/agenda", methods=["POST"])
def add_item(meeting_id: int):
    meeting = meeting_for(meeting_id, "member")
    form = AgendaItemForm()
    if form.validate_on_submit():
        add_agenda_item(
            meeting,
            title=form.title.data.strip(),
            minutes=form.minutes.data,
            notes=(form.notes.data or "").strip(),
            now=g_now(),
        )
        db.session.commit()
        flash(_("Added to the agenda."), "success")
        return redirect(url_for(".show", meeting_id=meeting.id) + "#agenda")
    return _show(meeting, agenda_form=form), 400


def _meeting_of_gone_item(form) -> Meeting:
    """The meeting a since-removed item belonged to, as the editing form says (checked for membership)."""
    raw = str(form.meeting_id.data or "")
    if not raw.isdigit() or int(raw) > MAX_ID:
        abort(404)
    return meeting_for(int(raw), "member")


@bp.route("/agenda/<int:item_id>/edit", methods=["POST"])
def edit_item(item_id: int):
    form = AgendaItemEditForm()
    if db.session.get(AgendaItem, item_id) is None:
        meeting = _meeting_of_gone_item(form)
        # Keep what they typed: it goes into the add form, to add again if still wanted.
        again = AgendaItemForm(
            formdata=None,
            data={"title": form.title.data, "minutes": form.minutes.data, "notes": form.notes.data},
        )
        flash(
            _(
                "Someone removed this agenda item meanwhile. "
                "Your text is in the form below: add it again if it is still needed."
            ),
            "error",
        )
        return _show(meeting, agenda_form=again), 409
    item = agenda_item_for(item_id)
    meeting = item.meeting
    if not form.validate_on_submit():
        return _show(meeting, editing=(item.id, form)), 400
    if form.seen.data and form.seen.data != agenda_fingerprint(item):
        form.seen.data = agenda_fingerprint(item)
        return _show(meeting, editing=(item.id, form), item_conflict=True), 409
    changed = update_agenda_item(
        item,
        {
            "title": form.title.data.strip(),
            "minutes": form.minutes.data,
            "notes": (form.notes.data or "").strip(),
        },
        now=g_now(),
    )
    db.session.commit()
    if changed:
        flash(_("Agenda item saved."), "success")
    return redirect(url_for(".show", meeting_id=meeting.id) + f"#item-{item.id}")


@bp.route("/agenda/<int:item_id>/<any(up, down, done, undone, delete):action>", methods=["POST"])
def item_action(item_id: int, action: str):
    form = AgendaItemEditForm()
    if db.session.get(AgendaItem, item_id) is None:
        meeting = _meeting_of_gone_item(form)
        flash(_("Someone removed this agenda item meanwhile."), "info")
        return redirect(url_for(".show", meeting_id=meeting.id) + "#agenda")
    item = agenda_item_for(item_id)
    meeting_id = item.meeting_id
    now = g_now()
    if action in ("up", "down"):
        move_agenda_item(item, -1 if action == "up" else 1, now=now)
    elif action in ("done", "undone"):
        update_agenda_item(item, {"done": action == "done"}, now=now)
    else:
        remove_agenda_item(item, now=now)
    db.session.commit()
    anchor = "#agenda" if action == "delete" else f"#item-{item_id}"
    return redirect(url_for(".show", meeting_id=meeting_id) + anchor)
