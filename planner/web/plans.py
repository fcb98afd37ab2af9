"""Kickoff plans: pick a playbook, preview the generated schedule, adjust it, confirm it."""

from __future__ import annotations

from datetime import UTC, date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from planner.extensions import db
from planner.forms.plans import MAX_ROWS, ConfirmPlanForm, PlanForm, row_data
from planner.operations.plans import PlanRow, apply_plan, plan_summary
from planner.playbooks import (
    PlannedMeeting,
    Playbook,
    generate,
    load_playbooks,
    missing_phases,
    pick,
    playbook_by_key,
)
from planner.web import g_now
from planner.web.access import can_edit, engagement_for
from planner.web.formatting import fmt_date
from planner.web.panels import register_panel
from planner.workdays import local_datetime, next_working_day

bp = Blueprint("plans", __name__)

DEFAULT_PLAYBOOK = "system_integration"


def _reader_language() -> str:
    locale = get_locale()
    return "ja" if locale and locale.language == "ja" else "en"


def _default_start(engagement, today: date) -> date:
    """The engagement's start if it lies ahead, else the next working day."""
    if engagement.starts_on and engagement.starts_on > today:
        return engagement.starts_on
    return next_working_day(today, engagement.country)


def _note(meeting: PlannedMeeting) -> str:
    """Why a meeting is not where the pattern put it, in the reader's language."""
    notes = []
    if meeting.skipped_day:
        notes.append(
            _(
                "No meeting on %(date)s (%(reason)s)",
                date=fmt_date(meeting.skipped_day, style="short_date"),
                reason=meeting.skipped_because or _("weekend"),
            )
        )
    if meeting.moved_from:
        notes.append(
            _(
                "Moved from %(date)s (%(reason)s)",
                date=fmt_date(meeting.moved_from, style="short_date"),
                reason=meeting.moved_because or _("weekend"),
            )
        )
    if meeting.follows:
        notes.append(_("Placed after “%(title)s” on the same day", title=meeting.follows))
    return " · ".join(notes)


def _phase_names(playbook: Playbook, meetings: list[PlannedMeeting]) -> list[str]:
    """The names of the phases the end date left out, without their round numbers."""
    language = _reader_language()
    return [
        pick(p.title, language).replace("第{n}回", "").replace("{n}", "").strip()
        for p in missing_phases(playbook, meetings)
    ]


def _preview(
    engagement, playbook: Playbook, form: ConfirmPlanForm, *, missing=(), settings_url=None, status: int = 200
):
    return render_template(
        "plans/preview.html",
        settings_url=settings_url or url_for(".new", engagement_id=engagement.id),
        engagement=engagement,
        playbook=playbook,
        form=form,
        missing=missing,
        language=engagement.language or "ja",
    ), status


@bp.route("/engagements/<int:engagement_id>/plan")
def new(engagement_id: int):
    """The settings form; with settings in the query string, the preview (it changes nothing)."""
    engagement = engagement_for(engagement_id, "member")
    settings = request.args.copy()
    editing = settings.pop("edit", None) is not None
    # A preview is read-only, so it is a GET: a link to it can be kept, and "change settings" keeps them.
    form = PlanForm(formdata=settings or None, meta={"csrf": False})
    form.set_playbooks(_reader_language())
    if not settings:
        today = g_now().astimezone(engagement.tz).date()
        form.playbook.data = DEFAULT_PLAYBOOK
        form.starts_on.data = _default_start(engagement, today)
        if engagement.ends_on and engagement.ends_on > form.starts_on.data:
            form.ends_on.data = engagement.ends_on
    elif not editing and form.validate():
        playbook = playbook_by_key(form.playbook.data)
        meetings = generate(
            playbook,
            start=form.starts_on.data,
            zone=engagement.timezone,
            country=engagement.country,
            language=engagement.language or "ja",
            cadence=form.cadence.data,
            weekday=form.weekday.data,
            meeting_time=form.meeting_time.data,
            end=form.ends_on.data,
        )
        if not meetings:
            form.ends_on.errors = [_("No meeting of this playbook falls before this date.")]
        elif len(meetings) > MAX_ROWS:
            form.ends_on.errors = [
                _("This makes more than %(num)d meetings; choose an earlier end.", num=MAX_ROWS)
            ]
        else:
            confirm = ConfirmPlanForm(
                formdata=None,
                data={"playbook": playbook.key, "rows": [row_data(m, _note(m)) for m in meetings]},
            )
            return _preview(
                engagement,
                playbook,
                confirm,
                missing=_phase_names(playbook, meetings),
                settings_url=url_for(".new", engagement_id=engagement.id, edit=1, **settings),
            )
    return render_template("plans/new.html", engagement=engagement, form=form, playbooks=_playbook_cards()), (
        400 if form.errors else 200
    )


def _playbook_cards() -> list[dict]:
    language = _reader_language()
    return [
        {
            "key": p.key,
            "name": p.name_in(language),
            "description": p.description.get(language),
            "phases": p.phases,
        }
        for p in load_playbooks()
    ]


@bp.route("/engagements/<int:engagement_id>/plan/confirm", methods=["POST"])
def confirm(engagement_id: int):
    engagement = engagement_for(engagement_id, "member")
    form = ConfirmPlanForm()
    playbook = playbook_by_key(form.playbook.data or "")
    if playbook is None:
        flash(_("This plan's playbook is unknown. Please generate the plan again."), "error")
        return redirect(url_for(".new", engagement_id=engagement.id))
    if not form.validate_on_submit():
        flash(_("Please correct the rows marked below. No meeting was created."), "error")
        return _preview(engagement, playbook, form, status=400)
    rows = [
        PlanRow(
            phase=row.phase.data,
            kind=row.kind.data,
            title=row.title.data.strip(),
            purpose=row.purpose.data.strip(),
            desired_outcome=(row.desired_outcome.data or "").strip(),
            starts_at=local_datetime(row.day.data, row.start.data, engagement.timezone).astimezone(UTC),
            minutes=row.minutes.data,
        )
        for row in form.included()
    ]
    created = apply_plan(engagement, playbook, rows, now=g_now())
    db.session.commit()
    flash(
        ngettext(
            "%(num)d meeting planned. They are tentative until the client agrees the schedule.",
            "%(num)d meetings planned. They are tentative until the client agrees the schedule.",
            len(created),
        ),
        "success",
    )
    return redirect(url_for("engagements.show", engagement_id=engagement.id))


def _panel(engagement, now):
    summary = plan_summary(engagement, now)
    if summary.total == 0 and not can_edit(engagement):
        return None
    return {"position": "side", "summary": summary}


register_panel("engagement", "plan", "plans/_panel.html", _panel, order=20)
