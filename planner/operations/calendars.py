"""Calendar links and two-way CalDAV sync: link, unlink, run a sync, settle conflicts and removals.

``run_sync`` is the one operation that commits by itself: it saves the state of every item as it
goes (in small batches), so a crash half-way leaves state the next run resumes from without a
duplicate on the server. Everything else follows the rule: the caller commits once.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from planner import netguard
from planner.caldav_backend import (
    CalDAVBackend,
    CalDAVError,
    CalendarInfo,
    Conflict,
    Fetched,
    href_path,
    resource_name,
)
from planner.config import _instance_secret
from planner.extensions import db
from planner.ical import event_calendar, meeting_to_vevent
from planner.models import Engagement, Meeting, MeetingAttendee, User
from planner.models.calendars import CalendarLink, SyncConflict, SyncState
from planner.models.schedule import new_uid
from planner.operations.schedule import cancel_meeting, create_meeting, update_meeting
from planner.operations.sync_lease import Heartbeat, acquire_lease, lease_owner_id, release_lease
from planner.sync import (
    Action,
    BadEvent,
    ItemPlan,
    Local,
    Remote,
    State,
    event_fields,
    fields_hash,
    full_listing_due,
    next_attempt,
    parse_event,
    plan_item,
    plan_sync,
)

log = logging.getLogger(__name__)

COMMIT_EVERY = 20
Progress = Callable[[int, int], None]


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


@dataclass
class SyncResult:
    """What one run did; ``error`` holds the reason a run stopped, in words."""

    link_id: int
    pushed: int = 0
    pulled: int = 0
    imported: int = 0
    conflicts: int = 0
    removed: int = 0
    deleted: int = 0
    skipped_items: int = 0
    requests: int = 0
    busy: bool = False
    error: str | None = None
    retryable: bool = False
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def render_meeting(meeting: Meeting, uid: str) -> tuple[str, dict[str, str]]:
    """The calendar resource for a meeting (with the UID used on that calendar) and its fields."""
    engagement = meeting.engagement
    vevent = meeting_to_vevent(
        meeting,
        zone=engagement.timezone,
        page_url=None,
        audience="team",
        for_caldav=True,
        language=engagement.language,
    )
    if uid != meeting.uid:
        vevent.pop("UID")
        vevent.add("UID", uid)
    fields = event_fields(vevent, engagement.timezone)
    ics = event_calendar(vevent, engagement.timezone).to_ical().decode("utf-8")
    return ics, fields


def _state_view(state: SyncState) -> State:
    return State(
        meeting_id=state.meeting_id,
        href=state.href,
        etag=state.etag,
        pushed_hash=state.pushed_hash,
        base=state.base_fields,
        removed_on_server=state.removed_on_server,
    )


def _remote(href: str, fetched: Fetched, zone: str) -> Remote:
    try:
        fields = parse_event(fetched.ics, zone)
    except BadEvent:
        fields = None
    return Remote(href=href, etag=fetched.etag, fields=fields, ics=fetched.ics)


class _Run:
    """One sync of one link; holds what the run needs while it walks the plan."""

    def __init__(self, link: CalendarLink, backend: CalDAVBackend, now: datetime, progress: Progress | None):
        self.link = link
        self.backend = backend
        self.now = now
        self.progress = progress
        self.result = SyncResult(link_id=link.id)
        self.engagement = db.session.get(Engagement, link.engagement_id)
        self.zone = self.engagement.timezone
        self.calendar_path = href_path(link.calendar_url)
        if not self.calendar_path.endswith("/"):
            self.calendar_path += "/"
        self.states: dict[int, SyncState] = {}
        self.rendered: dict[int, tuple[str, dict[str, str]]] = {}
        self.meetings: dict[int, Meeting] = {}
        self.since_commit = 0
        self.wrote = False
        self.created: set[str] = set()

    # -- gathering ---------------------------------------------------------------------------------

    def load(self) -> None:
        meetings = db.session.scalars(
            select(Meeting)
            .where(Meeting.engagement_id == self.engagement.id)
            .options(
                selectinload(Meeting.agenda),
                selectinload(Meeting.attendees).selectinload(MeetingAttendee.contact),
                selectinload(Meeting.attendees).selectinload(MeetingAttendee.user),
            )
        ).all()
        self.meetings = {m.id: m for m in meetings}
        states = db.session.scalars(select(SyncState).where(SyncState.link_id == self.link.id)).all()
        self.states = {s.meeting_id: s for s in states}

    def uid_for(self, meeting: Meeting) -> str:
        state = self.states.get(meeting.id)
        return state.uid if state is not None else meeting.uid

    def render(self, meeting: Meeting) -> tuple[str, dict[str, str]]:
        if meeting.id not in self.rendered:
            self.rendered[meeting.id] = render_meeting(meeting, self.uid_for(meeting))
        return self.rendered[meeting.id]

    def local(self, meeting: Meeting, remote_changed: bool) -> Local:
        state = self.states.get(meeting.id)
        cancelled = meeting.status == "cancelled"
        base = state.base_fields if state else None
        if (
            state is not None
            and not remote_changed
            and state.etag
            and state.pushed_hash
            and state.pushed_sequence == meeting.sequence
            and base is not None
            and base.get("tzid") == self.zone
        ):
            # Unchanged since it was pushed (every visible change bumps the sequence): no rendering.
            return Local(meeting.id, base, cancelled=cancelled, known_hash=state.pushed_hash)
        _, fields = self.render(meeting)
        return Local(meeting.id, fields, cancelled=cancelled)

    # -- the run -----------------------------------------------------------------------------------

    def run(self) -> None:
        link = self.link
        full = not link.sync_token or full_listing_due(link.last_full_listing_at, self.now)
        changes = self.backend.changes_since(None if full else link.sync_token)
        self.load()
        by_href = {s.href: s for s in self.states.values()}
        wanted = [
            href
            for href, etag in changes.changed.items()
            if by_href.get(href) is None or by_href[href].etag != etag
        ]
        deleted = set(changes.deleted)
        if changes.full:
            deleted |= {s.href for s in self.states.values() if s.etag and s.href not in changes.changed}
        fetched = self.backend.multiget(wanted) if wanted else {}
        remotes = {href: _remote(href, item, self.zone) for href, item in fetched.items()}
        changed_meetings = {by_href[h].meeting_id for h in remotes if h in by_href}
        locals_ = [self.local(m, m.id in changed_meetings) for m in self.meetings.values()]
        uid_index = {self.uid_for(m): m.id for m in self.meetings.values()}
        plans = plan_sync(
            locals_,
            [_state_view(s) for s in self.states.values()],
            remotes,
            deleted,
            on_cancel=link.on_cancel,
            uid_to_meeting=uid_index,
        )
        work = [p for p in plans if p.action not in (Action.NOTHING,)]
        total = len(work)
        if self.progress:
            self.progress(0, total)
        for done, plan in enumerate(work, start=1):
            remote = remotes.get(plan.href) if plan.href else None
            self.execute(plan, remote)
            self.since_commit += 1
            if self.since_commit >= COMMIT_EVERY:
                self.commit()
            if self.progress:
                self.progress(done, total)
        # Only now is everything the token covers handled: a crash before here replays it.
        token = changes.token
        if token and self.wrote:
            token = self.settle(token)
        if token:
            link.sync_token = token
        if changes.full:
            link.last_full_listing_at = self.now
        self.commit()

    def settle(self, token: str) -> str | None:
        """After our writes, move the token past them, unless something else happened meanwhile.

        A resource created after a token and deleted before the next one is in neither listing,
        so the resources we created are checked here, while we still know them.
        """
        after = self.backend.changes_since(token)
        by_href = {s.href: s for s in self.states.values()}
        quiet = True
        for href, etag in after.changed.items():
            state = by_href.get(href)
            if state is None or state.etag != etag:
                quiet = False
        for href in after.deleted:
            if href in by_href:
                quiet = False
        for href in self.created:
            state = by_href.get(href)
            if href not in after.changed and state is not None and state.etag:
                self.mark_removed(state.meeting, state)
        return after.token if quiet else token

    def commit(self) -> None:
        self.since_commit = 0
        try:
            db.session.commit()
        except StaleDataError:
            # Someone edited a meeting while we pulled into it: theirs stays; the next run redoes it.
            db.session.rollback()
            self.result.notes.append("a meeting changed during the sync; it will be synced next time")
            self.load()

    # -- one item ----------------------------------------------------------------------------------

    def execute(self, plan: ItemPlan, remote: Remote | None, retried: bool = False) -> None:
        action = plan.action
        if action == Action.IMPORT:
            self.import_event(plan, remote)
            return
        if action == Action.SKIP:
            self.result.skipped_items += 1
            if plan.reason.startswith("unreadable"):
                self.result.notes.append(f"unreadable event on the server: {plan.href}")
            return
        meeting = self.meetings.get(plan.meeting_id) if plan.meeting_id else None
        if meeting is None:
            return
        state = self.states.get(meeting.id)
        try:
            if action == Action.CREATE:
                self.create(meeting, state)
            elif action == Action.UPDATE:
                self.update(meeting, state, plan, remote)
            elif action == Action.ADOPT:
                self.adopt(meeting, state, plan, remote)
            elif action == Action.DELETE:
                self.delete(meeting, state, remote)
            elif action == Action.MARK_REMOVED:
                self.mark_removed(meeting, state)
            elif action == Action.FORGET and state is not None:
                db.session.delete(state)
                self.states.pop(meeting.id, None)
        except Conflict:
            if retried:
                self.result.skipped_items += 1
                self.result.notes.append(f"'{meeting.title}' changed again during the sync; next run")
                return
            self.replan(meeting, retried=True)

    def replan(self, meeting: Meeting, retried: bool) -> None:
        """A conditional write failed: look at the server again and decide once more."""
        state = self.states.get(meeting.id)
        href = state.href if state else self.href_for(meeting)
        fetched = self.backend.get(href)
        if fetched is None:
            if state is not None and state.etag:
                self.mark_removed(meeting, state)
            elif state is not None:
                state.etag = None
            return
        remote = _remote(href, fetched, self.zone)
        self.rendered.pop(meeting.id, None)
        plan = plan_item(
            self.local(meeting, True),
            _state_view(state) if state else None,
            remote,
            on_cancel=self.link.on_cancel,
        )
        if plan.action != Action.NOTHING:
            self.execute(plan, remote, retried=retried)

    def href_for(self, meeting: Meeting) -> str:
        return self.calendar_path + resource_name(self.uid_for(meeting))

    def save_state(
        self, meeting: Meeting, state: SyncState | None, href: str, etag: str | None, fields: dict[str, str]
    ) -> SyncState:
        if state is None:
            state = SyncState(
                link_id=self.link.id, meeting_id=meeting.id, uid=self.uid_for(meeting), href=href
            )
            db.session.add(state)
            self.states[meeting.id] = state
        state.href = href
        state.etag = etag
        state.base = json.dumps(fields, sort_keys=True)
        state.pushed_hash = fields_hash(fields)
        state.pushed_sequence = meeting.sequence
        state.removed_on_server = False
        state.updated_at = self.now
        return state

    def create(self, meeting: Meeting, state: SyncState | None) -> None:
        href = state.href if state is not None else self.href_for(meeting)
        ics, fields = self.render(meeting)
        written = self.backend.create(href, ics)
        self.wrote = True
        if written.created:
            self.created.add(written.href)
            state = self.save_state(meeting, state, written.href, written.etag, fields)
            state.schedule_tag = written.schedule_tag
            self.result.pushed += 1
            return
        # Already there: a create whose reply was lost, or a crash before its state was saved.
        if state is None:
            state = SyncState(
                link_id=self.link.id, meeting_id=meeting.id, uid=self.uid_for(meeting), href=href, etag=None
            )
            db.session.add(state)
            self.states[meeting.id] = state
        raise Conflict("already on the server")

    def update(
        self, meeting: Meeting, state: SyncState | None, plan: ItemPlan, remote: Remote | None
    ) -> None:
        if state is None:
            return
        self.take(meeting, plan)
        if plan.conflicts and remote is not None:
            self.record_conflict(meeting, plan.conflicts, remote.ics)
        ics, fields = self.render(meeting)
        etag = remote.etag if remote is not None else state.etag
        if etag is None:
            raise Conflict("no etag known")
        written = self.backend.update(state.href, ics, etag, state.schedule_tag if remote is None else None)
        self.wrote = True
        state = self.save_state(meeting, state, state.href, written.etag, fields)
        state.schedule_tag = written.schedule_tag
        self.result.pushed += 1

    def adopt(self, meeting: Meeting, state: SyncState | None, plan: ItemPlan, remote: Remote | None) -> None:
        if remote is None or remote.fields is None:
            return
        self.take(meeting, plan)
        _, fields = self.render(meeting)
        state = self.save_state(meeting, state, remote.href, remote.etag, dict(remote.fields))
        # What the planner would push now: equal to the server's unless the generator moved on.
        state.pushed_hash = fields_hash(fields)

    def take(self, meeting: Meeting, plan: ItemPlan) -> None:
        if not plan.take:
            return
        data: dict = {}
        if "start" in plan.take:
            data["starts_at"] = _parse_instant(plan.take["start"])
            data["ends_at"] = _parse_instant(plan.take.get("end") or plan.take["start"])
        if "location" in plan.take:
            data["location"] = plan.take["location"]
        if data and update_meeting(meeting, data, now=self.now):
            self.result.pulled += 1
        self.rendered.pop(meeting.id, None)

    def delete(self, meeting: Meeting, state: SyncState | None, remote: Remote | None) -> None:
        if state is None:
            return
        self.backend.delete(state.href, remote.etag if remote else state.etag)
        self.wrote = True
        db.session.delete(state)
        self.states.pop(meeting.id, None)
        self.result.deleted += 1

    def mark_removed(self, meeting: Meeting, state: SyncState | None) -> None:
        if state is None:
            return
        state.removed_on_server = True
        state.etag = None
        state.updated_at = self.now
        self.result.removed += 1

    def record_conflict(self, meeting: Meeting, groups: tuple[str, ...], theirs: str) -> None:
        open_same = db.session.scalar(
            select(SyncConflict).where(
                SyncConflict.meeting_id == meeting.id,
                SyncConflict.link_id == self.link.id,
                SyncConflict.resolved_at.is_(None),
                SyncConflict.theirs == theirs,
            )
        )
        if open_same is not None:
            return
        db.session.add(
            SyncConflict(
                meeting_id=meeting.id,
                link_id=self.link.id,
                fields=json.dumps(list(groups)),
                theirs=theirs,
                created_at=self.now,
            )
        )
        self.result.conflicts += 1

    def import_event(self, plan: ItemPlan, remote: Remote | None) -> None:
        if remote is None or remote.fields is None:
            return
        from planner.ical import vevent_fields
        from planner.sync import first_vevent

        parsed = vevent_fields(first_vevent(remote.ics), self.zone)
        if parsed["recurring"]:
            # One meeting cannot stand for a series; say so instead of importing its first date.
            self.result.skipped_items += 1
            self.result.notes.append(f"repeating event not imported: {parsed['title'] or remote.href}")
            return
        uid = remote.fields["uid"]
        taken = db.session.scalar(select(Meeting.id).where(Meeting.uid == uid))
        data = {
            "title": (parsed["title"] or "(untitled)")[:200],
            "purpose": "",
            "purpose_missing": True,
            "starts_at": parsed["starts_at"],
            "ends_at": max(parsed["ends_at"], parsed["starts_at"]),
            "location": (parsed["location"] or "")[:300],
            "status": "tentative" if parsed["status"] == "tentative" else "confirmed",
            "kind": "other",
            # The server's description is not ours to own; keep it where the team can read it.
            "internal_notes": parsed["description"] or "",
            "uid": new_uid() if taken else uid,
        }
        meeting = create_meeting(self.engagement, data, now=self.now)
        db.session.flush()
        self.meetings[meeting.id] = meeting
        state = SyncState(link_id=self.link.id, meeting_id=meeting.id, uid=uid, href=remote.href)
        db.session.add(state)
        self.states[meeting.id] = state
        self.save_state(meeting, state, remote.href, remote.etag, dict(remote.fields))
        # Nothing to push until someone edits the meeting: then the planner's version goes out.
        _, fields = self.render(meeting)
        state.pushed_hash = fields_hash(fields)
        self.result.imported += 1


def _parse_instant(value: str) -> datetime:
    if len(value) == 10:
        # An all-day value: midnight UTC keeps the date; the engagement's zone is applied on import.
        return datetime.fromisoformat(value + "T00:00:00+00:00")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


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
        return SyncResult(link_id=link_id, busy=True, error="Another sync of this calendar is running.")
    db.session.refresh(link)
    own_backend = backend is None
    backend = backend or backend_for(link)
    start_requests = backend.counter.total
    session = db.session()
    expire = session.expire_on_commit
    # Batches commit as they go; keeping the loaded meetings avoids reloading them after each one.
    session.expire_on_commit = False
    session.info["calendar_sync"] = True
    run = _Run(link, backend, now, progress)
    # Renewed while this process runs the sync; a killed worker's lease runs out within a minute.
    heartbeat = Heartbeat.start(link_id, owner)
    run.progress = heartbeat.watching(progress)
    crashed = False
    try:
        run.run()
        link.last_success_at = now
        link.last_error = None
        link.failures = 0
        link.next_attempt_at = None
    except CalDAVError as exc:
        # Items finished before the failure keep their state (each one is consistent on its own).
        run.result.error = str(exc)
        run.result.retryable = exc.retry
        link.last_error = str(exc)
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
            counts.pop("notes", None)
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
