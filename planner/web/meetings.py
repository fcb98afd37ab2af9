"""Meetings and their agendas."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from planner.extensions import db
from planner.forms.schedule import AgendaItemForm, MeetingForm
from planner.operations.schedule import (
    add_agenda_item,
    cancel_meeting,
    create_meeting,
    move_agenda_item,
    remove_agenda_item,
    update_agenda_item,
    update_meeting,
)
from planner.purpose import is_vague
from planner.web import g_now
from planner.web.access import agenda_item_for, engagement_for, meeting_for

bp = Blueprint("meetings", __name__)


def _form_for(engagement, **kwargs) -> MeetingForm:
    form = MeetingForm(meta={"zone": engagement.timezone}, **kwargs)
    form.set_people(engagement)
    return form


@bp.route("/engagements/<int:engagement_id>/meetings/new", methods=["GET", "POST"])
def new(engagement_id: int):
    engagement = engagement_for(engagement_id, "member")
    form = _form_for(engagement)
    if request.method == "GET":
        # Next working day at 10:00 in the engagement's zone: a sensible default to adjust.
        local = g_now().astimezone(engagement.tz).date() + timedelta(days=1)
        while local.weekday() >= 5:
            local += timedelta(days=1)
        form.starts_at.data = datetime.combine(local, time(10), tzinfo=engagement.tz)
        form.kind.data = request.args.get("kind", "other") if request.args.get("kind") else "other"
    if form.validate_on_submit():
        data = form.values() | {"contact_ids": form.contact_ids.data, "user_ids": form.user_ids.data}
        meeting = create_meeting(engagement, data, now=g_now())
        db.session.commit()
        flash(_("Meeting planned."), "success")
        return redirect(url_for(".show", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, engagement=engagement, meeting=None), (
        400 if form.errors else 200
    )


@bp.route("/meetings/<int:meeting_id>")
def show(meeting_id: int):
    meeting = meeting_for(meeting_id)
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        engagement=meeting.engagement,
        agenda_form=AgendaItemForm(formdata=None),
        action_form=FlaskForm(),
        vague=is_vague(meeting.purpose) or meeting.purpose_missing,
    )


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit(meeting_id: int):
    meeting = meeting_for(meeting_id, "member")
    engagement = meeting.engagement
    form = _form_for(engagement, obj=meeting)
    if request.method == "GET":
        form.duration_minutes.data = meeting.duration_minutes
        form.ends_at.data = None
        form.contact_ids.data = [a.contact_id for a in meeting.attendees if a.contact_id]
        form.user_ids.data = [a.user_id for a in meeting.attendees if a.user_id]
        form.version.data = str(meeting.version)
    if form.validate_on_submit():
        if form.version.data and form.version.data != str(meeting.version):
            flash(
                _(
                    "Someone else changed this meeting while you were editing. "
                    "Their version is shown below; your changes were not saved."
                ),
                "error",
            )
            return redirect(url_for(".edit", meeting_id=meeting.id))
        data = form.values() | {"contact_ids": form.contact_ids.data, "user_ids": form.user_ids.data}
        if update_meeting(meeting, data, now=g_now()):
            flash(_("Meeting saved. Calendars will show the change."), "success")
        db.session.commit()
        return redirect(url_for(".show", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, engagement=engagement, meeting=meeting), (
        400 if form.errors else 200
    )


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
def cancel(meeting_id: int):
    meeting = meeting_for(meeting_id, "member")
    if FlaskForm().validate_on_submit() and cancel_meeting(meeting, now=g_now()):
        db.session.commit()
        flash(_("Meeting cancelled. It stays in calendars as cancelled."), "success")
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
            notes=form.notes.data or "",
            now=g_now(),
        )
        db.session.commit()
        return redirect(url_for(".show", meeting_id=meeting.id) + "#agenda")
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        engagement=meeting.engagement,
        agenda_form=form,
        action_form=FlaskForm(),
        vague=is_vague(meeting.purpose),
    ), 400


@bp.route("/agenda/<int:item_id>/edit", methods=["POST"])
def edit_item(item_id: int):
    item = agenda_item_for(item_id)
    form = AgendaItemForm()
    if form.validate_on_submit():
        update_agenda_item(
            item,
            {"title": form.title.data.strip(), "minutes": form.minutes.data, "notes": form.notes.data or ""},
            now=g_now(),
        )
        db.session.commit()
    else:
        flash(
            _(
                "The agenda item was not saved: %(errors)s",
                errors="; ".join(
                    f"{form[name].label.text}: {', '.join(map(str, errs))}"
                    for name, errs in form.errors.items()
                ),
            ),
            "error",
        )
    return redirect(url_for(".show", meeting_id=item.meeting_id) + "#agenda")


@bp.route("/agenda/<int:item_id>/<any(up, down, done, undone, delete):action>", methods=["POST"])
def item_action(item_id: int, action: str):
    item = agenda_item_for(item_id)
    meeting_id = item.meeting_id
    if FlaskForm().validate_on_submit():
        now = g_now()
        if action in ("up", "down"):
            move_agenda_item(item, -1 if action == "up" else 1, now=now)
        elif action in ("done", "undone"):
            update_agenda_item(item, {"done": action == "done"}, now=now)
        else:
            remove_agenda_item(item, now=now)
        db.session.commit()
    else:
        flash(_("This form has expired. Please try again."), "error")
    return redirect(url_for(".show", meeting_id=meeting_id) + "#agenda")
