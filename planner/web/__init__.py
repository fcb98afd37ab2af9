"""Web pages: blueprints, the login guard, error pages and template helpers."""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import timedelta

from flask import Flask, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, SecurityError

from planner.extensions import db
from planner.models import utcnow
from planner.web.public import is_public

log = logging.getLogger(__name__)


def _blueprints():
    from planner.web import (
        auth,
        booking,
        commitments,
        contacts,
        engagements,
        feeds,
        health,
        meetings,
        plans,
        schedule_views,
        settings,
    )
    from planner.web import calendars as calendar_views
    from planner.web import requests as request_views

    # One line per feature; the order is the order of their URL rules.
    return [
        auth.bp,
        health.bp,
        engagements.bp,
        meetings.bp,
        settings.bp,
        schedule_views.bp,
        contacts.bp,
        commitments.bp,
        request_views.bp,
        feeds.bp,
        calendar_views.bp,
        plans.bp,
        booking.bp,
    ]


# Features no page uses, refused to any script that would ask for them.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/healthz")


def register_web(app: Flask) -> None:
    """Blueprints, the private-by-default guard, errors, filters and security headers."""
    for bp in _blueprints():
        app.register_blueprint(bp)

    from planner.web.formatting import register_filters

    register_filters(app)

    from planner.input_guard import install as guard_input

    # Before any view: what no database stores is refused with a 422 naming the field.
    guard_input(app)

    @app.before_request
    def require_login():
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if view is None or is_public(view) or request.endpoint == "static":
            return None
        if request.blueprint == "api":
            return None  # the API authenticates bearer tokens itself
        if not current_user.is_authenticated:
            if request.method in ("GET", "HEAD"):
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            return render_template("errors/error.html", code=401, message=_("Please log in.")), 401
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' mailto:",
        )
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            # Cookies that only travel over https ask the browser to come back over https only.
            response.headers.setdefault("Strict-Transport-Security", app.config["HSTS"])
        user = g.get("_login_user")  # only when this request loaded it: public pages read no user
        if request.blueprint == "api" or (user is not None and user.is_authenticated):
            # What a logged-in person or a token sees is theirs: no browser or proxy keeps a copy.
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response

    @app.context_processor
    def template_helpers():
        from flask_babel import get_locale

        from planner.purpose import is_vague
        from planner.web.access import can_edit, is_owner
        from planner.web.panels import render_panels, tabs

        return {
            "render_panels": render_panels,
            "engagement_tabs": tabs,
            "can_edit": can_edit,
            "is_owner": is_owner,
            "now": g_now(),
            "purpose_is_vague": is_vague,
            "current_locale": lambda: str(get_locale() or "en"),
            "has_endpoint": lambda name: name in app.view_functions,
            "timedelta": timedelta,
        }

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("This form has expired or was sent from elsewhere. Please reload the page and try again.")
        if wants_json():
            return jsonify(error=message), 400
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(StaleDataError)
    def stale(error):
        db.session.rollback()
        message = _("Someone else changed this meeting while you were editing. Reload to see their version.")
        if wants_json():
            return jsonify(error=message), 409
        flash(message, "error")
        return render_template("errors/error.html", code=409, message=message), 409

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # A Host outside TRUSTED_HOSTS: no page can be built for it (no URL can be), so a plain answer.
        return _("This address is not served here."), 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # A 405 says which methods the address takes, as HTTP asks.
        allow = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            allow = {"Allow": ", ".join(sorted(error.valid_methods))}
        if wants_json():
            return jsonify(error=error.description or error.name), error.code, allow
        message = error.description
        if message == type(error).description:
            # Werkzeug's stock description is English only; a page speaks the reader's language.
            message = _("This request could not be handled. Please go back and try again.")
        return render_template("errors/error.html", code=error.code, message=message), error.code, allow

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # The last resort: roll back and answer without a stack trace, touching neither the database nor
        # the user (a rollback expires them, and reloading during an outage would lose the answer's shape).
        if app.testing and not app.config.get("SHOW_ERROR_PAGE"):
            raise error
        g.request_failure = error  # logged once, with the request's line (planner/logging.py)
        if isinstance(error, DBAPIError) and (
            error.connection_invalidated or isinstance(error, OperationalError)
        ):
            return server_error(503, _database_text, writes=request.method not in ("GET", "HEAD"))
        return server_error(500, _unloaded_text)


def _unloaded_text() -> str:
    return _("Something went wrong on our side. Nothing you entered was changed.")


def _database_text() -> str:
    if request.method in ("GET", "HEAD"):
        return _("The database is not answering at the moment. Please try again in a minute.")
    # A connection lost during a commit leaves its outcome unknown: never claim nothing was saved.
    return _(
        "The database stopped answering while this was being saved, so it may or may not have been saved. "
        "Reload the page to check before sending it again."
    )


def server_error(code: int, message, *, writes: bool = False):
    """A 5xx answer built from memory only: JSON on API routes, a plain page elsewhere."""
    g.locale = _locale_in_memory()
    with suppress(Exception):  # a connection that is gone cannot roll back; the pool replaces it
        db.session.rollback()
    headers = {"Retry-After": "5"} if code == 503 else {}
    try:
        text = message() if callable(message) else message
        if wants_json():
            return (jsonify(error=text, saved="unknown") if writes else jsonify(error=text)), code, headers
        return render_template("errors/server.html", code=code, message=text), code, headers
    except Exception:  # noqa: BLE001 - even the template failed: still an answer of our own
        log.warning("the error page could not be rendered", exc_info=True)
        body = "Something went wrong on our side. Nothing you entered was changed."
        if wants_json():
            return jsonify(error=body), code
        return f"<!doctype html><title>{code}</title><p>{body}</p>", code, {"Content-Type": "text/html"}


def _locale_in_memory() -> str:
    """The language to answer in, from what this request already holds: never a query."""
    if g.get("locale"):
        return g.locale
    user = g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    if state is not None and state.dict.get("locale"):
        return state.dict["locale"]
    return request.accept_languages.best_match(["en", "ja"]) or "en"


def g_now():
    """One `now` per request, so a page shows a consistent moment."""
    if "now" not in g:
        g.now = utcnow()
    return g.now
