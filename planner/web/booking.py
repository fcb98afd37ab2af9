"""The client's booking page: pick one of the proposed times, or ask for others; members record a pick."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from planner.extensions import db, limiter
from planner.models.requests import MeetingRequest
from planner.operations.requests import RequestError, record_event
from planner.operations.requests.booking import book_slot, request_for_booking
from planner.replies.letters import format_span
from planner.web import g_now
from planner.web.public import public
from planner.web.requests import request_for

bp = Blueprint("booking", __name__)


def _zone(req: MeetingRequest) -> str:
    return (req.contact.timezone if req.contact else "") or req.engagement.timezone


def _language(req: MeetingRequest) -> str:
    asked = request.args.get("lang")
    if asked in ("ja", "en"):
        return asked
    return (req.contact.language if req.contact else None) or req.engagement.language or "en"


def slot_choices(req: MeetingRequest, language: str) -> list[tuple[str, str]]:
    """(value, label) for each proposed time, in the contact's zone and language."""
    zone = _zone(req)
    return [
        (
            slot["starts_at"],
            format_span(
                datetime.fromisoformat(slot["starts_at"]),
                datetime.fromisoformat(slot["ends_at"]),
                zone,
                language,
            ),
        )
        for slot in req.proposed_slots or ()
    ]


def _page(req: MeetingRequest, key: str, *, status: int = 200, taken: bool = False):
    language = _language(req)
    g.locale = language
    meeting = req.meeting if req.meeting_id else None
    when = None
    if meeting is not None:
        when = format_span(meeting.starts_at, meeting.ends_at, _zone(req), language)
    return (
        render_template(
            "portal/booking.html",
            req=req,
            key=key,
            engagement=req.engagement,
            choices=slot_choices(req, language),
            meeting=meeting,
            when=when,
            taken=taken,
            form=FlaskForm(),
            language=language,
        ),
        status,
    )


def _parse(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo("UTC"))


@bp.route("/book/<key>", methods=["GET", "POST"])
@public
@limiter.limit("30 per hour", methods=["POST"])
def book(key: str):
    req = request_for_booking(key)
    if req is None:
        abort(404)
    if request.method == "GET":
        return _page(req, key)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("other_times") is not None:
        wish = (request.form.get("wish") or "").strip()[:1000]
        record_event(req, "other_times", {"message": wish}, actor=None, now=g_now())
        db.session.commit()
        flash(_("Thank you: the team will propose other times."), "success")
        return redirect(url_for(".book", key=key, lang=request.args.get("lang")))
    starts_at = _parse(request.form.get("starts_at"))
    if starts_at is None:
        return _page(req, key, status=422)
    try:
        booked = book_slot(req, starts_at, now=g_now(), by="client")
    except RequestError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _page(db.session.get(MeetingRequest, req.id), key, status=409)
    db.session.commit()
    if booked.taken:
        flash(_("That time was taken a moment ago. Here are times that are free now."), "error")
        return _page(req, key, status=409, taken=True)
    flash(_("Booked. The meeting is on the schedule, and you will find it in your calendar feed."), "success")
    return redirect(url_for(".book", key=key, lang=request.args.get("lang")))


@bp.route("/requests/<int:request_id>/booking", methods=["POST"])
def record_pick(request_id: int):
    """A member records the time the client chose by phone or mail."""
    req = request_for(request_id, "member")
    form = FlaskForm()
    starts_at = _parse(request.form.get("starts_at"))
    if not form.validate_on_submit() or starts_at is None:
        flash(_("Choose one of the proposed times."), "error")
        return redirect(url_for("requests.show", request_id=req.id))
    try:
        booked = book_slot(req, starts_at, now=g_now(), actor=current_user, by="member")
    except RequestError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("requests.show", request_id=req.id))
    db.session.commit()
    if booked.taken:
        flash(_("That time was taken meanwhile; the request now offers times that are free."), "error")
    else:
        flash(_("The meeting is on the schedule."), "success")
    return redirect(url_for("requests.show", request_id=req.id))
