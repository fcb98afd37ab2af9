"""Commitment pages, the drafted late note, meeting outcomes, carry-forward and the printable brief."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from planner.commitments import estimate_overrun
from planner.extensions import db
from planner.forms.commitments import (
    OWED_BY_LABELS,
    STATUS_LABELS,
    CarryForwardForm,
    ClientToldForm,
    CommitmentForm,
    OutcomeForm,
    StatusForm,
)
from planner.models import Meeting
from planner.models.commitments import Commitment, MeetingOutcome
from planner.operations.briefs import meeting_brief
from planner.operations.commitments import (
    attention,
    can_record_outcome,
    carry_candidates,
    carry_forward,
    create_commitment,
    engagement_commitments,
    held_meeting_count,
    next_meeting_of_kind,
    outcome_share,
    record_client_told,
    record_outcome,
    request_in_engagement,
    set_status,
    update_commitment,
)
from planner.operations.contacts import quiet_contacts
from planner.replies.commitments import late_note, revised_estimate_line, revised_estimate_note
from planner.web import g_now
from planner.web.access import check_role, engagement_for, meeting_for
from planner.web.formatting import fmt_datetime
from planner.web.panels import register_panel, register_tab

bp = Blueprint("commitments", __name__)


def commitment_for(commitment_id: int, role: str = "viewer") -> Commitment:
    """The commitment, for a member of its engagement (404 for anyone else)."""
    commitment = db.session.get(Commitment, commitment_id)
    check_role(commitment.engagement if commitment else None, role)
    return commitment


def _form(engagement, **kwargs) -> CommitmentForm:
    return CommitmentForm(meta={"zone": engagement.timezone}, engagement=engagement, **kwargs)


def _errors_flash(form) -> None:
    flash(
        _("Nothing was saved: %(errors)s")
        % {
            "errors": "; ".join(
                f"{form[n].label.text}: {', '.join(map(str, e))}" for n, e in form.errors.items()
            )
        },
        "error",
    )


@bp.route("/engagements/<int:engagement_id>/commitments")
def index(engagement_id: int):
    engagement = engagement_for(engagement_id)
    show_all = request.args.get("all") == "1"
    rows = engagement_commitments(engagement, now=g_now(), include_closed=show_all)
    return render_template("commitments/index.html", engagement=engagement, rows=rows, show_all=show_all)


@bp.route("/engagements/<int:engagement_id>/commitments/new", methods=["GET", "POST"])
def new(engagement_id: int):
    engagement = engagement_for(engagement_id, "member")
    form = _form(engagement)
    if request.method == "GET":
        form.owner_user_id.data = current_user.id
        meeting_id = request.args.get("meeting_id", type=int)
        if meeting_id in {m.id for m in engagement.meetings}:
            form.meeting_id.data = meeting_id
    if form.validate_on_submit():
        data = form.values()
        request_id = request.args.get("request_id", type=int)
        data["request_id"] = (
            request_id if request_id and request_in_engagement(engagement, request_id) else None
        )
        commitment = create_commitment(engagement, data, actor=current_user, now=g_now())
        db.session.commit()
        flash(_("Commitment recorded."), "success")
        return redirect(url_for(".show", commitment_id=commitment.id))
    return render_template("commitments/form.html", form=form, engagement=engagement, commitment=None), (
        400 if form.errors else 200
    )


FIELD_LABELS = {
    "title": _l("What is promised"),
    "details": _l("Details"),
    "owed_by": _l("Who owes it"),
    "owner_user_id": _l("Member"),
    "contact_id": _l("Client contact"),
    "due_at": _l("Due"),
    "meeting_id": _l("From meeting"),
    "request_id": _l("From request"),
    "promised_amount": _l("Promised amount"),
    "revised_amount": _l("Revised amount"),
    "amount_unit": _l("Unit"),
    "revised_due_at": _l("New date"),
    "reason": _l("Why"),
    "status": _l("Status"),
    "marked_at_risk": _l("Marked at risk"),
    "done_at": _l("Done"),
    "client_told_at": _l("Client told"),
    "how": _l("How"),
}


def _shown(key: str, value, commitment: Commitment) -> str:
    """A history value as a person reads it: names for ids, local times for instants."""
    if value in (None, ""):
        return "—"
    engagement = commitment.engagement
    if key.endswith("_at") and isinstance(value, str):
        try:
            return fmt_datetime(datetime.fromisoformat(value), engagement)
        except ValueError:
            return value
    if key == "owner_user_id":
        member = next((m.user for m in engagement.members if m.user_id == value), None)
        return member.display_name if member else f"#{value}"
    if key == "contact_id":
        contact = next((c for c in engagement.contacts if c.id == value), None)
        return contact.name if contact else f"#{value}"
    if key == "meeting_id":
        meeting = db.session.get(Meeting, value)
        return meeting.title if meeting else f"#{value}"
    if key in ("status", "owed_by"):
        return str(STATUS_LABELS.get(value) or OWED_BY_LABELS.get(value) or value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def history_rows(commitment: Commitment) -> list[dict]:
    """The commitment's history, newest first, each change with readable labels and values."""
    rows = []
    for event in commitment.events:
        before, after = event.before or {}, event.after or {}
        keys = [k for k in after if before.get(k) != after.get(k) or k == "how"]
        changes = [
            (
                str(FIELD_LABELS.get(k, k)),
                _shown(k, before.get(k), commitment),
                _shown(k, after.get(k), commitment),
            )
            for k in keys
            if event.kind != "created" or after.get(k) not in (None, "")
        ]
        rows.append({"event": event, "changes": changes})
    return rows


@bp.route("/commitments/<int:commitment_id>")
def show(commitment_id: int):
    commitment = commitment_for(commitment_id)
    status = commitment.current_status(g_now())
    return render_template(
        "commitments/show.html",
        commitment=commitment,
        engagement=commitment.engagement,
        status=status,
        status_form=StatusForm(formdata=None),
        told_form=ClientToldForm(formdata=None),
        estimate_line=_estimate_line(commitment),
        history=history_rows(commitment),
    )


@bp.route("/commitments/<int:commitment_id>/edit", methods=["GET", "POST"])
def edit(commitment_id: int):
    commitment = commitment_for(commitment_id, "member")
    engagement = commitment.engagement
    form = _form(engagement, obj=commitment)
    if form.validate_on_submit():
        if update_commitment(commitment, form.values(), actor=current_user, now=g_now()):
            flash(_("Commitment saved; the earlier version is kept in its history."), "success")
        db.session.commit()
        return redirect(url_for(".show", commitment_id=commitment.id))
    return render_template(
        "commitments/form.html", form=form, engagement=engagement, commitment=commitment
    ), (400 if form.errors else 200)


@bp.route("/commitments/<int:commitment_id>/status", methods=["POST"])
def change_status(commitment_id: int):
    commitment = commitment_for(commitment_id, "member")
    form = StatusForm()
    if form.validate_on_submit():
        if set_status(commitment, form.status.data, actor=current_user, now=g_now()):
            flash(_("Status changed."), "success")
        db.session.commit()
    else:
        _errors_flash(form)
    return redirect(url_for(".show", commitment_id=commitment.id))


@bp.route("/commitments/<int:commitment_id>/told", methods=["POST"])
def told(commitment_id: int):
    commitment = commitment_for(commitment_id, "member")
    form = ClientToldForm()
    if form.validate_on_submit():
        record_client_told(commitment, how=(form.how.data or "").strip(), actor=current_user, now=g_now())
        db.session.commit()
        flash(_("Recorded that the client was told."), "success")
    else:
        _errors_flash(form)
    return redirect(url_for(".show", commitment_id=commitment.id))


def _estimate_line(commitment: Commitment) -> str | None:
    if commitment.promised_amount is None or commitment.revised_amount is None:
        return None
    return revised_estimate_line(
        language=_ui_language(),
        title=commitment.title,
        promised=commitment.promised_amount,
        revised=commitment.revised_amount,
        unit=commitment.amount_unit,
    )


def _ui_language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return "ja" if locale and locale.language == "ja" else "en"


def draft_for(commitment: Commitment):
    """The note to the client this commitment calls for: a revised estimate or a late delivery, else None."""
    contact = commitment.contact
    language = (contact.language if contact else None) or commitment.engagement.language
    sender = current_user.display_name if current_user.is_authenticated else ""
    name = contact.name if contact else ""
    if estimate_overrun(commitment.promised_amount, commitment.revised_amount):
        return revised_estimate_note(
            language=language,
            title=commitment.title,
            promised=commitment.promised_amount,
            revised=commitment.revised_amount,
            unit=commitment.amount_unit,
            reason=commitment.reason,
            contact_name=name,
            sender_name=sender,
        )
    if commitment.due_at and commitment.revised_due_at and commitment.revised_due_at > commitment.due_at:
        return late_note(
            language=language,
            title=commitment.title,
            due_at=commitment.due_at,
            new_due_at=commitment.revised_due_at,
            reason=commitment.reason,
            zone=commitment.engagement.timezone,
            contact_name=name,
            sender_name=sender,
        )
    return None


@bp.route("/commitments/<int:commitment_id>/note")
def note(commitment_id: int):
    commitment = commitment_for(commitment_id, "member")
    if commitment.owed_by != "us":
        abort(404)
    draft = draft_for(commitment)
    mailto = None
    if draft is not None:
        to = commitment.contact.email if commitment.contact and commitment.contact.email else ""
        mailto = f"mailto:{quote(to)}?subject={quote(draft.subject)}&body={quote(draft.body)}"
    return render_template(
        "commitments/note.html",
        commitment=commitment,
        engagement=commitment.engagement,
        draft=draft,
        mailto=mailto,
        told_form=ClientToldForm(formdata=None),
    )


@bp.route("/meetings/<int:meeting_id>/outcome", methods=["POST"])
def outcome(meeting_id: int):
    meeting = meeting_for(meeting_id, "member")
    now = g_now()
    if not can_record_outcome(meeting, now=now):
        flash(_("An outcome can be recorded once the meeting has started."), "error")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    form = OutcomeForm(meta={"zone": meeting.engagement.timezone})
    if form.validate_on_submit():
        _outcome, created = record_outcome(
            meeting,
            reached=form.reached.data,
            why=(form.why.data or "").strip(),
            decisions=(form.decisions.data or "").strip(),
            action_items=[item | {"owner_user_id": current_user.id} for item in form.action_items()],
            actor=current_user,
            now=now,
        )
        db.session.commit()
        flash(
            _("Outcome recorded; %(num)d action item(s) became commitments.") % {"num": len(created)},
            "success",
        )
        if carry_candidates(meeting):
            return redirect(url_for(".carry", meeting_id=meeting.id))
        return redirect(url_for("meetings.show", meeting_id=meeting.id) + "#outcome")
    # Keep everything that was typed: show the form again with its errors.
    context = _outcome_panel(meeting, now) | {"form": form, "force_open": True}
    return render_template(
        "commitments/outcome.html", meeting=meeting, engagement=meeting.engagement, **context
    ), 400


@bp.route("/meetings/<int:meeting_id>/carry-forward", methods=["GET", "POST"])
def carry(meeting_id: int):
    meeting = meeting_for(meeting_id, "member")
    candidates = carry_candidates(meeting)
    target = next_meeting_of_kind(meeting)
    form = CarryForwardForm()
    form.items.choices = [(item.id, item.title) for item in candidates]
    if request.method == "GET":
        form.items.data = [item.id for item in candidates]
    if form.validate_on_submit():
        target, copied = carry_forward(meeting, form.items.data or [], now=g_now())
        db.session.commit()
        if copied:
            flash(_("%(num)d agenda item(s) carried forward.") % {"num": len(copied)}, "success")
            return redirect(url_for("meetings.show", meeting_id=target.id) + "#agenda")
        flash(_("Nothing was carried forward."), "info")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template(
        "commitments/carry.html",
        meeting=meeting,
        engagement=meeting.engagement,
        target=target,
        candidates=candidates,
        form=form,
    )


@bp.route("/meetings/<int:meeting_id>/brief")
def brief(meeting_id: int):
    meeting = meeting_for(meeting_id)
    return render_template(
        "commitments/brief.html",
        meeting=meeting,
        engagement=meeting.engagement,
        brief=meeting_brief(meeting, now=g_now()),
    )


def _engagement_panel(engagement, now) -> dict:
    rows = attention(engagement, now=now)
    reached, partly, recorded = outcome_share(engagement)
    return {
        "position": "top",
        "rows": rows,
        "reached": reached,
        "partly": partly,
        "recorded": recorded,
        "held": held_meeting_count(engagement, now=now),
        "quiet": quiet_contacts(engagement, now=now),
    }


def _brief_panel(meeting, now) -> dict | None:
    if meeting.status == "cancelled":
        return None
    # Before the meeting the brief leads the page; once it has started, the outcome does.
    position = "bottom" if can_record_outcome(meeting, now=now) else "top"
    return {"brief": meeting_brief(meeting, now=now), "position": position}


def _outcome_panel(meeting, now) -> dict | None:
    if not can_record_outcome(meeting, now=now):
        return None
    form = OutcomeForm(formdata=None, meta={"zone": meeting.engagement.timezone})
    recorded = db.session.get(MeetingOutcome, meeting.id)
    if recorded is not None:
        form.reached.data, form.why.data, form.decisions.data = (
            recorded.reached,
            recorded.why,
            recorded.decisions,
        )
    actions = db.session.scalars(db.select(Commitment).where(Commitment.meeting_id == meeting.id)).all()
    return {
        "form": form,
        "recorded": recorded,
        "actions": [(c, c.current_status(now)) for c in actions],
        "carry": carry_candidates(meeting),
    }


register_panel("engagement", "commitments", "commitments/_attention_panel.html", _engagement_panel, order=5)
register_panel("meeting", "brief", "commitments/_brief_panel.html", _brief_panel, order=20)
register_panel("meeting", "outcome", "commitments/_outcome_panel.html", _outcome_panel, order=30)
register_tab("commitments.index", _l("Commitments"), order=30)
