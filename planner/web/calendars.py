"""Linked CalDAV calendars: link, status, sync now, settings; conflicts and removals on meetings."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from planner.broker import broker_down
from planner.caldav_backend import CalDAVError
from planner.calendar_texts import refusal_text, sync_error_text, sync_note_text
from planner.extensions import db
from planner.forms.calendars import NEW_CALENDAR, ChooseCalendarForm, LinkSettingsForm, ServerForm
from planner.models import CalendarLink, Meeting, SyncConflict, SyncState
from planner.operations.calendars import (
    calendars_on_server,
    cancel_removed,
    decrypt_password,
    encrypt_password,
    keep_ours,
    link_calendar,
    open_conflicts,
    pending_count,
    push_again,
    removed_states,
    take_theirs,
    unlink_calendar,
    update_link,
)
from planner.operations.sync_lease import lease_held
from planner.tasks import PROGRESS, broker_configured, enqueue_sync, run_after_response
from planner.web import g_now
from planner.web.access import check_role, engagement_for, meeting_for
from planner.web.panels import register_panel, register_tab

bp = Blueprint("calendars", __name__)
bp.after_app_request(run_after_response)

PENDING = "caldav_pending"
QUEUE_DOWN = _l(
    "The job queue cannot be reached at the moment. Your changes are saved; "
    "the calendar is synced by itself once the queue is back."
)
GROUP_LABELS = {
    "time": _l("time"),
    "location": _l("place"),
    "title": _l("title"),
    "description": _l("description"),
    "status": _l("status (cancelled in the calendar)"),
    "unreadable": _l("unreadable event"),
}


def _link_for(link_id: int, role: str = "viewer") -> CalendarLink:
    link = db.session.get(CalendarLink, link_id)
    check_role(link.engagement if link else None, role)
    return link


def _status(link: CalendarLink, now: datetime) -> dict:
    conflicts = db.session.scalar(
        select(func.count(SyncConflict.id)).where(
            SyncConflict.link_id == link.id, SyncConflict.resolved_at.is_(None)
        )
    )
    removed = db.session.scalar(
        select(func.count(SyncState.id)).where(
            SyncState.link_id == link.id, SyncState.removed_on_server.is_(True)
        )
    )
    running = lease_held(link, now)
    refused = db.session.scalars(
        select(SyncState).where(SyncState.link_id == link.id, SyncState.refused.is_not(None)).limit(20)
    ).all()
    return {
        "link": link,
        "error": link_error_text(link),
        "refused": [(state, refusal_text(state.refused, state.refused_detail)) for state in refused],
        "pending": pending_count(link),
        "conflicts": conflicts or 0,
        "removed": removed or 0,
        "running": running,
        "progress": PROGRESS.get(link.id),
        "counts": link.counts,
        "notes": [sync_note_text(note) for note in link.counts.get("notes", []) if isinstance(note, dict)],
    }


def link_error_text(link: CalendarLink) -> str | None:
    """The link's last error in the reader's language."""
    if not link.last_error:
        return None
    return sync_error_text(link.last_error_code, link.error_params, fallback=link.last_error)


# ---- the link page ---------------------------------------------------------------------------


@bp.route("/engagements/<int:engagement_id>/calendars")
def index(engagement_id: int):
    """Linked calendars with their status, and the form to link another."""
    engagement = engagement_for(engagement_id)
    return _render_index(engagement, ServerForm())


def _render_index(engagement, form: ServerForm, status_code: int = 200):
    now = g_now()
    links = db.session.scalars(
        select(CalendarLink).where(CalendarLink.engagement_id == engagement.id).order_by(CalendarLink.id)
    ).all()
    statuses = [_status(link, now) for link in links]
    return (
        render_template(
            "calendars/index.html",
            engagement=engagement,
            statuses=statuses,
            form=form,
            running=any(s["running"] for s in statuses),
            queue_down=broker_configured() and broker_down(),
        ),
        status_code,
    )


@bp.route("/engagements/<int:engagement_id>/calendars/connect", methods=["POST"])
def connect(engagement_id: int):
    """Step 1: sign in to the server and list its calendars (the password is kept encrypted)."""
    engagement = engagement_for(engagement_id, "member")
    form = ServerForm()
    if not form.validate_on_submit():
        return _render_index(engagement, form, 400)
    try:
        found = calendars_on_server(form.url.data.strip(), form.username.data or "", form.password.data or "")
    except CalDAVError as exc:
        form.url.errors.append(sync_error_text(exc.code, exc.params, fallback=str(exc)))
        return _render_index(engagement, form, 400)
    session[PENDING] = {
        "engagement_id": engagement.id,
        "url": form.url.data.strip(),
        "username": form.username.data or "",
        "secret": encrypt_password(form.password.data or ""),
        "calendars": [[info.url, info.name] for info in found][:50],
    }
    return redirect(url_for("calendars.choose", engagement_id=engagement.id))


def _pending(engagement_id: int) -> dict | None:
    pending = session.get(PENDING)
    if not pending or pending.get("engagement_id") != engagement_id:
        return None
    return pending


@bp.route("/engagements/<int:engagement_id>/calendars/choose", methods=["GET", "POST"])
def choose(engagement_id: int):
    """Step 2: pick a calendar found on the server, or have a new one created."""
    engagement = engagement_for(engagement_id, "member")
    pending = _pending(engagement.id)
    if pending is None:
        flash(_("Enter the server details first."), "info")
        return redirect(url_for("calendars.index", engagement_id=engagement.id))
    form = ChooseCalendarForm()
    form.set_calendars(pending["calendars"])
    if not pending["calendars"] and form.calendar_url.data is None:
        form.calendar_url.data = NEW_CALENDAR
    if not form.calendar_name.data:
        form.calendar_name.data = engagement.name
    if form.validate_on_submit():
        new = form.calendar_url.data == NEW_CALENDAR
        try:
            link = link_calendar(
                engagement,
                url=pending["url"],
                username=pending["username"],
                password=decrypt_password(pending["secret"]),
                calendar_url=None if new else form.calendar_url.data,
                calendar_name=form.calendar_name.data.strip() if new else None,
                on_cancel=form.on_cancel.data,
                user=current_user,
                now=g_now(),
            )
        except CalDAVError as exc:
            db.session.rollback()
            flash(sync_error_text(exc.code, exc.params, fallback=str(exc)), "error")
        else:
            db.session.commit()
            session.pop(PENDING, None)
            enqueue_sync(link.id)
            flash(_("Calendar linked. The first sync has started."), "success")
            return redirect(url_for("calendars.index", engagement_id=engagement.id))
    status = 400 if form.errors else 200
    return render_template(
        "calendars/choose.html", engagement=engagement, form=form, server=pending["url"]
    ), status


@bp.route("/calendar-links/<int:link_id>/sync", methods=["POST"])
def sync_now(link_id: int):
    """Start a sync without waiting for it; the page shows its progress."""
    link = _link_for(link_id, "member")
    if lease_held(link, g_now()):
        flash(_("A sync of this calendar is already running."), "info")
    elif enqueue_sync(link.id) is None and broker_configured():
        flash(str(QUEUE_DOWN), "warning")
    else:
        flash(_("Sync started. This page updates until it is done."), "success")
    return redirect(url_for("calendars.index", engagement_id=link.engagement_id))


@bp.route("/calendar-links/<int:link_id>/settings", methods=["POST"])
def settings(link_id: int):
    """Change how cancellations are written, or the stored password."""
    link = _link_for(link_id, "member")
    form = LinkSettingsForm()
    if form.validate_on_submit():
        update_link(link, on_cancel=form.on_cancel.data, password=form.password.data or None)
        db.session.commit()
        flash(_("Calendar settings saved."), "success")
    else:
        flash(_("The settings were not valid; nothing was changed."), "error")
    return redirect(url_for("calendars.index", engagement_id=link.engagement_id))


@bp.route("/calendar-links/<int:link_id>/delete", methods=["POST"])
def unlink(link_id: int):
    """Stop syncing; the events stay in the calendar and the meetings stay here."""
    link = _link_for(link_id, "member")
    engagement_id = link.engagement_id
    unlink_calendar(link)
    db.session.commit()
    flash(_("The calendar is no longer linked. Its events stay where they are."), "success")
    return redirect(url_for("calendars.index", engagement_id=engagement_id))


# ---- settling conflicts and removals on the meeting page ------------------------------------------


def _conflict_for(meeting_id: int, conflict_id: int) -> SyncConflict:
    meeting = meeting_for(meeting_id, "member")
    conflict = db.session.get(SyncConflict, conflict_id)
    if conflict is None or conflict.meeting_id != meeting.id or conflict.resolved_at is not None:
        abort(404)
    return conflict


@bp.route("/meetings/<int:meeting_id>/calendar-conflicts/<int:conflict_id>/theirs", methods=["POST"])
def conflict_theirs(meeting_id: int, conflict_id: int):
    """Take the calendar's version: the meeting changes here and the calendar follows."""
    conflict = _conflict_for(meeting_id, conflict_id)
    take_theirs(conflict, now=g_now())
    db.session.commit()
    flash(_("The calendar's version was taken."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


@bp.route("/meetings/<int:meeting_id>/calendar-conflicts/<int:conflict_id>/ours", methods=["POST"])
def conflict_ours(meeting_id: int, conflict_id: int):
    """Keep the planner's version (it is already in the calendar) and close the record."""
    conflict = _conflict_for(meeting_id, conflict_id)
    keep_ours(conflict, now=g_now())
    db.session.commit()
    flash(_("The planner's version was kept."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


def _removed_for(meeting_id: int, state_id: int) -> SyncState:
    meeting = meeting_for(meeting_id, "member")
    state = db.session.get(SyncState, state_id)
    if state is None or state.meeting_id != meeting.id or not state.removed_on_server:
        abort(404)
    return state


@bp.route("/meetings/<int:meeting_id>/calendar-removals/<int:state_id>/push", methods=["POST"])
def removal_push(meeting_id: int, state_id: int):
    """Put the meeting back into the calendar it was deleted from."""
    state = _removed_for(meeting_id, state_id)
    link_id = state.link_id
    push_again(state, now=g_now())
    db.session.commit()
    enqueue_sync(link_id)
    flash(_("The meeting will be put back into the calendar."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


@bp.route("/meetings/<int:meeting_id>/calendar-removals/<int:state_id>/cancel", methods=["POST"])
def removal_cancel(meeting_id: int, state_id: int):
    """Accept the deletion: cancel the meeting here too."""
    state = _removed_for(meeting_id, state_id)
    cancel_removed(state, now=g_now())
    db.session.commit()
    flash(_("The meeting is cancelled."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


# ---- panels and tab ---------------------------------------------------------------------------


def _meeting_panel(meeting: Meeting, now: datetime) -> dict | None:
    conflicts = open_conflicts(meeting)
    removed = list(
        db.session.scalars(
            select(SyncState).where(SyncState.meeting_id == meeting.id, SyncState.removed_on_server.is_(True))
        )
    )
    refused = [
        (state, refusal_text(state.refused, state.refused_detail))
        for state in db.session.scalars(
            select(SyncState).where(SyncState.meeting_id == meeting.id, SyncState.refused.is_not(None))
        )
    ]
    if not conflicts and not removed and not refused:
        return None
    described = [
        (c, ", ".join(str(GROUP_LABELS.get(f, f)) for f in c.field_list), _theirs_summary(c, meeting))
        for c in conflicts
    ]
    return {"conflicts": described, "removed": removed, "refused": refused, "position": "top"}


def _theirs_summary(conflict: SyncConflict, meeting: Meeting) -> list[tuple[str, str]]:
    """The calendar's values of the fields in conflict, as a person reads them."""
    from planner.ical import vevent_fields
    from planner.sync import BadEvent, first_vevent
    from planner.web.formatting import fmt_datetime, fmt_time

    engagement = meeting.engagement
    try:
        theirs = vevent_fields(first_vevent(conflict.theirs), engagement.timezone)
    except (BadEvent, ValueError):
        return []
    rows: list[tuple[str, str]] = []
    for group in conflict.field_list:
        if group == "time":
            when = (
                f"{fmt_datetime(theirs['starts_at'], engagement)}–{fmt_time(theirs['ends_at'], engagement)}"
            )
            rows.append((_("Time"), when))
        elif group == "location":
            rows.append((_("Place"), theirs["location"] or "—"))
        elif group == "title":
            rows.append((_("Title"), theirs["title"] or "—"))
        elif group == "description":
            rows.append((_("Description"), theirs["description"] or "—"))
        elif group == "status":
            rows.append((_("Status"), theirs["status"]))
    return rows


def _engagement_panel(engagement, now: datetime) -> dict | None:
    """Only when a person has something to do: a failing calendar, a deletion, a conflict."""
    failing = list(
        db.session.scalars(
            select(CalendarLink).where(
                CalendarLink.engagement_id == engagement.id, CalendarLink.last_error.is_not(None)
            )
        )
    )
    removed = removed_states(engagement.id)[:10]
    conflicts = list(
        db.session.scalars(
            select(SyncConflict)
            .join(CalendarLink, SyncConflict.link_id == CalendarLink.id)
            .where(CalendarLink.engagement_id == engagement.id, SyncConflict.resolved_at.is_(None))
            .order_by(SyncConflict.id.desc())
            .limit(10)
        )
    )
    refused = list(
        db.session.scalars(
            select(SyncState)
            .join(CalendarLink, SyncState.link_id == CalendarLink.id)
            .where(CalendarLink.engagement_id == engagement.id, SyncState.refused.is_not(None))
            .limit(10)
        )
    )
    if not (failing or removed or conflicts or refused):
        return None
    return {
        "failing": [(link, link_error_text(link)) for link in failing],
        "removed": removed,
        "conflicts": conflicts,
        "refused": refused,
        "position": "side",
    }


register_tab("calendars.index", _l("Calendar sync"), order=65)
register_panel("engagement", "calendar_sync", "calendars/_engagement_panel.html", _engagement_panel, order=20)
register_panel("meeting", "calendar_sync", "calendars/_meeting_panel.html", _meeting_panel, order=5)
