"""Meeting requests: the client page's intake, members' log, the decision page, override, apply and reply."""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    after_this_request,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.extensions import db, limiter
from planner.forms.requests import (
    FORMAT_CHOICES,
    REASON_CHOICES,
    IntakeForm,
    LogRequestForm,
    OverrideForm,
    ReplyForm,
)
from planner.fragment_cache import FragmentCache
from planner.mailer import smtp_configured
from planner.models import Meeting, utcnow
from planner.models.requests import MeetingRequest
from planner.operations.feeds import feed_language, find_feed
from planner.operations.request_pages import issue_page_token, request_for_page
from planner.operations.requests import (
    RequestError,
    agenda_item_of,
    apply_decision,
    booking_url,
    commitments_of,
    explanation_of,
    just_received,
    mark_replied,
    notify_team,
    open_requests,
    override,
    request_stats,
    save_reply,
    send_reply,
    submit_request,
    triage_request,
    urgency,
)
from planner.replies.history import event_text
from planner.replies.letters import format_span
from planner.replies.status import unfilled
from planner.web import g_now
from planner.web.access import check_role, engagement_for
from planner.web.formatting import current_language, fmt_datetime
from planner.web.panels import register_panel, register_tab
from planner.web.public import public

log = logging.getLogger(__name__)

bp = Blueprint("requests", __name__)
bp.add_app_template_global(urgency, "request_urgency")

OUTCOME_LABELS = {
    "agenda_item": _l("Agenda item"),
    "call": _l("Call"),
    "email": _l("Answer by mail"),
    "meeting": _l("Meeting of its own"),
}
STATUS_LABELS = {
    "received": _l("Received"),
    "triaged": _l("Decided, not applied"),
    "applied": _l("Applied, reply not sent"),
    "replied": _l("Answered"),
    "failed_triage": _l("Needs a decision"),
}
EVENT_LABELS = {
    "received": _l("Received"),
    "triaged": _l("Triaged"),
    "overridden": _l("Overridden"),
    "applied": _l("Applied"),
    "replied": _l("Replied"),
    "error": _l("Error"),
}


CHANNEL_LABELS = {
    "client_page": _l("the client page"),
    "phone": _l("phone"),
    "email": _l("mail"),
    "chat": _l("chat"),
    "in_person": _l("in person"),
    "api": _l("the API"),
}


def history_text(event, req: MeetingRequest) -> str:
    """An event in the reader's language, written from its kind and data."""
    locale = get_locale()
    return event_text(
        event.kind, event.data, locale.language if locale else "en", zone=req.engagement.timezone
    )


def request_for(request_id: int, role: str = "viewer") -> MeetingRequest:
    """The request, for a member of its engagement with at least `role` (404 for anyone else)."""
    req = db.session.get(MeetingRequest, request_id)
    check_role(req.engagement if req else None, role)
    return req


def _upcoming_meetings(engagement) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.engagement_id == engagement.id,
                Meeting.starts_at > g_now(),
                Meeting.status != "cancelled",
            )
            .order_by(Meeting.starts_at)
            .limit(60)
        )
    )


def _meeting_label(engagement):
    def label(meeting: Meeting) -> str:
        free = _("%(num)d min free", num=meeting.free_minutes)
        return f"{fmt_datetime(meeting.starts_at, engagement)} · {meeting.title} ({free})"

    return label


def mailto_link(req: MeetingRequest) -> str | None:
    """A mailto: link with the reply filled in, for the member's own mail program."""
    if not req.reply_to:
        return None
    query = f"subject={quote(req.reply_subject)}&body={quote(req.reply_body)}"
    return f"mailto:{quote(req.reply_to, safe='@')}?{query}"


def explanation(req: MeetingRequest) -> str:
    """The decision's reasons in words, in the reader's language."""
    locale = get_locale()
    return explanation_of(req, locale.language if locale else "en")


# --- members --------------------------------------------------------------------------------------------


@bp.route("/engagements/<int:engagement_id>/requests")
def index(engagement_id: int):
    engagement = engagement_for(engagement_id)
    recent = db.session.scalars(
        select(MeetingRequest)
        .where(MeetingRequest.engagement_id == engagement.id, MeetingRequest.status == "replied")
        .options(selectinload(MeetingRequest.contact))
        .order_by(MeetingRequest.replied_at.desc())
        .limit(30)
    ).all()
    return render_template(
        "requests/index.html",
        engagement=engagement,
        open_list=open_requests(engagement),
        recent=recent,
        now=g_now(),
        stats=request_stats(engagement),
        outcome_labels=OUTCOME_LABELS,
        status_labels=STATUS_LABELS,
    )


@bp.route("/engagements/<int:engagement_id>/requests/new", methods=["GET", "POST"])
def new(engagement_id: int):
    engagement = engagement_for(engagement_id, "member")
    form = LogRequestForm(meta={"zone": engagement.timezone})
    form.set_contacts(engagement)
    if form.validate_on_submit():
        values, came_by = form.values(), form.received_via.data
        earlier = just_received(engagement, values, received_via=came_by, now=g_now(), actor=current_user)
        if earlier is not None:
            flash(_("This request was logged a moment ago; here it is."), "info")
            return redirect(url_for(".show", request_id=earlier.id))
        try:
            req, _refused = submit_request(
                engagement, values, received_via=came_by, now=g_now(), actor=current_user
            )
        except RequestError as error:
            flash(str(error), "error")
        else:
            flash(_("Request logged and triaged. Review the decision, then apply it and reply."), "success")
            return redirect(url_for(".show", request_id=req.id))
    return render_template("requests/new.html", engagement=engagement, form=form), 400 if form.errors else 200


def _slot_labels(req: MeetingRequest) -> list[tuple[str, str | None]]:
    """Each proposed time in the engagement's zone, and in the contact's when they are elsewhere."""
    engagement = req.engagement
    theirs = req.contact.timezone if req.contact and req.contact.timezone != engagement.timezone else ""
    language = get_locale().language if get_locale() else "en"
    labels = []
    for slot in req.proposed_slots or ():
        start, end = datetime.fromisoformat(slot["starts_at"]), datetime.fromisoformat(slot["ends_at"])
        ours = format_span(start, end, engagement.timezone, language)
        labels.append((ours, format_span(start, end, theirs, language) if theirs else None))
    return labels


def _show(req: MeetingRequest, *, override_form=None, reply_form=None, status: int = 200):
    engagement = req.engagement
    if override_form is None:
        override_form = OverrideForm(
            formdata=None,
            outcome=req.outcome or "call",
            meeting_id=req.meeting_id or 0,
            meta={"zone": engagement.timezone},
        )
    override_form.set_meetings(_upcoming_meetings(engagement), _meeting_label(engagement))
    override_form.set_contacts(engagement.contacts)
    if reply_form is None:
        reply_form = ReplyForm(formdata=None, obj=req)
    return render_template(
        "requests/show.html",
        engagement=engagement,
        req=req,
        explanation=explanation(req),
        slot_labels=_slot_labels(req),
        booking=booking_url(req),
        override_form=override_form,
        reply_form=reply_form,
        action_form=FlaskForm(),
        mailto=mailto_link(req),
        smtp=smtp_configured(current_app.config),
        agenda_item=agenda_item_of(req),
        promises=commitments_of(req),
        outcome_labels=OUTCOME_LABELS,
        status_labels=STATUS_LABELS,
        event_labels=EVENT_LABELS,
        reason_labels=dict(REASON_CHOICES),
        format_labels=dict(FORMAT_CHOICES),
        history_text=history_text,
        channel_labels=CHANNEL_LABELS,
        now=g_now(),
    ), status


@bp.route("/requests/<int:request_id>")
def show(request_id: int):
    return _show(request_for(request_id))


@bp.route("/requests/<int:request_id>/override", methods=["POST"])
def override_view(request_id: int):
    req = request_for(request_id, "member")
    form = OverrideForm(meta={"zone": req.engagement.timezone})
    form.set_meetings(_upcoming_meetings(req.engagement), _meeting_label(req.engagement))
    form.set_contacts(req.engagement.contacts)
    if not form.validate_on_submit():
        return _show(req, override_form=form, status=400)
    try:
        override(
            req,
            outcome=form.outcome.data,
            meeting_id=form.meeting_id.data or None,
            starts_at=form.starts_at.data,
            minutes=form.minutes.data,
            place=form.place.data or "",
            attendee_id=form.attendee_id.data or None,
            actor=current_user,
            now=g_now(),
        )
    except RequestError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".show", request_id=req.id))
    db.session.commit()
    flash(_("Decision changed and reply redrafted. Apply it when it looks right."), "success")
    return redirect(url_for(".show", request_id=req.id))


@bp.route("/requests/<int:request_id>/triage", methods=["POST"])
def retriage(request_id: int):
    req = request_for(request_id, "member")
    if FlaskForm().validate_on_submit():
        try:
            decision = triage_request(req, now=g_now(), actor=current_user)
        except RequestError as error:
            flash(str(error), "error")
            return redirect(url_for(".show", request_id=req.id))
        db.session.commit()
        if decision is None:
            flash(
                _("Triage failed again; the error is in the history. You can still choose an outcome."),
                "error",
            )
        else:
            flash(_("Triaged again with the engagement's current settings and schedule."), "success")
    return redirect(url_for(".show", request_id=req.id))


@bp.route("/requests/<int:request_id>/apply", methods=["POST"])
def apply(request_id: int):
    req = request_for(request_id, "member")
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        meeting = apply_decision(req, actor=current_user, now=g_now())
    except RequestError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".show", request_id=req.id))
    db.session.commit()
    messages = {
        "agenda_item": _("Added to the agenda of “%(title)s”. Calendars will show it.", title=meeting.title)
        if meeting
        else "",
        "call": _("The call is on the schedule as tentative."),
        "meeting": _("The meeting is on the schedule as tentative, with its purpose."),
        "email": _(
            "Noted: this one is answered by mail; the answer is on the commitments, with its due date."
        )
        if req.outcome == "email" and commitments_of(req)
        else _("Noted: this one is answered by mail."),
    }
    flash(messages.get(req.outcome, ""), "success")
    return redirect(url_for(".show", request_id=req.id) + "#reply")


@bp.route("/requests/<int:request_id>/reply", methods=["POST"])
def reply(request_id: int):
    req = request_for(request_id, "member")
    form = ReplyForm()
    if not form.validate_on_submit():
        return _show(req, reply_form=form, status=400)
    action = request.form.get("action", "save")
    save_reply(req, subject=form.reply_subject.data, body=form.reply_body.data, now=g_now())
    # The edits are kept whatever happens to the mail.
    db.session.commit()
    if action in ("send", "mark_replied") and unfilled(req.reply_body):
        # The status summary's line for the overall status and key risks is still to be written.
        flash(
            _("Write the overall status and key risks first: the marked line is still in the reply."), "error"
        )
        return redirect(url_for(".show", request_id=req.id) + "#reply")
    if action == "send":
        if send_reply(req, current_app.config, actor=current_user, now=g_now()):
            flash(_("Reply sent to %(to)s.", to=req.reply_to), "success")
        else:
            flash(
                _("The reply could not be sent; the reason is in the history. Your text is saved."), "error"
            )
        db.session.commit()
    elif action == "mark_replied":
        mark_replied(req, actor=current_user, now=g_now(), how="own_mail")
        db.session.commit()
        flash(_("Marked as answered."), "success")
    else:
        flash(_("Reply saved."), "success")
    return redirect(url_for(".show", request_id=req.id) + "#reply")


# --- the client page ------------------------------------------------------------------------------------


def _notify_after_response(request_id: int) -> None:
    """Mail the team about a client's request once the client has their answer (when SMTP is set up)."""
    app = current_app._get_current_object()
    if not smtp_configured(app.config):
        return
    base = app.config.get("PUBLIC_URL") or request.url_root
    link = base.rstrip("/") + url_for(".show", request_id=request_id)

    def run() -> None:
        with app.app_context():
            try:
                req = db.session.get(MeetingRequest, request_id)
                if req is not None:
                    notify_team(req, app.config, link=link, now=utcnow())
                    db.session.commit()
            except Exception:  # noqa: BLE001 - the client already has their answer; log and move on
                db.session.rollback()
                log.exception("could not tell the team about request %s", request_id)
            finally:
                db.session.remove()

    @after_this_request
    def later(response):
        response.call_on_close(run)
        return response


def _feed_or_404(token: str):
    """The active feed link behind a client page token; 404 for an unknown or revoked one."""
    feed = find_feed(token)
    if feed is None:
        abort(404)
    return feed


def _client_locale(feed) -> None:
    """Speak as the client page does: the contact's language, else the engagement's."""
    g.locale = feed_language(feed) or feed.engagement.language


def _intake_limit() -> str:
    return current_app.config.get("REQUEST_INTAKE_LIMIT", "10 per hour;30 per day")


@bp.route("/s/<token>/request", methods=["GET", "POST"])
@public
@limiter.limit(_intake_limit, methods=["POST"])
def intake(token: str):
    feed = _feed_or_404(token)
    _client_locale(feed)
    engagement = feed.engagement
    form = IntakeForm(meta={"zone": engagement.timezone})
    if form.validate_on_submit():
        values = form.values()
        if feed.contact_id:
            # A contact's own link: the request is theirs, whoever's name was typed.
            values["contact_id"] = feed.contact_id
        # Sent twice (a double click, the back button): the thank-you page of the request already received.
        req = just_received(engagement, values, received_via="client_page", now=g_now(), feed_id=feed.id)
        if req is None:
            req, _refused = submit_request(
                engagement, values, received_via="client_page", now=g_now(), feed_id=feed.id
            )
            page = issue_page_token(req)
            db.session.commit()
            _remember_page(req.id, page)
            _notify_after_response(req.id)
        page = session.get(PAGES, {}).get(str(req.id))
        if page is None:
            # Sent again from another browser: its page link stays with whoever sent it first.
            return _thanks_page(feed, token, req, page_url=None)
        return redirect(url_for(".thanks", token=token, page=page))
    if request.method == "GET":
        _prefill(form, feed.contact)
    return render_template(
        "portal/request_page.html", feed=feed, engagement=engagement, token=token, intake=form
    ), 400 if form.errors else 200


# The page links of the requests this browser sent, in its own (signed) session cookie: a double click finds
# its page again, and nobody else's browser ever holds them.
PAGES = "request_pages"


def _remember_page(request_id: int, page: str) -> None:
    pages = dict(list(session.get(PAGES, {}).items())[-4:])
    pages[str(request_id)] = page
    session[PAGES] = pages


def _thanks_page(feed, token: str, req: MeetingRequest, *, page_url: str | None):
    response = make_response(
        render_template(
            "portal/request_thanks.html",
            feed=feed,
            engagement=feed.engagement,
            token=token,
            req=req,
            page_url=page_url,
            reason_labels=dict(REASON_CHOICES),
        )
    )
    # The address is the only key to this page: no cache keeps a copy, no other site sees it as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/s/<token>/request/<page>")
@public
def thanks(token: str, page: str):
    """The sender's own page of a request: only its secret link opens it, never a number."""
    feed = _feed_or_404(token)
    _client_locale(feed)
    req = request_for_page(feed, page)
    if req is None:
        abort(404)
    return _thanks_page(feed, token, req, page_url=request.base_url)


def new_intake_form(engagement) -> IntakeForm:
    """An empty intake form for the client page."""
    return IntakeForm(formdata=None, meta={"zone": engagement.timezone})


def _prefill(form: IntakeForm, contact) -> None:
    """A contact's own link: who is asking is known already."""
    if contact is not None:
        form.requester_name.data = contact.name
        form.requester_email.data = contact.email


@bp.app_template_global("intake_fields")
def intake_fields(engagement, contact=None) -> Markup:
    """The empty form's fields, rendered once per zone and language; the CSRF token stays outside.

    A contact's own link gets its name and address filled in, rendered for that page alone.
    """
    if contact is not None:
        form = new_intake_form(engagement)
        _prefill(form, contact)
        return Markup(render_template("portal/_request_fields.html", f=form, engagement=engagement))  # noqa: S704
    fragments = current_app.extensions.setdefault("intake_fragments", FragmentCache())
    html = fragments.get_or_render(
        (engagement.id, current_language()),
        (engagement.timezone, engagement.created_at),
        lambda: render_template(
            "portal/_request_fields.html", f=new_intake_form(engagement), engagement=engagement
        ),
    )
    return Markup(html)  # noqa: S704 - a rendered, autoescaped template


# --- the engagement page --------------------------------------------------------------------------------


def _engagement_panel(engagement, now) -> dict:
    applied = db.session.scalars(
        select(MeetingRequest)
        .where(MeetingRequest.engagement_id == engagement.id, MeetingRequest.applied_at.is_not(None))
        .options(selectinload(MeetingRequest.meeting))
        .order_by(MeetingRequest.applied_at.desc())
        .limit(3)
    ).all()
    return {
        "position": "side",
        "open_list": open_requests(engagement, limit=6),
        "now": now,
        "stats": request_stats(engagement),
        "applied": applied,
        "outcome_labels": OUTCOME_LABELS,
        "status_labels": STATUS_LABELS,
    }


register_panel("engagement", "requests", "requests/_panel.html", _engagement_panel, order=15)
register_tab("requests.index", _l("Requests"), order=25)
