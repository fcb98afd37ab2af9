"""ORM objects to and from plain column values, for rows remembered between requests or just written."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from planner.extensions import db

Columns = dict[str, Any]

# Never kept in memory: a login reads it from the database.
_SECRET_COLUMNS = frozenset({"password_hash"})


def columns_of(obj) -> Columns:
    """The loaded column values of an ORM object (no query for one not loaded), secrets left out."""
    state = db.inspect(obj)
    return {
        attr.key: state.dict[attr.key]
        for attr in state.mapper.column_attrs
        if attr.key in state.dict and attr.key not in _SECRET_COLUMNS
    }


def attached(model: type, columns: Columns):
    """The row as an object of this request's session, without a query."""
    session = db.session()
    found = session.identity_map.get(identity_key(model, columns["id"]))
    if found is not None:
        return found
    # Filled in as a query's load fills it: through the constructor every column would be a change to track.
    obj = db.inspect(model).class_manager.new_instance()
    db.inspect(obj).dict.update(columns)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
