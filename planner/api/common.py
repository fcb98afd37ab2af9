"""What every API module shares: the caller, access checks, JSON errors and JSON-to-form validation."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from datetime import time as time_of_day
from typing import Any

from babel import support
from flask import abort, current_app, g, has_app_context, jsonify, make_response, request
from flask_babel import get_locale
from sqlalchemy import bindparam, event, select
from werkzeug.datastructures import MultiDict
from wtforms.i18n import messages_path

from planner.extensions import db
from planner.feed_cache import FeedStateCache
from planner.models import ApiToken, Contact, Engagement, Meeting, Membership, User
from planner.models.people import ROLES
from planner.models.rows import attached, columns_of
from planner.tokens import token_hash
from planner.web.access_cache import recall_rows, remember
from planner.web.converters import MAX_ID
from planner.web.feeds import feed_state_ttl

# The user's columns a remembered token brings back; the password hash stays out of memory.
_USER_COLUMNS = ("id", "email", "name", "locale", "created_at", "company", "title", "phone")


def api_user() -> User:
    return g.api_user


@dataclass(frozen=True)
class TokenState:
    """What a bearer token stood for when last read: its user's columns."""

    user: dict[str, Any]
    # FeedStateCache keeps this beside each entry; the token's use is noted on every re-read instead.
    last_used_at: datetime | None = None


def _token_states() -> FeedStateCache:
    return current_app.extensions.setdefault("planner_api_tokens", FeedStateCache())


def _clock() -> float:
    return time.monotonic()


def token_user(token: str, *, now: datetime) -> User | None:
    """The active user behind a bearer token, trusted from memory for FEED_STATE_TTL seconds (as feeds are).

    Every lookup past that age reads the token again (and notes its use, as `user_for_token` does); a
    revocation or a change of token or user in this process forgets every remembered token at once.
    """
    from planner.operations.people import user_for_token

    ttl = feed_state_ttl()
    if ttl <= 0 or not token or len(token) > 200:
        return user_for_token(token, now=now)
    key, clock = token_hash(token), _clock()
    entry = _token_states().get(key, clock, ttl)
    if entry is not None:
        return attached(User, entry.state.user)
    user = user_for_token(token, now=now)
    if user is not None:
        _token_states().put(key, TokenState({c: getattr(user, c) for c in _USER_COLUMNS}), clock)
    return user


def _forget_on_change(memory: str, *models) -> None:
    """Empty this app's `memory` whenever a row of `models` is changed or removed in this process."""

    def forget(*_args) -> None:
        if has_app_context():
            remembered = current_app.extensions.get(memory)
            if remembered is not None:
                remembered.clear()

    for model in models:
        event.listen(model, "after_update", forget)
        event.listen(model, "after_delete", forget)


# A revoked token or a changed user is not trusted a moment longer here.
_forget_on_change("planner_api_tokens", ApiToken, User)


def json_error(status: int, message: str, fields: dict | None = None):
    body: dict = {"error": message}
    if fields:
        body["fields"] = fields
    return make_response(jsonify(body), status)


class ApiError(Exception):
    """Raised anywhere in an API view to answer with a JSON error."""

    def __init__(self, status: int, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields


def _check_role(found: str | None, role: str) -> None:
    if found is None:
        abort(404, description="Not found.")
    if ROLES.index(found) < ROLES.index(role):
        abort(403, description=f"Your role on this engagement is {found}; this needs {role}.")


def check_api_role(engagement: Engagement | None, role: str) -> Engagement:
    if engagement is None:
        abort(404, description="Not found.")
    found = engagement.membership_of(api_user())
    _check_role(found.role if found else None, role)
    return engagement


def api_engagement(engagement_id: int, role: str = "viewer") -> Engagement:
    """The engagement for a caller with at least `role` on it (404 for anyone else), in one query."""
    return api_engagement_with_contact(engagement_id, role)[0]


def _member_query(with_contact: bool):
    """The engagement with the caller's membership (and one contact of it), built once for every request."""
    query = (
        select(Engagement, Membership)
        .outerjoin(
            Membership,
            (Membership.engagement_id == Engagement.id) & (Membership.user_id == bindparam("user_id")),
        )
        .where(Engagement.id == bindparam("engagement_id"))
    )
    if with_contact:
        query = query.add_columns(Contact).outerjoin(
            Contact, (Contact.id == bindparam("contact_id")) & (Contact.engagement_id == Engagement.id)
        )
    return query


# Building a statement costs about as much as running it; these two run on most API requests.
_MEMBER = {False: _member_query(False), True: _member_query(True)}


def api_engagement_with_contact(
    engagement_id: int, role: str = "viewer", contact_id: Any = None
) -> tuple[Engagement, Contact | None]:
    """The engagement as `api_engagement` gives it, and its contact `contact_id` if that is one of its own.

    The caller's access is trusted from memory as on the web (planner/web/access_cache.py), and so is the
    contact; otherwise one round trip brings the membership and the contact joined to the engagement's row.
    """
    wanted = (
        contact_id
        if isinstance(contact_id, int) and not isinstance(contact_id, bool) and 0 < contact_id <= MAX_ID
        else None
    )
    user = api_user()
    known = recall_rows(user.id, engagement_id)
    if known is not None and known[1] is not None:
        # Only the engagement becomes an object: the role is all the membership is needed for.
        _check_role(known[2][1]["role"] if known[2] is not None else None, role)
        engagement = attached(Engagement, known[1][1])
        return engagement, remembered_contact(engagement, wanted) if wanted is not None else None
    params = {"engagement_id": engagement_id, "user_id": user.id, "contact_id": wanted}
    row = db.session.execute(_MEMBER[wanted is not None], params).first()
    if row is None:
        abort(404, description="Not found.")
    remember(user.id, engagement_id, (user, row[0], row[1]))
    _check_role(row[1].role if row[1] is not None else None, role)
    contact = row[2] if wanted is not None else None
    if contact is not None:
        _remember_contact(contact)
    return row[0], contact


# -- contacts, trusted from memory for FEED_STATE_TTL seconds like access ---------------------------------


def _contacts() -> FeedStateCache:
    return current_app.extensions.setdefault("planner_api_contacts", FeedStateCache(max_entries=4096))


@dataclass(frozen=True)
class _ContactColumns:
    columns: dict[str, Any]
    last_used_at: None = None  # FeedStateCache keeps this beside each entry


def _remember_contact(contact: Contact) -> None:
    if feed_state_ttl() > 0:
        key = f"{contact.engagement_id}:{contact.id}"
        _contacts().put(key, _ContactColumns(columns_of(contact)), _clock())


def remembered_contact(engagement: Engagement, contact_id: int) -> Contact | None:
    """The engagement's contact `contact_id`, or None when it has no such contact."""
    ttl = feed_state_ttl()
    entry = _contacts().get(f"{engagement.id}:{contact_id}", _clock(), ttl) if ttl > 0 else None
    if entry is not None:
        return attached(Contact, entry.state.columns)
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.engagement_id != engagement.id:
        return None
    _remember_contact(contact)
    return contact


_forget_on_change("planner_api_contacts", Contact)


def api_meeting(meeting_id: int, role: str = "viewer") -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    check_api_role(meeting.engagement if meeting else None, role)
    return meeting


def json_body() -> dict:
    """The request's JSON object, or a 400 that says what is wrong."""
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        payload = None  # nested beyond what the parser can read: refused like any unreadable body
    if not isinstance(payload, dict):
        raise ApiError(400, "The body must be a JSON object (Content-Type: application/json).")
    return payload


def _as_form_values(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool):
        return ["y"] if value else []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None and not isinstance(v, dict | list)]
    if isinstance(value, dict):
        return ["\x00invalid"]
    if isinstance(value, datetime):
        return [value.isoformat()]
    if isinstance(value, time_of_day):
        return [value.strftime("%H:%M")]
    return [str(value)]


def _wtforms_translations(_form):
    """WTForms' own messages in the request's language, read from disk once per process and language."""
    if not current_app.config.get("WTF_I18N_ENABLED", True):
        return None
    locale = str(get_locale() or "en")
    loaded: dict = current_app.extensions.setdefault("planner_wtforms_translations", {})
    if locale not in loaded:
        loaded[locale] = support.Translations.load(messages_path(), [locale], domain="wtforms")
    return loaded[locale]


def form_from_json(form_class, payload: dict, **kwargs):
    """Validate a JSON object with a WTForms form; raise a 422 naming each bad field."""
    formdata = MultiDict()
    for key, value in payload.items():
        for item in _as_form_values(value):
            formdata.add(key, item)
    meta = {"csrf": False, "get_translations": _wtforms_translations, "exact_input": True} | kwargs.pop(
        "meta", {}
    )
    prepare = kwargs.pop("prepare", None)
    form = form_class(formdata=formdata, meta=meta, **kwargs)
    if prepare:
        prepare(form)
    if not form.validate():
        raise ApiError(
            422, "Some fields are not valid.", {k: [str(m) for m in v] for k, v in form.errors.items()}
        )
    return form


def iso(value: datetime | None, zone=None) -> str | None:
    """ISO 8601 with the offset, in the engagement's zone when given."""
    if value is None:
        return None
    return (value.astimezone(zone) if zone else value).isoformat()
