"""The meetings list as plain rows: three statements for a page of any size, no ORM object per meeting.

Each dict is the one ``meeting_json`` makes for the same meeting (a test holds them equal); building it
from rows skips loading, identity-mapping and expiring an object graph per meeting, which was most of
the list's cost. A page's JSON is kept per process until the engagement's activity counter moves (every
committed change to its meetings, agenda items or attendees moves it, planner/models/activity.py), as
pages and feeds are; ``PLANNER_PAGE_CACHE_MB=0`` builds every answer afresh.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, request, url_for
from sqlalchemy import and_, or_, select

from planner.api.engagements import base_url
from planner.api.pagination import Page
from planner.extensions import db
from planner.fragment_cache import FragmentCache
from planner.models import AgendaItem, Engagement, Meeting, MeetingAttendee
from planner.purpose import is_vague

_M = Meeting.__table__.c
_A = AgendaItem.__table__.c
_P = MeetingAttendee.__table__.c
_SENTINEL = 987654321


def _iso(value: datetime | None, zone=None) -> str | None:
    if value is None:
        return None
    return (value.astimezone(zone) if zone else value).isoformat()


class Answer(bytes):
    """A page's JSON body, with the sort key the next page starts after (None on the last page)."""

    next_key: list | None = None


def _kept() -> FragmentCache | None:
    if "api_list_cache" not in current_app.extensions:
        setting = current_app.config.get("PAGE_CACHE_MB")
        megabytes = (32.0 if setting in (None, "") else float(setting)) / 2
        current_app.extensions["api_list_cache"] = (
            FragmentCache(max_slots=1024, max_size=int(megabytes * 1024 * 1024)) if megabytes > 0 else None
        )
    return current_app.extensions["api_list_cache"]


def meetings_answer(engagement: Engagement, conditions: list, page: Page) -> Answer:
    """The JSON of one page of the list, kept until the engagement's activity moves on."""

    def build() -> Answer:
        items, next_key = meetings_page(engagement, conditions, page)
        answer = Answer(f"{current_app.json.dumps(items)}\n".encode())
        answer.next_key = next_key
        return answer

    kept = _kept()
    if kept is None:
        return build()
    slot = ("meetings", engagement.id, request.full_path, base_url())
    version = (engagement.activity, engagement.revision, engagement.timezone)
    return kept.get_or_render(slot, version, build)


def meetings_page(engagement: Engagement, conditions: list, page: Page) -> tuple[list[dict], list | None]:
    """One page of the engagement's meetings by start, and the sort key the next page starts after."""
    query = (
        select(Meeting.__table__)
        .where(_M.engagement_id == engagement.id, *conditions)
        .order_by(_M.starts_at, _M.id)
        .limit(page.limit + 1)
    )
    if page.after is not None:
        starts, last_id = _after(page.after)
        query = query.where(or_(_M.starts_at > starts, and_(_M.starts_at == starts, _M.id > last_id)))
    rows = db.session.execute(query).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    ids = [row.id for row in rows]
    agenda: dict[int, list] = {}
    attendees: dict[int, list] = {}
    if ids:
        for item in db.session.execute(
            select(AgendaItem.__table__).where(_A.meeting_id.in_(ids)).order_by(_A.meeting_id, _A.position)
        ):
            agenda.setdefault(item.meeting_id, []).append(item)
        for person in db.session.execute(
            select(_P.meeting_id, _P.contact_id, _P.user_id).where(_P.meeting_id.in_(ids))
        ):
            attendees.setdefault(person.meeting_id, []).append(person)
    link = base_url() + url_for("meetings.show", meeting_id=_SENTINEL)
    vague: dict[str, bool] = {}
    zone = engagement.tz
    items = [
        _meeting(row, zone, agenda.get(row.id, []), attendees.get(row.id, []), link, vague) for row in rows
    ]
    next_key = [rows[-1].starts_at.isoformat(), rows[-1].id] if more and rows else None
    return items, next_key


def _after(key: list) -> tuple[datetime, int]:
    from planner.api.common import ApiError

    try:
        starts, last_id = datetime.fromisoformat(key[0]), int(key[1])
        if starts.tzinfo is None or len(key) != 2:
            raise ValueError
    except (ValueError, TypeError, IndexError):
        message = "Not a cursor this list gave out; start again without one."
        raise ApiError(422, "Some query parameters are not valid.", {"cursor": [message]}) from None
    return starts, last_id


def _meeting(row, zone, agenda: list, people: list, link: str, vague: dict[str, bool]) -> dict[str, Any]:
    if row.purpose not in vague:
        vague[row.purpose] = is_vague(row.purpose)
    duration = int((row.ends_at - row.starts_at).total_seconds() // 60)
    agenda_minutes = sum(item.minutes for item in agenda)
    return {
        "id": row.id,
        "engagement_id": row.engagement_id,
        "uid": row.uid,
        "title": row.title,
        "purpose": row.purpose,
        "purpose_vague": vague[row.purpose],
        "purpose_missing": row.purpose_missing,
        "desired_outcome": row.desired_outcome,
        "kind": row.kind,
        "starts_at": _iso(row.starts_at, zone),
        "ends_at": _iso(row.ends_at, zone),
        "duration_minutes": duration,
        "location": row.location,
        "conference_url": row.conference_url,
        "status": row.status,
        "internal": row.internal,
        "internal_notes": row.internal_notes,
        "contact_ids": sorted(p.contact_id for p in people if p.contact_id),
        "user_ids": sorted(p.user_id for p in people if p.user_id),
        "agenda": [
            {
                "id": item.id,
                "meeting_id": item.meeting_id,
                "title": item.title,
                "minutes": item.minutes,
                "notes": item.notes,
                "position": item.position,
                "done": item.done,
                "created_at": _iso(item.created_at),
            }
            for item in agenda
        ],
        "agenda_minutes": agenda_minutes,
        "free_minutes": duration - agenda_minutes,
        "sequence": row.sequence,
        "version": row.version,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "cancelled_at": _iso(row.cancelled_at),
        "url": link.replace(str(_SENTINEL), str(row.id)),
    }
