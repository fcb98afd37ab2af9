"""The user's own settings: name, language, password, API tokens and personal calendars."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from planner.caldav_types import CalDAVError
from planner.calendar_texts import sync_error_text
from planner.extensions import db, limiter
from planner.forms.auth import PasswordForm, SettingsForm, TokenForm
from planner.forms.calendars import BusyCalendarForm
from planner.models import ApiToken
from planner.operations.busy_calendars import add_busy_calendar, busy_calendars, remove_busy_calendar
from planner.operations.people import change_password, create_api_token, end_sessions, revoke_api_token
from planner.web import g_now

bp = Blueprint("settings", __name__, url_prefix="/settings")


def _page(**forms):
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).all()
    forms.setdefault("form", SettingsForm(obj=current_user, formdata=None))
    forms.setdefault("password_form", PasswordForm(formdata=None))
    forms.setdefault("token_form", TokenForm(formdata=None))
    forms.setdefault("calendar_form", BusyCalendarForm(formdata=None))
    calendars = busy_calendars(current_user.id)
    return render_template("settings/index.html", tokens=tokens, calendars=calendars, **forms)


@bp.route("/", methods=["GET", "POST"])
def index():
    form = SettingsForm(obj=current_user)
    if form.validate_on_submit():
        current_user.name = (form.name.data or "").strip()
        for key in ("company", "title", "phone"):
            setattr(current_user, key, (getattr(form, key).data or "").strip())
        current_user.locale = form.locale.data or None
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for(".index"))
    return _page(form=form), (400 if form.errors else 200)


def _this_user() -> str:
    return f"user:{current_user.id}"


def _wrong_password(response) -> bool:
    return response.status_code == 400


@bp.route("/password", methods=["POST"])
# Someone holding a stolen session cannot guess the current password at leisure to take the account over.
@limiter.limit("10 per hour", key_func=_this_user, deduct_when=_wrong_password)
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("That is not your current password."))
        else:
            user = current_user._get_current_object()
            change_password(user, form.new.data)
            db.session.commit()
            login_user(user, remember=True)  # this browser goes on; every other session has ended
            flash(_("Password changed. You are logged out everywhere else."), "success")
            return redirect(url_for(".index"))
    return _page(password_form=form), 400


@bp.route("/sessions/end", methods=["POST"])
def end_other_sessions():
    """Log out every other browser and device; this one stays logged in."""
    user = current_user._get_current_object()
    end_sessions(user)
    db.session.commit()
    login_user(user, remember=True)
    flash(_("You are logged out everywhere else."), "success")
    return redirect(url_for(".index"))


@bp.route("/tokens", methods=["POST"])
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        token = create_api_token(current_user, label=form.label.data.strip(), now=g_now())
        db.session.commit()
        # Shown once, on this response only; only its hash is kept.
        return _page(new_token=token)
    return _page(token_form=form), 400


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int):
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:
        abort(404)  # someone else's token is not even there for you
    revoke_api_token(row, now=g_now())
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for(".index"))


@bp.route("/calendars", methods=["POST"])
def add_calendar():
    """Link a calendar of one's own: it is read once, and nothing is kept when it cannot be read."""
    form = BusyCalendarForm()
    if form.validate_on_submit():
        try:
            add_busy_calendar(
                current_user._get_current_object(),
                url=form.url.data,
                username=form.username.data or "",
                password=form.password.data or "",
                calendar_url=form.calendar_url.data or "",
                now=g_now(),
            )
        except CalDAVError as error:
            form.url.errors.append(sync_error_text(error.code, error.params, str(error)))
        else:
            db.session.commit()
            flash(_("Calendar linked: proposed times now keep clear of what is in it."), "success")
            return redirect(url_for(".index"))
    return _page(calendar_form=form), 400


@bp.route("/calendars/<int:calendar_id>/remove", methods=["POST"])
def remove_calendar(calendar_id: int):
    if not FlaskForm().validate_on_submit() or not remove_busy_calendar(current_user, calendar_id):
        abort(404)
    db.session.commit()
    flash(_("Calendar unlinked."), "success")
    return redirect(url_for(".index"))


@bp.route("/language", methods=["POST"])
def language():
    """The footer's language switch: saved on the user, so every page and mail follows."""
    from flask import request

    from planner.web.auth import safe_next

    choice = request.form.get("locale")
    if FlaskForm().validate_on_submit() and choice in ("en", "ja"):
        current_user.locale = choice
        db.session.commit()
    return redirect(safe_next(request.form.get("next")))
