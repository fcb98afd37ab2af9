"""Engagements: the list, the engagement page, creating and editing, members."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from planner.extensions import db
from planner.forms.auth import MemberForm
from planner.forms.schedule import EngagementForm, EngagementSettingsForm, zone_choices
from planner.fragment_cache import FragmentCache
from planner.models import Engagement, Invitation, Meeting, Membership
from planner.operations.people import accept_invitations, invite, pending_invitations, remove_member
from planner.operations.schedule import create_engagement, update_engagement
from planner.purpose import is_vague
from planner.web import g_now
from planner.web.access import can_edit, engagement_for, is_owner
from planner.web.formatting import current_language
from planner.web.page_cache import member_page

bp = Blueprint("engagements", __name__, url_prefix="/engagements")


@bp.route("/")
def index():
    if accept_invitations(current_user):
        db.session.commit()
    engagements = db.session.scalars(
        select(Engagement)
        .join(Membership)
        .where(Membership.user_id == current_user.id)
        .order_by(Engagement.updated_at.desc())
    ).all()
    now = g_now()
    upcoming: dict[int, Meeting] = {}
    counts: dict[int, dict[str, int]] = {e.id: {"planned": 0, "vague": 0} for e in engagements}
    if engagements:
        rows = db.session.execute(
            select(Meeting.engagement_id, Meeting)
            .where(
                Meeting.engagement_id.in_([e.id for e in engagements]),
                Meeting.starts_at >= now,
                Meeting.status != "cancelled",
            )
            .order_by(Meeting.starts_at)
        ).all()
        for engagement_id, meeting in rows:
            upcoming.setdefault(engagement_id, meeting)
            counts[engagement_id]["planned"] += 1
            counts[engagement_id]["vague"] += int(meeting.purpose_missing or is_vague(meeting.purpose))
    return render_template(
        "engagements/index.html", engagements=engagements, upcoming=upcoming, counts=counts
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = EngagementForm()
    if form.validate_on_submit():
        engagement = create_engagement(current_user, form.values(), now=g_now())
        db.session.commit()
        flash(
            _("Engagement created. Next: plan its meetings from a kickoff playbook or add them one by one."),
            "success",
        )
        return redirect(url_for(".show", engagement_id=engagement.id))
    return render_template("engagements/form.html", form=form, zones=zone_choices(), engagement=None), (
        400 if form.errors else 200
    )


def upcoming_meetings(engagement: Engagement, now, *, past_days: int = 7, limit: int = 200) -> list[Meeting]:
    """Meetings from a week ago on, with agendas loaded in one query."""
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.engagement_id == engagement.id, Meeting.starts_at >= now - timedelta(days=past_days)
            )
            .options(selectinload(Meeting.agenda))
            .order_by(Meeting.starts_at)
            .limit(limit)
        )
    )


def start_of_today(engagement: Engagement, now: datetime) -> datetime:
    """Midnight today in the engagement's zone: this morning's meeting is still on the schedule."""
    return datetime.combine(now.astimezone(engagement.tz).date(), time(0), tzinfo=engagement.tz)


def schedule_stats(engagement: Engagement, since: datetime) -> dict:
    """Meetings from `since` on, not cancelled: how many, their minutes, and those with a vague purpose."""
    rows = db.session.execute(
        select(
            Meeting.id,
            Meeting.title,
            Meeting.purpose,
            Meeting.purpose_missing,
            Meeting.starts_at,
            Meeting.ends_at,
        )
        .where(
            Meeting.engagement_id == engagement.id, Meeting.starts_at >= since, Meeting.status != "cancelled"
        )
        .order_by(Meeting.starts_at)
    ).all()
    return {
        "planned": len(rows),
        "minutes": sum(int((r.ends_at - r.starts_at).total_seconds() // 60) for r in rows),
        "vague": [r for r in rows if r.purpose_missing or is_vague(r.purpose)],
    }


def render_schedule(engagement: Engagement, now: datetime, *, show_all: bool, editable: bool) -> str:
    """The schedule card's body: stats, the meetings by week and the past/cancelled toggle."""
    since = start_of_today(engagement, now)
    query = select(Meeting).where(Meeting.engagement_id == engagement.id)
    if not show_all:
        query = query.where(Meeting.starts_at >= since, Meeting.status != "cancelled")
    meetings = list(
        db.session.scalars(query.options(selectinload(Meeting.agenda)).order_by(Meeting.starts_at).limit(500))
    )
    total = db.session.scalar(select(db.func.count(Meeting.id)).where(Meeting.engagement_id == engagement.id))
    return render_template(
        "engagements/_schedule.html",
        engagement=engagement,
        meetings=meetings,
        meeting_count=total,
        hidden_count=0 if show_all else total - len(meetings),
        show_all=show_all,
        stats=schedule_stats(engagement, since),
        editable=editable,
    )


@bp.route("/<int:engagement_id>")
def show(engagement_id: int):
    engagement = engagement_for(engagement_id)
    return member_page(engagement, lambda: render_show(engagement))


def render_show(engagement: Engagement) -> str:
    """The engagement page: its panels around the schedule card."""
    now = g_now()
    show_all = request.args.get("all") == "1"
    editable = can_edit(engagement)
    # The card changes only with the revision (or the day, or who looks in which language): panels changing
    # around it re-render the page, not the card.
    slot = (engagement.id, current_language(), show_all, editable)
    version = (
        engagement.revision,
        engagement.created_at,
        engagement.timezone,
        now.astimezone(engagement.tz).date(),
    )
    fragments = current_app.extensions.setdefault("schedule_fragments", FragmentCache())
    schedule_html = fragments.get_or_render(
        slot, version, lambda: render_schedule(engagement, now, show_all=show_all, editable=editable)
    )
    return render_template(
        "engagements/show.html",
        engagement=engagement,
        now=now,
        schedule_html=Markup(schedule_html),  # noqa: S704 - a rendered, autoescaped template
    )


@bp.route("/<int:engagement_id>/edit", methods=["GET", "POST"])
def edit(engagement_id: int):
    engagement = engagement_for(engagement_id, "owner")
    form = EngagementForm(obj=engagement)
    if form.validate_on_submit():
        update_engagement(engagement, form.values(), now=g_now())
        db.session.commit()
        flash(_("Engagement saved."), "success")
        return redirect(url_for(".show", engagement_id=engagement.id))
    return render_template("engagements/form.html", form=form, zones=zone_choices(), engagement=engagement), (
        400 if form.errors else 200
    )


@bp.route("/<int:engagement_id>/settings", methods=["GET", "POST"])
def settings(engagement_id: int):
    engagement = engagement_for(engagement_id, "owner")
    form = EngagementSettingsForm(obj=engagement)
    form.set_members(engagement)
    if request.method == "GET":
        form.requests_user_id.data = engagement.requests_user_id or 0
    if form.validate_on_submit():
        data = form.data | {"requests_user_id": form.requests_user_id.data or None}
        update_engagement(engagement, data, now=g_now())
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for(".show", engagement_id=engagement.id))
    return render_template("engagements/settings.html", form=form, engagement=engagement), (
        400 if form.errors else 200
    )


@bp.route("/<int:engagement_id>/members", methods=["GET", "POST"])
def members(engagement_id: int):
    engagement = engagement_for(engagement_id)
    form = MemberForm()
    if request.method == "POST":
        engagement_for(engagement_id, "owner")
        if form.validate_on_submit():
            invite(engagement, form.email.data, form.role.data, by=current_user, now=g_now())
            db.session.commit()
            # The same words whether or not the address has an account: nothing here tells who is registered.
            flash(
                _(
                    "%(email)s is invited and joins the engagement at their next login. Someone without an "
                    "account needs one from an administrator first.",
                    email=form.email.data.strip().lower(),
                ),
                "success",
            )
            return redirect(url_for(".members", engagement_id=engagement.id))
    invitations = pending_invitations(engagement) if is_owner(engagement) else []
    return render_template(
        "engagements/members.html", engagement=engagement, form=form, invitations=invitations
    ), (400 if form.errors else 200)


@bp.route("/<int:engagement_id>/invitations/<int:invitation_id>/withdraw", methods=["POST"])
def withdraw_invitation(engagement_id: int, invitation_id: int):
    engagement = engagement_for(engagement_id, "owner")
    found = db.session.get(Invitation, invitation_id)
    if found is not None and found.engagement_id == engagement.id:
        db.session.delete(found)
        db.session.commit()
        flash(_("Invitation withdrawn."), "success")
    return redirect(url_for(".members", engagement_id=engagement.id))


@bp.route("/<int:engagement_id>/members/<int:membership_id>/remove", methods=["POST"])
def remove(engagement_id: int, membership_id: int):
    engagement = engagement_for(engagement_id, "owner")
    found = next((m for m in engagement.members if m.id == membership_id), None)
    owners = [m for m in engagement.members if m.role == "owner"]
    if found is None:
        flash(_("No such member."), "error")
    elif found.role == "owner" and len(owners) == 1:
        flash(_("An engagement keeps at least one owner."), "error")
    else:
        remove_member(engagement, found)
        db.session.commit()
        flash(_("Member removed."), "success")
    return redirect(url_for(".members", engagement_id=engagement.id))
