"""Calendar links and two-way CalDAV sync: link, unlink, run a sync, settle conflicts and removals.

``run_sync`` is the one operation that commits by itself: it saves the state of every item as it
goes (in small batches), so a crash half-way leaves state the next run resumes from without a
duplicate on the server. Everything else follows the rule: the caller commits once.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm.exc import StaleDataError

from planner import netguard
from planner.caldav_backend import CalDAVBackend, CalDAVError, CalendarInfo, href_path, resource_name
from planner.config import _instance_secret
from planner.extensions import db
from planner.models import Engagement, Meeting, User
from planner.models.calendars import CalendarLink, SyncConflict, SyncState
from planner.operations.calendar_run import Progress, SyncResult, SyncRun, render_meeting
from planner.operations.schedule import cancel_meeting, update_meeting
from planner.operations.sync_lease import Heartbeat, acquire_lease, lease_owner_id, release_lease
from planner.sync import BadEvent, next_attempt

__all__ = ["Progress", "SyncResult", "render_meeting"]

log = logging.getLogger(__name__)


# -- credentials -----------------------------------------------------------------------------------


def _fernet() -> Fernet:
    key = current_app.config.get("CALDAV_SECRET_KEY")
    if not key:
        # Like SECRET_KEY: generated once into the instance folder (mode 0600) when not configured.
        key = _instance_secret(current_app, "caldav_secret_key", lambda: Fernet.generate_key().decode())
        current_app.config["CALDAV_SECRET_KEY"] = key
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt_password(password: str) -> str:
    """Encrypt a CalDAV password for storage."""
    return _fernet().encrypt(password.encode("utf-8")).decode("ascii") if password else ""


def decrypt_password(secret: str) -> str:
    """Decrypt a stored CalDAV password ("" when it cannot be read with the current key)."""
    if not secret:
        return ""
    try:
        return _fernet().decrypt(secret.encode("ascii")).decode("utf-8")
    except InvalidToken:
        log.warning("a stored CalDAV password cannot be decrypted with the configured key")
        return ""


def backend_for(link: CalendarLink, timeout: float | None = None) -> CalDAVBackend:
    """A backend talking to the link's calendar with its stored credentials."""
    return CalDAVBackend(
        link.server_url,
        link.username,
        decrypt_password(link.secret),
        calendar_url=link.calendar_url,
        timeout=timeout or float(current_app.config.get("CALDAV_TIMEOUT", 20)),
        guard=guard(),
    )


def guard() -> netguard.Policy:
    """The addresses this installation lets a calendar link call (PLANNER_CALDAV_ALLOW_PRIVATE_HOSTS, ...)."""
    return netguard.policy_from(current_app.config)


# -- linking ---------------------------------------------------------------------------------------


def calendars_on_server(url: str, username: str, password: str) -> list[CalendarInfo]:
    """The calendars a user has on a server (raises ``CalDAVError`` with a readable message)."""
    with CalDAVBackend(url, username, password, timeout=15, guard=guard()) as backend:
        return backend.calendars()


def link_calendar(
    engagement: Engagement,
    *,
    url: str,
    username: str,
    password: str,
    calendar_url: str | None = None,
    calendar_name: str | None = None,
    on_cancel: str = "status",
    user: User | None = None,
    now: datetime,
) -> CalendarLink:
    """Link a calendar (an existing one by URL, or a new one created by name) after checking it."""
    with CalDAVBackend(url, username, password, timeout=15, guard=guard()) as backend:
        if calendar_url:
            backend.calendar_url = calendar_url
            backend.ctag()  # proves the address and the credentials before anything is saved
            name = href_path(calendar_url).rstrip("/").rsplit("/", 1)[-1]
            for info in backend.calendars():
                if href_path(info.url).rstrip("/") == href_path(calendar_url).rstrip("/"):
                    name = info.name
        else:
            info = backend.create_calendar(calendar_name or engagement.name)
            calendar_url, name = info.url, info.name
    if not calendar_url.endswith("/"):
        calendar_url += "/"
    link = CalendarLink(
        engagement_id=engagement.id,
        server_url=url,
        username=username,
        secret=encrypt_password(password),
        calendar_url=calendar_url,
        display_name=name[:200],
        on_cancel=on_cancel if on_cancel in ("status", "delete") else "status",
        created_by_id=user.id if user else None,
        created_at=now,
        last_counts="{}",
        failures=0,
    )
    db.session.add(link)
    return link


def unlink_calendar(link: CalendarLink) -> None:
    """Stop syncing with a calendar; its events stay on the server, the meetings stay here."""
    db.session.delete(link)


def update_link(link: CalendarLink, *, on_cancel: str | None = None, password: str | None = None) -> None:
    """Change how cancellations are written, or replace the stored password."""
    if on_cancel in ("status", "delete"):
        link.on_cancel = on_cancel
    if password:
        link.secret = encrypt_password(password)
        link.failures = 0
        link.next_attempt_at = None


# -- the sync run ----------------------------------------------------------------------------------


def run_sync(
    link: CalendarLink,
    *,
    now: datetime,
    progress: Progress | None = None,
    owner: str | None = None,
    backend: CalDAVBackend | None = None,
) -> SyncResult:
    """Sync one link both ways, once; never raises for a calendar problem (see ``result.error``)."""
    owner = owner or lease_owner_id()
    link_id = link.id
    if not acquire_lease(link_id, owner, now):
        return SyncResult(
            link_id=link_id,
            busy=True,
            error="Another sync of this calendar is running.",
            error_code="busy_link",
        )
    db.session.refresh(link)
    own_backend = backend is None
    backend = backend or backend_for(link)
    start_requests = backend.counter.total
    session = db.session()
    expire = session.expire_on_commit
    # Batches commit as they go; keeping the loaded meetings avoids reloading them after each one.
    session.expire_on_commit = False
    session.info["calendar_sync"] = True
    run = SyncRun(link, backend, now, progress)
    # Renewed while this process runs the sync; a killed worker's lease runs out within 30 seconds.
    heartbeat = Heartbeat.start(link_id, owner)
    run.progress = heartbeat.watching(progress)
    crashed = False
    try:
        run.run()
        link.last_success_at = now
        link.last_error = link.last_error_code = link.last_error_params = None
        link.failures = 0
        link.next_attempt_at = None
    except CalDAVError as exc:
        # Items finished before the failure keep their state (each one is consistent on its own).
        run.result.error = str(exc)
        run.result.error_code = exc.code
        run.result.error_params = {k: str(v) for k, v in exc.params.items()}
        run.result.retryable = exc.retry
        link.last_error = str(exc)
        link.last_error_code = exc.code
        link.last_error_params = json.dumps(run.result.error_params, sort_keys=True)
        link.last_error_at = now
        link.failures = (link.failures or 0) + 1
        link.next_attempt_at = next_attempt(link.failures, now)
    except BaseException:
        crashed = True
        db.session.rollback()
        raise
    finally:
        heartbeat.stop()
        session.expire_on_commit = expire
        run.result.requests = backend.counter.total - start_requests
        if own_backend:
            backend.close()
        if not crashed:
            counts = run.result.as_dict()
            counts.pop("error_params", None)
            # What a person should know about the run (a meeting refused, an event left out), a few.
            counts["notes"] = counts["notes"][:10]
            link.last_counts = json.dumps(counts)
            try:
                db.session.commit()
            except StaleDataError:
                db.session.rollback()
        # Only now: what the sync itself changed must not schedule another sync.
        session.info.pop("calendar_sync", None)
        release_lease(link_id, owner)
    return run.result


def links_due(now: datetime) -> list[CalendarLink]:
    """Links whose back-off has passed, for the periodic pull."""
    return list(
        db.session.scalars(
            select(CalendarLink).where(
                or_(CalendarLink.next_attempt_at.is_(None), CalendarLink.next_attempt_at <= now)
            )
        )
    )


# -- settling what sync left for a person ----------------------------------------------------------


def open_conflicts(meeting: Meeting) -> list[SyncConflict]:
    """The unresolved conflict records of a meeting, newest first."""
    return list(
        db.session.scalars(
            select(SyncConflict)
            .where(SyncConflict.meeting_id == meeting.id, SyncConflict.resolved_at.is_(None))
            .order_by(SyncConflict.created_at.desc(), SyncConflict.id.desc())
        )
    )


def take_theirs(conflict: SyncConflict, *, now: datetime) -> bool:
    """Apply the server's version kept in a conflict to the meeting; the next sync pushes it."""
    meeting = conflict.meeting
    engagement = meeting.engagement
    try:
        from planner.ical import vevent_fields
        from planner.sync import first_vevent

        theirs = vevent_fields(first_vevent(conflict.theirs), engagement.timezone)
    except (BadEvent, ValueError):
        theirs = None
    changed = False
    if theirs is not None:
        data: dict = {
            "title": (theirs["title"] or meeting.title)[:200],
            "starts_at": theirs["starts_at"],
            "ends_at": theirs["ends_at"],
            "location": (theirs["location"] or "")[:300],
        }
        description = (theirs["description"] or "").strip()
        if description and description not in (meeting.internal_notes or ""):
            # Purpose, outcome and agenda stay the planner's: the calendar's words go to the notes.
            notes = (meeting.internal_notes or "").rstrip()
            data["internal_notes"] = (notes + "\n\n" if notes else "") + description
        changed = update_meeting(meeting, data, now=now)
        if theirs["status"] == "cancelled":
            changed = cancel_meeting(meeting, now=now) or changed
    conflict.resolved_at = now
    conflict.resolution = "theirs"
    return changed


def keep_ours(conflict: SyncConflict, *, now: datetime) -> None:
    """Dismiss a conflict: the planner's version (already on the server) stays."""
    conflict.resolved_at = now
    conflict.resolution = "ours"


def push_again(state: SyncState, *, now: datetime) -> None:
    """Put a meeting deleted on the server back, under a fresh UID (servers refuse a reused one)."""
    meeting = state.meeting
    state.uid = f"{uuid.uuid4()}@planner"
    state.href = href_path(state.link.calendar_url).rstrip("/") + "/" + resource_name(state.uid)
    state.etag = None
    state.base = None
    state.pushed_hash = None
    state.pushed_sequence = None
    state.removed_on_server = False
    # Put back as an event of its own: the series it came from no longer holds it.
    state.recurrence_id = None
    state.refused = state.refused_detail = None
    state.refused_sequence = None
    state.updated_at = now
    meeting.updated_at = now


def cancel_removed(state: SyncState, *, now: datetime) -> None:
    """Accept a deletion on the server: cancel the meeting here and stop syncing it there."""
    cancel_meeting(state.meeting, now=now)
    db.session.delete(state)


def removed_states(engagement_id: int) -> list[SyncState]:
    """Meetings deleted on a linked calendar and waiting for a person's decision."""
    return list(
        db.session.scalars(
            select(SyncState)
            .join(CalendarLink, SyncState.link_id == CalendarLink.id)
            .where(CalendarLink.engagement_id == engagement_id, SyncState.removed_on_server.is_(True))
        )
    )


def pending_count(link: CalendarLink) -> int:
    """Meetings the calendar has not caught up with yet (never pushed, or changed since)."""
    meetings = db.session.execute(
        select(Meeting.id, Meeting.sequence, Meeting.status).where(
            Meeting.engagement_id == link.engagement_id
        )
    ).all()
    states = {
        s.meeting_id: s for s in db.session.scalars(select(SyncState).where(SyncState.link_id == link.id))
    }
    pending = 0
    for meeting_id, sequence, status in meetings:
        state = states.get(meeting_id)
        if state is None:
            pending += status != "cancelled"
        elif not state.removed_on_server and (state.etag is None or state.pushed_sequence != sequence):
            pending += 1
    return pending


def server_host(url: str) -> str:
    """The host of a server URL, for display (never the credentials)."""
    return urlsplit(url).hostname or url
