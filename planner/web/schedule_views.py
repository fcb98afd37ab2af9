"""The week view of an engagement's schedule."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.extensions import db
from planner.fragment_cache import FragmentCache
from planner.models import Engagement, Meeting
from planner.web import g_now
from planner.web.access import can_edit, engagement_for
from planner.web.formatting import current_language
from planner.web.page_cache import member_page
from planner.web.panels import register_tab
from planner.week import monday_of, parse_week_start, week_bounds, week_days
from planner.workdays import holiday_name

bp = Blueprint("schedule", __name__)


@bp.route("/engagements/<int:engagement_id>/week")
def week(engagement_id: int):
    """Monday to Sunday in the engagement's zone, with holidays named and meetings placed by day."""
    engagement = engagement_for(engagement_id)
    today = g_now().astimezone(engagement.tz).date()
    monday = parse_week_start(request.args.get("start"), today)
    if monday is None:
        flash(_("That is not a date (expected e.g. 2026-05-11); showing this week instead."), "error")
        return redirect(url_for(".week", engagement_id=engagement.id))
    return member_page(engagement, lambda: render_week_page(engagement, monday, today))


def render_week_page(engagement: Engagement, monday: date, today: date) -> str:
    """The week page around its grid."""
    editable = can_edit(engagement)
    # The grid changes only with the revision, the week shown, the day (today's column) and the viewer.
    slot = (engagement.id, monday, current_language(), editable)
    version = (engagement.revision, engagement.created_at, engagement.timezone, engagement.country, today)
    fragments = current_app.extensions.setdefault("week_fragments", FragmentCache())
    html = fragments.get_or_render(slot, version, lambda: render_week(engagement, monday, today, editable))
    return render_template(
        "schedule/week.html",
        engagement=engagement,
        monday=monday,
        week_html=Markup(html),  # noqa: S704 - a rendered, autoescaped template
    )


def render_week(engagement: Engagement, monday: date, today: date, editable: bool) -> str:
    """The week's grid: seven days with their meetings and holidays, and the navigation."""
    zone = engagement.tz
    start, end = week_bounds(monday, zone)
    meetings = db.session.scalars(
        select(Meeting)
        .where(Meeting.engagement_id == engagement.id, Meeting.starts_at >= start, Meeting.starts_at < end)
        .options(selectinload(Meeting.agenda))
        .order_by(Meeting.starts_at)
    ).all()
    language = current_language()
    days = week_days(
        monday, zone, meetings, holiday=lambda day: holiday_name(day, engagement.country, language)
    )
    live = [m for m in meetings if m.status != "cancelled"]
    return render_template(
        "schedule/_week.html",
        engagement=engagement,
        days=days,
        monday=monday,
        today=today,
        this_monday=monday_of(today),
        previous=monday - timedelta(days=7),
        following=monday + timedelta(days=7),
        meeting_count=len(live),
        scheduled_minutes=sum(m.duration_minutes for m in live),
        editable=editable,
    )


register_tab("schedule.week", _l("Week"), order=10)
