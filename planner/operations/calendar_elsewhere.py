"""Events made elsewhere: importing them, and writing meetings back into repeating events."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from planner.caldav_backend import Conflict, EventRefused, UidTaken, resource_name
from planner.extensions import db
from planner.ical import vevent_fields
from planner.models import Meeting
from planner.models.calendars import SyncState
from planner.models.schedule import new_uid
from planner.operations.calendar_series import (
    SeriesWrite,
    apply_series_writes,
    parse_instant,
    people_of,
    remote_of,
    stamp_key,
    state_view,
    uid_refusal,
)
from planner.operations.schedule import create_meeting
from planner.sync import (
    Action,
    BadEvent,
    ItemPlan,
    Remote,
    fields_hash,
    first_vevent,
    is_occurrence,
    occurrences,
    pair_moved,
    plan_item,
)

if TYPE_CHECKING:
    from planner.operations.calendar_run import SyncRun


class ElsewhereMixin:
    """The part of a sync run that deals with series and with events made in the calendar."""

    def read_changes(
        self: SyncRun, changed: dict[str, str], deleted_hrefs: set[str]
    ) -> tuple[dict[str, Remote], set[str]]:
        """Fetch what changed and turn it into remotes: one per event, one per occurrence of a series."""
        by_resource: dict[str, list[SyncState]] = {}
        for state in self.states.values():
            by_resource.setdefault(state.resource_href, []).append(state)
        wanted = [
            href
            for href, etag in changed.items()
            if not by_resource.get(href) or any(s.etag != etag for s in by_resource[href])
        ]
        fetched = self.backend.multiget(wanted) if wanted else {}
        remotes: dict[str, Remote] = {}
        deleted = set(deleted_hrefs)
        for href, item in fetched.items():
            owners = by_resource.get(href, [])
            single = any(not is_occurrence(s.href) for s in owners)
            expanded = None if single else occurrences(item.ics, href, item.etag, self.zone, self.window())
            if expanded is None:
                remotes[href] = remote_of(href, item, self.zone)
                continue
            self.series[href] = item
            remotes.update(expanded)
            known = {s.href: s for s in owners}
            vanished = [(s.recurrence_id or "", s.href) for s in owners if s.href not in expanded]
            new = [(stamp_key(h), h) for h in expanded if h not in known]
            for old, moved in pair_moved(vanished, new).items():
                # The series moved: the meeting follows its occurrence (time taken as any move is).
                state = known[old]
                state.href = moved
                state.recurrence_id = stamp_key(moved)
                vanished = [v for v in vanished if v[1] != old]
            deleted |= {h for _, h in vanished}
        for href in deleted_hrefs:
            deleted |= {s.href for s in by_resource.get(href, [])}
        return remotes, deleted

    def uid_taken(self: SyncRun, meeting: Meeting, exc: UidTaken) -> None:
        """The UID lives in another resource: take over this meeting's copy here, else use a fresh UID."""
        uid = self.uid_for(meeting)
        if exc.href is not None:
            candidates = [exc.href] if self.backend.in_calendar(exc.href) else []
        else:
            candidates = self.backend.find_uid(uid)
        owned = {s.href for s in self.states.values() if s.meeting_id != meeting.id}
        for href in candidates:
            if href in owned:
                continue
            fetched = self.backend.get(href)
            if fetched is None:
                continue
            remote = remote_of(href, fetched, self.zone)
            if remote.fields is None or remote.fields.get("uid") != uid:
                continue
            # A copy of this meeting in this calendar (an imported export): it becomes the synced one.
            state = self.ensure_state(meeting, href)
            state.href, state.etag, state.base = href, None, None
            plan = plan_item(
                self.local(meeting, True), state_view(state), remote, on_cancel=self.link.on_cancel
            )
            if plan.action != Action.NOTHING:
                self.execute(plan, remote, retried=True)
            return
        # Elsewhere in the account (another calendar holds it): this calendar gets its own UID.
        state = self.ensure_state(meeting, self.href_for(meeting))
        state.uid = f"{uuid.uuid4()}@planner"
        state.href = self.calendar_path + resource_name(state.uid)
        state.etag = state.base = state.pushed_hash = None
        self.rendered.pop(meeting.id, None)
        self.execute(ItemPlan(Action.CREATE, meeting.id, state.href), None, retried=True)

    # -- repeating events --------------------------------------------------------------------------

    def queue_series(
        self: SyncRun, meeting: Meeting, state: SyncState | None, plan: ItemPlan, remote: Remote | None
    ) -> None:
        """Changes to occurrences are written into their series, one PUT per series after the walk."""
        if state is None:
            return
        self.take(meeting, plan)
        if plan.conflicts and remote is not None:
            self.record_conflict(meeting, plan.conflicts, remote.ics)
        ics, fields = self.render(meeting)
        self.series_writes.setdefault(state.resource_href, []).append(
            SeriesWrite(
                meeting_id=meeting.id,
                recurrence_id=state.recurrence_id or stamp_key(state.href),
                ics=ics,
                fields=fields,
                exclude=plan.action == Action.DELETE,
            )
        )

    def write_series(self: SyncRun) -> None:
        for href, writes in self.series_writes.items():
            fetched = self.series.get(href) or self.backend.get(href)
            siblings = [s for s in self.states.values() if s.resource_href == href]
            meetings = {w.meeting_id: self.meetings[w.meeting_id] for w in writes}
            if fetched is None:
                for state in siblings:
                    self.mark_removed(state.meeting, state)
                continue
            ics = apply_series_writes(fetched.ics, writes, self.zone)
            try:
                # Some servers serve a scheduling object without an ETag: ask for it rather than guess.
                etag = fetched.etag or self.backend.etag(href)
                if etag is None:
                    raise Conflict("no etag known")
                written = self.backend.update(href, ics, etag)
            except (EventRefused, UidTaken) as exc:
                refusal = exc if isinstance(exc, EventRefused) else uid_refusal(exc)
                for meeting in meetings.values():
                    self.refuse(meeting, refusal)
                continue
            except Conflict:
                # Changed there meanwhile: the next run reads it again and decides once more.
                for meeting in meetings.values():
                    self.result.note("changed_again", title=meeting.title)
                continue
            self.wrote = True
            for state in siblings:
                state.etag = written.etag
            for write in writes:
                state = self.states[write.meeting_id]
                if write.exclude:
                    db.session.delete(state)
                    self.states.pop(write.meeting_id, None)
                    self.result.deleted += 1
                    continue
                self.save_state(meetings[write.meeting_id], state, state.href, written.etag, write.fields)
                self.result.pushed += 1
        self.series_writes.clear()

    # -- events made elsewhere ---------------------------------------------------------------------

    def import_event(self: SyncRun, plan: ItemPlan, remote: Remote | None) -> None:
        if remote is None or remote.fields is None:
            return
        occurrence = is_occurrence(remote.href)
        if occurrence:
            parsed = _occurrence_fields(remote, self.zone)
        else:
            parsed = vevent_fields(first_vevent(remote.ics), self.zone)
        if parsed is None:
            return
        uid = remote.fields["uid"]
        meeting_uid = f"{uid}-{stamp_key(remote.href)}" if occurrence else uid
        taken = db.session.scalar(select(Meeting.id).where(Meeting.uid == meeting_uid))
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
            "uid": new_uid() if taken else meeting_uid,
        }
        meeting = create_meeting(self.engagement, data, now=self.now)
        db.session.flush()
        self.meetings[meeting.id] = meeting
        state = self.ensure_state(meeting, remote.href, uid=uid)
        if occurrence:
            state.recurrence_id = stamp_key(remote.href)
        else:
            state.kept = _people_of(remote.ics)
        self.save_state(meeting, state, remote.href, remote.etag, dict(remote.fields))
        # Nothing to push until someone edits the meeting: then the planner's version goes out.
        _, fields = self.render(meeting)
        state.pushed_hash = fields_hash(fields)
        self.result.imported += 1


def _occurrence_fields(remote: Remote, zone: str) -> dict | None:
    fields = remote.fields or {}
    if not fields.get("start"):
        return None
    return {
        "title": fields.get("title", ""),
        "starts_at": parse_instant(fields["start"]),
        "ends_at": parse_instant(fields.get("end") or fields["start"]),
        "location": fields.get("location", ""),
        "status": (fields.get("status") or "").lower(),
        "description": fields.get("description", ""),
    }


def _people_of(ics: str) -> str | None:
    try:
        return people_of(first_vevent(ics))
    except BadEvent:
        return None
