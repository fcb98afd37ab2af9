"""Fixtures for the API and access tests: a crew with every role and tokens, and a database snapshot."""

from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from planner.extensions import db
from planner.models import utcnow

# Token bookkeeping (last used) may change on any authenticated request; nothing else may.
UNWATCHED_TABLES = {"api_tokens", "alembic_version"}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (but token bookkeeping), to prove a refused request changed nothing."""
    db.session.expire_all()
    out = {}
    for table in db.metadata.sorted_tables:
        if table.name in UNWATCHED_TABLES:
            continue
        rows = db.session.execute(select(table)).all()
        out[table.name] = sorted((tuple(map(repr, row)) for row in rows), key=repr)
    db.session.rollback()
    return out


def quick_user(email: str, name: str):
    """A user whose password hash is cheap to make: these tests are about access, not hashing."""
    from conftest import PASSWORD, quick_password_hash

    from planner.models import User

    user = User(email=email, name=name, password_hash=quick_password_hash(PASSWORD))
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def crew(app, make_engagement, make_meeting, api_headers):
    """A Tokyo engagement: owner, member, viewer, a stranger, a contact, a meeting with an agenda item."""
    from planner.operations.contacts import create_contact
    from planner.operations.people import add_member
    from planner.operations.schedule import add_agenda_item

    owner = quick_user("owner@example.com", "田中 健")
    member = quick_user("member@example.com", "Mia Member")
    viewer = quick_user("viewer@example.com", "Vic Viewer")
    stranger = quick_user("stranger@example.com", "Sam Stranger")
    engagement = make_engagement(owner=owner, starts_on=None)
    add_member(engagement, member, "member")
    add_member(engagement, viewer, "viewer")
    contact = create_contact(
        engagement,
        {"name": "佐藤 由美", "organisation": "さくら商事", "email": "sato@example.jp", "language": "ja"},
        now=utcnow(),
    )
    db.session.commit()
    meeting = make_meeting(
        engagement,
        starts_at=datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")),
        contact_ids=[contact.id],
        user_ids=[owner.id],
    )
    item = add_agenda_item(meeting, title="Screens list", minutes=20, notes="From the RFP", now=utcnow())
    db.session.commit()
    return SimpleNamespace(
        owner=owner,
        member=member,
        viewer=viewer,
        stranger=stranger,
        engagement=engagement,
        contact=contact,
        meeting=meeting,
        item=item,
        headers={
            "owner": api_headers(owner),
            "member": api_headers(member),
            "viewer": api_headers(viewer),
            "stranger": api_headers(stranger),
        },
    )


@pytest.fixture
def lone(app, api_headers):
    """A user in no engagement yet, with API headers."""
    user = quick_user("lone@example.com", "Lee Lone")
    return SimpleNamespace(user=user, headers=api_headers(user))


# --- walking the URL map ---------------------------------------------------------------------

ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def fill(rule: str, ids: dict[str, int] | None = None, default_id: int = 1) -> str:
    """A concrete URL for a rule: ids from `ids` by argument name, a dummy for anything else."""

    def value(match: re.Match) -> str:
        converter, args, name = match.groups()
        if converter == "int":
            return str((ids or {}).get(name, default_id))
        if converter == "any":
            return args.split(",")[0].strip().strip("'\"")
        return "x"

    return ARGUMENT.sub(value, rule)


def rules(app, methods: set[str] | None = None, *, with_ids: bool = False):
    """(rule, method) for every rule of the app, optionally only some methods or only rules with ids."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if with_ids and "<int:" not in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if methods is None or method in methods:
                yield rule, method


def is_api(rule) -> bool:
    return rule.rule.startswith("/api/")
