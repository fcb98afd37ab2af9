"""Client contacts: the list with quiet ones marked, profiles, and dated notes."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from planner.extensions import db
from planner.forms.contacts import ContactForm, NoteForm
from planner.forms.schedule import zone_choices
from planner.models.commitments import Commitment
from planner.operations.contacts import add_note, contact_statuses, create_contact, notes_for, update_contact
from planner.web import g_now
from planner.web.access import contact_for, engagement_for
from planner.web.panels import register_tab

bp = Blueprint("contacts", __name__)


def _note_form(contact, **kwargs) -> NoteForm:
    meetings = [m for m in contact.engagement.meetings if m.status != "cancelled" and m.starts_at <= g_now()]
    return NoteForm(meetings=reversed(meetings), **kwargs)


@bp.route("/engagements/<int:engagement_id>/contacts")
def index(engagement_id: int):
    engagement = engagement_for(engagement_id)
    return render_template(
        "contacts/index.html", engagement=engagement, statuses=contact_statuses(engagement, now=g_now())
    )


@bp.route("/engagements/<int:engagement_id>/contacts/new", methods=["GET", "POST"])
def new(engagement_id: int):
    engagement = engagement_for(engagement_id, "member")
    form = ContactForm()
    if request.method == "GET":
        form.language.data = engagement.language
    if form.validate_on_submit():
        contact = create_contact(engagement, form.values(), now=g_now())
        db.session.commit()
        flash(_("Contact added."), "success")
        return redirect(url_for(".show", contact_id=contact.id))
    return render_template(
        "contacts/form.html", form=form, engagement=engagement, contact=None, zones=zone_choices()
    ), (400 if form.errors else 200)


def _render_show(contact, form: NoteForm, code: int = 200):
    now = g_now()
    status = next(s for s in contact_statuses(contact.engagement, now=now) if s.contact.id == contact.id)
    commitments = db.session.scalars(
        select(Commitment).where(Commitment.contact_id == contact.id).order_by(Commitment.due_at)
    ).all()
    meetings = [
        m
        for m in contact.engagement.meetings
        if any(a.contact_id == contact.id for a in m.attendees) and m.status != "cancelled"
    ]
    return render_template(
        "contacts/show.html",
        contact=contact,
        engagement=contact.engagement,
        status=status,
        notes=notes_for(contact),
        commitments=[(c, c.current_status(now)) for c in commitments],
        meetings=meetings,
        note_form=form,
    ), code


@bp.route("/contacts/<int:contact_id>")
def show(contact_id: int):
    contact = contact_for(contact_id)
    form = _note_form(contact, formdata=None)
    form.noted_on.data = g_now().astimezone(contact.engagement.tz).date()
    return _render_show(contact, form)


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def edit(contact_id: int):
    contact = contact_for(contact_id, "member")
    form = ContactForm(obj=contact)
    if request.method == "GET":
        form.readers.data = contact.readers or ""
        form.prefers_format.data = contact.prefers_format or ""
    if form.validate_on_submit():
        if update_contact(contact, form.values(), now=g_now()):
            flash(_("Contact saved."), "success")
        db.session.commit()
        return redirect(url_for(".show", contact_id=contact.id))
    return render_template(
        "contacts/form.html", form=form, engagement=contact.engagement, contact=contact, zones=zone_choices()
    ), (400 if form.errors else 200)


@bp.route("/contacts/<int:contact_id>/notes", methods=["POST"])
def note(contact_id: int):
    contact = contact_for(contact_id, "member")
    form = _note_form(contact)
    if form.validate_on_submit():
        meeting = next((m for m in contact.engagement.meetings if m.id == form.meeting_id.data), None)
        add_note(
            contact,
            body=form.body.data.strip(),
            noted_on=form.noted_on.data,
            meeting=meeting,
            author=current_user,
            now=g_now(),
        )
        db.session.commit()
        flash(_("Note saved."), "success")
        return redirect(url_for(".show", contact_id=contact.id) + "#notes")
    # Keep what was typed: show the page again with the errors and the text.
    return _render_show(contact, form, 400)


register_tab("contacts.index", _l("Contacts"), order=20)
