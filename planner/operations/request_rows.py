"""A new request kept as plain values until its row and history are written without the unit of work, which
costs more than the rest of a request to the API.

On PostgreSQL the row, its history and the engagement's activity counter go in one statement, a single round
trip. When the caller writes nothing else and the session has neither begun nor anything to flush, that
statement is its own transaction. Elsewhere (SQLite, in-process) they are three statements in the session's
transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, event, func, insert, literal_column, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from planner.models import Contact, Engagement
from planner.models.activity import note_change, record_counts
from planner.models.requests import MeetingRequest, RequestEvent

_REQUESTS = MeetingRequest.__table__
_EVENTS = RequestEvent.__table__
_ENGAGEMENTS = Engagement.__table__
_COLUMNS = tuple(c for c in _REQUESTS.c if c.key != "id")
_EVENT_COLUMNS = ("kind", "detail", "actor_id", "created_at")


def _one_statement():
    """INSERT the request, INSERT its history from arrays, bump the counter: built once, for PostgreSQL."""
    new = (
        insert(_REQUESTS)
        # Named apart from every column: parameters named as a column would also be set by the UPDATE.
        .values({c.key: bindparam(f"new_{c.key}", type_=c.type) for c in _COLUMNS})
        .returning(_REQUESTS.c.id)
        .cte("new_request")
    )
    history = select(
        new.c.id,
        func.unnest(bindparam("event_kinds", type_=ARRAY(_EVENTS.c.kind.type))),
        func.unnest(bindparam("event_details", type_=ARRAY(_EVENTS.c.detail.type))),
        bindparam("event_actor_id", type_=_EVENTS.c.actor_id.type),
        bindparam("event_at", type_=_EVENTS.c.created_at.type),
    )
    written = insert(_EVENTS).from_select(["request_id", *_EVENT_COLUMNS], history).cte("history")
    bump = (
        update(_ENGAGEMENTS)
        .where(_ENGAGEMENTS.c.id == bindparam("new_engagement_id"))
        .values(activity=_ENGAGEMENTS.c.activity + literal_column("1"))
        .returning(_ENGAGEMENTS.c.activity)
        .cte("bump")
    )
    return select(new.c.id, bump.c.activity).select_from(new.join(bump, true())).add_cte(written)


_WRITE = _one_statement()


def _default_of(column) -> Any:
    """What the unit of work would have written for a column left unset."""
    default = column.default
    if default is None:
        return None
    if default.is_callable:
        return default.arg(None)
    if default.is_scalar:
        return default.arg
    raise ValueError(f"{column.key}: a SQL default is not known before the insert")


def row_values(given: dict[str, Any]) -> dict[str, Any]:
    """Every column of a new request: as given, else its default."""
    return {c.key: given[c.key] if c.key in given else _default_of(c) for c in _COLUMNS}


class NewRequest:
    """A request not yet written, read and changed as a MeetingRequest is: its columns are plain values.

    Triage and the drafted reply run on it before the row exists, without the ORM's bookkeeping.
    """

    __slots__ = ("values", "engagement", "contact", "events", "id")

    def __init__(self, values: dict[str, Any], engagement: Engagement, contact: Contact | None) -> None:
        set_slot = object.__setattr__  # past __setattr__, which takes column names only
        set_slot(self, "values", row_values(values))
        set_slot(self, "engagement", engagement)
        set_slot(self, "contact", contact)
        set_slot(self, "events", [])
        set_slot(self, "id", None)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "id":
            object.__setattr__(self, name, value)
        elif name in self.values:
            self.values[name] = value
        else:
            raise AttributeError(f"a request has no column {name}")

    def add_event(self, kind: str, detail: str, actor_id: int | None, at: datetime) -> None:
        self.events.append({"kind": kind, "detail": detail, "actor_id": actor_id, "created_at": at})


def write_request(
    session: Session, values: dict[str, Any], events: list[dict[str, Any]], *, alone: bool = False
) -> int:
    """Write a request's row and its history, count the change for its engagement; returns the new id.

    `alone`: the commit that follows writes nothing else, so with no transaction begun yet the statement
    can be its own transaction, without a BEGIN and a COMMIT round trip.
    """
    if session.get_bind().dialect.name == "postgresql" and _shared(events):
        pending = session.new or session.dirty or session.deleted
        own = alone and not pending and not session.info.get(_BEGUN)
        options = {"isolation_level": "AUTOCOMMIT"} if own else {}
        params = {f"new_{key}": value for key, value in values.items()} | {
            "event_kinds": [e["kind"] for e in events],
            "event_details": [e["detail"] for e in events],
            "event_actor_id": events[0]["actor_id"],
            "event_at": events[0]["created_at"],
        }
        row = session.connection(execution_options=options).execute(_WRITE, params).one()
        record_counts(session, {values["engagement_id"]: row.activity})
        return row.id
    return _write_apart(session.connection(), session, values, events)


# Set while the session's transaction holds a connection (a statement has run in it).
_BEGUN = "planner_connection_begun"


@event.listens_for(Session, "after_begin")
def _note_begun(session: Session, _transaction, _connection) -> None:
    session.info[_BEGUN] = True


@event.listens_for(Session, "after_transaction_end")
def _note_ended(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_BEGUN, None)


def _shared(events: list[dict[str, Any]]) -> bool:
    """The one statement takes one actor and time for the whole history, as a new request's has."""
    return bool(events) and len({(e["actor_id"], e["created_at"]) for e in events}) == 1


def _write_apart(connection: Connection, session: Session, values: dict, events: list[dict]) -> int:
    request_id = connection.execute(insert(_REQUESTS).returning(_REQUESTS.c.id), values).scalar_one()
    if events:
        connection.execute(insert(_EVENTS), [{"request_id": request_id, **e} for e in events])
    note_change(session, values["engagement_id"])
    return request_id
