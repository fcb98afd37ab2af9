"""JSON API v1: bearer tokens, JSON errors, one module per feature."""

from __future__ import annotations

import logging
from contextlib import suppress

from flask import Blueprint, Flask, g, request
from sqlalchemy.exc import SQLAlchemyError

from planner.api.common import ApiError, json_error, token_user
from planner.extensions import csrf
from planner.input_guard import check_api_body
from planner.models import utcnow

log = logging.getLogger(__name__)
api = Blueprint("api", __name__, url_prefix="/api/v1")


@api.before_request
def authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    g.now = utcnow()
    user = token_user(token.strip(), now=g.now) if scheme.lower() == "bearer" else None
    if user is None:
        response = json_error(401, "A valid bearer token is needed (Authorization: Bearer <token>).")
        response.headers["WWW-Authenticate"] = 'Bearer realm="planner"'
        return response
    g.api_user = user
    check_api_body()  # after the token: a stranger learns nothing about the body it sent
    if user.locale and "Accept-Language" not in request.headers:
        g.locale = user.locale  # the API answers in the caller's own language unless the call asks for one
    return None


@api.after_request
def commit_token_use(response):
    # Token bookkeeping (last used) is kept even when the request itself changed nothing.
    from planner.extensions import db

    if db.session.dirty and response.status_code < 400:
        try:
            db.session.commit()
        except SQLAlchemyError as error:
            # Only bookkeeping is lost; the answer stands for what the request itself committed.
            log.warning("could not note an API token's use: %s", error)
            with suppress(SQLAlchemyError):
                db.session.rollback()
    return response


@api.errorhandler(ApiError)
def api_error(error: ApiError):
    return json_error(error.status, error.message, error.fields)


def _modules():
    # One line per feature module; importing it attaches its routes to `api`.
    from planner.api import calendars as calendar_api
    from planner.api import commitments, contacts, engagements, feeds, me, meetings, openapi
    from planner.api import requests as request_api

    return [openapi, me, engagements, contacts, meetings, request_api, commitments, calendar_api, feeds]


def register_api(app: Flask) -> None:
    """Load the feature modules (their routes attach to `api`), then register it without CSRF."""
    _modules()
    csrf.exempt(api)
    app.register_blueprint(api)
