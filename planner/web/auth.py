"""Logging in and out."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from planner.client_address import account_key
from planner.extensions import db, limiter
from planner.forms.auth import LoginForm
from planner.operations.people import accept_invitations, authenticate, end_sessions
from planner.web.public import public

bp = Blueprint("auth", __name__)


# A path on this site and its query, in plain URL characters: no scheme, no host, no "//" or "/\\" that a
# browser would read as another host, no space, control character or line break.
_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*")


def safe_next(target: str | None) -> str:
    """Only plain local paths, so a login link cannot send people elsewhere; anything else is ignored."""
    if target and len(target) <= 2000 and _LOCAL_PATH.fullmatch(target) and not urlsplit(target).netloc:
        return target
    return url_for("engagements.index")


def _refused(response) -> bool:
    # Only a password that was checked and refused counts; a 429 never reached the check.
    return response.status_code == 400


@bp.route("/login", methods=["GET", "POST"])
# Per client address (behind the trusted proxies): guessing is slow from any one place ...
@limiter.limit("10 per minute;30 per hour", methods=["POST"])
# ... and per account, counting failures only, so guessing from many places is slow too; one address alone
# (30 an hour) cannot use up an account's 50 and lock its owner out.
@limiter.limit("50 per hour", methods=["POST"], key_func=account_key, deduct_when=_refused)
@public
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            target = safe_next(request.args.get("next"))
            # A new session: nothing set before the login (by anyone who planted a cookie) carries over.
            session.clear()
            user.login_stamp = int(time.time())
            login_user(user, remember=True)
            if accept_invitations(user):
                db.session.commit()
            return redirect(target)
        flash(_("Wrong email or password."), "error")
    return render_template("auth/login.html", form=form), (200 if request.method == "GET" else 400)


@bp.route("/logout", methods=["POST"])
def logout():
    # Every copy of this user's cookies stops working, not only the ones this browser deletes.
    end_sessions(current_user)
    db.session.commit()
    session.clear()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/")
def home():
    return redirect(url_for("engagements.index"))
