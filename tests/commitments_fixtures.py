"""Fixtures for commitments, contacts and outcomes: a team, a client contact and meetings at fixed times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from planner.extensions import db
from planner.operations.contacts import create_contact


@pytest.fixture
def team(make_user, make_engagement):
    """An engagement in Tokyo with an owner, a member, a viewer and a client contact."""
    from planner.operations.people import add_member

    owner = make_user("owner@example.com", name="田中 健")
    member = make_user("member@example.com", name="Mia Member", locale="en")
    viewer = make_user("viewer@example.com", name="Vic Viewer")
    outsider = make_user("outsider@example.com", name="Otto Outsider")
    engagement = make_engagement(owner=owner, country="JP")
    add_member(engagement, member, "member")
    add_member(engagement, viewer, "viewer")
    contact = create_contact(
        engagement,
        {
            "name": "佐藤 由美",
            "organisation": "さくら商事",
            "role": "情報システム部長",
            "email": "sato@example.jp",
            "language": "ja",
            "preferred_channel": "phone",
            "readers": "committee",
            "prefers_format": "diagrams",
        },
        now=datetime(2026, 1, 5, tzinfo=UTC),
    )
    db.session.commit()
    return {
        "engagement": engagement,
        "owner": owner,
        "member": member,
        "viewer": viewer,
        "outsider": outsider,
        "contact": contact,
    }
