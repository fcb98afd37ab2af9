"""One sync run of one calendar link: walk the plan, write what must be written, save state as it goes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from planner.caldav_backend import (
    CalDAVBackend,
    Conflict,
    EventRefused,
    Fetched,
    UidTaken,
    href_path,
    resource_name,
)
from planner.extensions import db
from planner.ical import event_calendar, meeting_to_vevent
from planner.models import Engagement, Meeting, MeetingAttendee
from planner.models.calendars import CalendarLink, SyncConflict, SyncState
from planner.operations.calendar_elsewhere import ElsewhereMixin
from planner.operations.calendar_series import (
    SeriesWrite,
    kept_people,
    parse_instant,
    remote_of,
    state_view,
    uid_refusal,
)
from planner.operations.schedule import update_meeting
from planner.sync import (
    OCCURRENCE_MARK,
    Action,
    ItemPlan,
    Local,
    Remote,
    event_fields,
    fields_hash,
    full_listing_due,
    is_occurrence,
    plan_item,
    plan_sync,
)

COMMIT_EVERY = 20
Progress = Callable[[int, int], None]


@dataclass
class SyncResult:
    """What one run did; ``error`` is why a run stopped (English, for logs), ``error_code`` for the pages.

    ``notes`` are ``{"code": ..., **params}``: meetings the server refused, events not imported.
    """

    link_id: int
    pushed: int = 0
    pulled: int = 0
    imported: int = 0
    conflicts: int = 0
    removed: int = 0
    deleted: int = 0
    refused: int = 0
    skipped_items: int = 0
    requests: int = 0
    busy: bool = False
    error: str | None = None
    error_code: str | None = None
    error_params: dict = field(default_factory=dict)
    retryable: bool = False
    notes: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def note(self, code: str, **params: object) -> None:
        self.notes.append({"code": code, **{k: str(v) for k, v in params.items()}})


def render_meeting(meeting: Meeting, uid: str, kept: str | None = None) -> tuple[str, dict[str, str]]:
    """The calendar resource for a meeting (with the UID used on that calendar) and its fields.

    ``kept`` holds the ORGANIZER and ATTENDEEs of an event made elsewhere: written back (with
    ``SCHEDULE-AGENT=CLIENT``) where the meeting has none of its own.
    """
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
    for name, values in kept_people(kept).items():
        if name not in vevent:
            vevent[name] = values if len(values) > 1 else values[0]
    fields = event_fields(vevent, engagement.timezone)
    ics = event_calendar(vevent, engagement.timezone).to_ical().decode("utf-8")
    return ics, fields


class SyncRun(ElsewhereMixin):
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
        self.full = False
        self.series: dict[str, Fetched] = {}
        self.series_writes: dict[str, list[SeriesWrite]] = {}
        self.skipped: set[str] = set()

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
            state = self.states.get(meeting.id)
            self.rendered[meeting.id] = render_meeting(
                meeting, self.uid_for(meeting), state.kept if state is not None else None
            )
        return self.rendered[meeting.id]

    def local(self, meeting: Meeting, remote_changed: bool) -> Local:
        state = self.states.get(meeting.id)
        cancelled = meeting.status == "cancelled"
        base = state.base_fields if state else None
        if (
            state is not None
            and state.etag
            and state.pushed_hash
            and state.pushed_sequence == meeting.sequence
            and base is not None
        ):
            if not remote_changed and base.get("tzid") == self.zone:
                # Unchanged since it was pushed (every visible change bumps the sequence): no rendering.
                return Local(meeting.id, base, cancelled=cancelled, known_hash=state.pushed_hash)
            _, fields = self.render(meeting)
            if fields_hash(fields) == state.pushed_hash:
                # Unchanged here since both sides agreed: only the server's changes count, even where
                # the planner writes an event made elsewhere differently (its own zone, its description).
                return Local(meeting.id, base, cancelled=cancelled, known_hash=state.pushed_hash)
            return Local(meeting.id, fields, cancelled=cancelled)
        _, fields = self.render(meeting)
        return Local(meeting.id, fields, cancelled=cancelled)

    def window(self) -> tuple:
        return (self.engagement.starts_on, self.engagement.ends_on)

    # -- the run -----------------------------------------------------------------------------------

    def run(self) -> None:
        link = self.link
        self.full = not link.sync_token or full_listing_due(link.last_full_listing_at, self.now)
        changes = self.backend.changes_since(None if self.full else link.sync_token)
        self.full = changes.full
        self.load()
        remotes, deleted = self.read_changes(changes.changed, set(changes.deleted))
        if changes.full:
            deleted |= {
                s.href for s in self.states.values() if s.etag and s.resource_href not in changes.changed
            }
        by_href = {s.href: s for s in self.states.values()}
        changed_meetings = {by_href[h].meeting_id for h in remotes if h in by_href}
        locals_ = [self.local(m, m.id in changed_meetings) for m in self.meetings.values()]
        uid_index = {
            self.uid_for(m): m.id
            for m in self.meetings.values()
            if not is_occurrence(getattr(self.states.get(m.id), "href", None))
        }
        plans = plan_sync(
            locals_,
            [state_view(s) for s in self.states.values()],
            remotes,
            deleted,
            on_cancel=link.on_cancel,
            uid_to_meeting=uid_index,
        )
        work = [p for p in plans if p.action != Action.NOTHING and not self.waiting(p)]
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
        self.write_series()
        # Only now is everything the token covers handled: a crash before here replays it.
        token = changes.token
        if token and self.wrote:
            token = self.settle(token)
        if token:
            link.sync_token = token
        if changes.full:
            link.last_full_listing_at = self.now
        self.commit()

    def waiting(self, plan: ItemPlan) -> bool:
        """A meeting the server refused is tried again when it changes, or at the next full listing."""
        if plan.action not in (Action.CREATE, Action.UPDATE) or plan.meeting_id is None or self.full:
            return False
        state = self.states.get(plan.meeting_id)
        meeting = self.meetings.get(plan.meeting_id)
        return bool(
            state is not None
            and state.refused
            and meeting is not None
            and state.refused_sequence == meeting.sequence
            and plan.href in (None, state.href)
            and not plan.take
        )

    def settle(self, token: str) -> str | None:
        """After our writes, move the token past them, unless something else happened meanwhile.

        A resource created after a token and deleted before the next one is in neither listing,
        so the resources we created are checked here, while we still know them.
        """
        after = self.backend.changes_since(token)
        by_resource: dict[str, list[SyncState]] = {}
        for state in self.states.values():
            by_resource.setdefault(state.resource_href, []).append(state)
        quiet = True
        for href, etag in after.changed.items():
            owners = by_resource.get(href)
            if not owners or any(s.etag != etag for s in owners):
                quiet = False
        for href in after.deleted:
            if href in by_resource:
                quiet = False
        for href in self.created:
            owners = by_resource.get(href, [])
            if href not in after.changed and owners and owners[0].etag:
                self.mark_removed(owners[0].meeting, owners[0])
        return after.token if quiet else token

    def commit(self) -> None:
        self.since_commit = 0
        try:
            db.session.commit()
        except StaleDataError:
            # Someone edited a meeting while we pulled into it: theirs stays; the next run redoes it.
            db.session.rollback()
            self.result.note("changed_during_sync")
            self.load()

    # -- one item ----------------------------------------------------------------------------------

    def execute(self, plan: ItemPlan, remote: Remote | None, retried: bool = False) -> None:
        action = plan.action
        if action == Action.IMPORT:
            self.import_event(plan, remote)
            return
        if action == Action.SKIP:
            self.skip(plan, remote)
            return
        meeting = self.meetings.get(plan.meeting_id) if plan.meeting_id else None
        if meeting is None:
            return
        state = self.states.get(meeting.id)
        href = plan.href or (state.href if state else None)
        if is_occurrence(href) and action in (Action.CREATE, Action.UPDATE, Action.DELETE):
            self.queue_series(meeting, state, plan, remote)
            return
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
        except EventRefused as exc:
            self.refuse(meeting, exc)
        except UidTaken as exc:
            if action != Action.CREATE or retried:
                # Its own resource is refused for a copy elsewhere in the account: flagged, never a stop.
                self.refuse(meeting, uid_refusal(exc))
                return
            self.uid_taken(meeting, exc)
        except Conflict:
            if retried:
                self.result.skipped_items += 1
                self.result.note("changed_again", title=meeting.title)
                return
            self.replan(meeting, retried=True)

    def skip(self, plan: ItemPlan, remote: Remote | None) -> None:
        href = plan.href or ""
        resource = href.split(OCCURRENCE_MARK, 1)[0]
        if resource in self.skipped:
            return  # a series is one event to the person reading the notes
        self.skipped.add(resource)
        self.result.skipped_items += 1
        title = (remote.fields or {}).get("title", "") if remote is not None and remote.fields else ""
        if plan.reason in ("unreadable", "all_day"):
            self.result.note(plan.reason, title=title or resource)

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
        remote = remote_of(href, fetched, self.zone)
        self.rendered.pop(meeting.id, None)
        plan = plan_item(
            self.local(meeting, True),
            state_view(state) if state else None,
            remote,
            on_cancel=self.link.on_cancel,
        )
        if plan.action != Action.NOTHING:
            self.execute(plan, remote, retried=retried)

    def href_for(self, meeting: Meeting) -> str:
        return self.calendar_path + resource_name(self.uid_for(meeting))

    def ensure_state(self, meeting: Meeting, href: str, uid: str | None = None) -> SyncState:
        state = self.states.get(meeting.id)
        if state is None:
            state = SyncState(
                link_id=self.link.id,
                meeting_id=meeting.id,
                uid=uid or self.uid_for(meeting),
                href=href,
                etag=None,
            )
            db.session.add(state)
            self.states[meeting.id] = state
        return state

    def save_state(
        self, meeting: Meeting, state: SyncState | None, href: str, etag: str | None, fields: dict[str, str]
    ) -> SyncState:
        state = state or self.ensure_state(meeting, href)
        state.href = href
        state.etag = etag
        state.base = json.dumps(fields, sort_keys=True)
        state.pushed_hash = fields_hash(fields)
        state.pushed_sequence = meeting.sequence
        state.removed_on_server = False
        state.refused = None
        state.refused_detail = None
        state.refused_sequence = None
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
        self.ensure_state(meeting, href)
        raise Conflict("already on the server")

    def update(
        self, meeting: Meeting, state: SyncState | None, plan: ItemPlan, remote: Remote | None
    ) -> None:
        if state is None and remote is None:
            # Nothing known on the server for it: writing it is creating it.
            self.create(meeting, None)
            return
        if state is None or (remote is not None and state.href != remote.href):
            # Found there under its UID (an imported copy, a create whose reply was lost): take it over.
            state = self.ensure_state(meeting, remote.href)
            state.href = remote.href
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
            data["starts_at"] = parse_instant(plan.take["start"])
            data["ends_at"] = max(
                parse_instant(plan.take.get("end") or plan.take["start"]), data["starts_at"]
            )
        if "location" in plan.take:
            data["location"] = plan.take["location"][:300]
        if "title" in plan.take:
            data["title"] = (plan.take["title"] or meeting.title)[:200]
        if "description" in plan.take:
            # The calendar's words are not purpose, outcome or agenda: they are the internal notes.
            data["internal_notes"] = plan.take["description"]
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

    def refuse(self, meeting: Meeting, exc: EventRefused) -> None:
        """The server will not store this meeting: flag it with the server's reason and go on."""
        state = self.ensure_state(meeting, self.href_for(meeting))
        state.refused = exc.precondition or f"status-{exc.status}"
        state.refused_detail = exc.detail or None
        state.refused_sequence = meeting.sequence
        state.updated_at = self.now
        self.result.refused += 1
        self.result.note("refused", title=meeting.title, precondition=state.refused, detail=exc.detail)

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
