"""Schemathesis over /api/v1/openapi.json: no 5xx, every answer as documented, for generated requests."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import content_type_conformance, not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from planner import netguard
from planner.extensions import db
from planner.models import utcnow

# Enough to reach every documented answer of every operation, bounded so the whole run takes about a minute.
EXAMPLES = 75
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def _no_dns(host, port, *args, **kwargs):
    # Generated server addresses are never looked up: nothing leaves the machine.
    raise socket.gaierror(socket.EAI_NONAME, "not resolved in tests")


@pytest.fixture
def world(make_app, make_user, make_engagement, make_meeting, api_token, monkeypatch):
    """An engagement with a meeting, an agenda item, a contact, a commitment, a request and a feed."""
    from planner.models import CalendarLink
    from planner.operations.calendars import encrypt_password
    from planner.operations.commitments import create_commitment
    from planner.operations.contacts import create_contact
    from planner.operations.feeds import create_feed
    from planner.operations.requests import receive_request
    from planner.operations.schedule import add_agenda_item

    monkeypatch.setattr(netguard, "_resolve", _no_dns)
    app = make_app(CALDAV_ALLOW_PRIVATE_HOSTS=False)
    with app.app_context():
        owner = make_user(email="owner@example.com")
        engagement = make_engagement(owner=owner)
        now = utcnow()
        contact = create_contact(engagement, {"name": "Sato", "email": "sato@example.jp"}, now=now)
        db.session.commit()
        meeting = make_meeting(engagement, starts_at=now + timedelta(days=7))
        item = add_agenda_item(meeting, title="Scope", minutes=15, now=now)
        commitment = create_commitment(
            engagement,
            {"title": "Estimate", "owed_by": "us", "due_at": now + timedelta(days=3)},
            actor=owner,
            now=now,
        )
        feed, _token = create_feed(engagement, label="Client", audience="client", user=owner, now=now)
        req = receive_request(
            engagement,
            {"topic": "Login errors", "reasons": ["nuance"], "expected_minutes": 15, "people": 1},
            received_via="api",
            now=now,
        )
        link = CalendarLink(
            engagement_id=engagement.id,
            server_url="https://calendar.example.com/dav/",
            calendar_url="https://calendar.example.com/dav/planner/",
            username="owner",
            secret=encrypt_password("app password"),
        )
        db.session.add(link)
        from planner.models import BusyCalendar

        personal = BusyCalendar(
            user_id=owner.id,
            server_url="https://calendar.example.com/dav/",
            calendar_url="https://calendar.example.com/dav/personal/",
            username="owner",
            secret=encrypt_password("app password"),
        )
        db.session.add(personal)
        db.session.commit()
        ids = {
            "calendar_id": personal.id,
            "link_id": link.id,
            "engagement_id": engagement.id,
            "meeting_id": meeting.id,
            "item_id": item.id,
            "contact_id": contact.id,
            "commitment_id": commitment.id,
            "request_id": req.id,
            "feed_id": feed.id,
            "id": feed.id,
        }
        yield app, {"Authorization": f"Bearer {api_token(owner)}"}, ids


def test_generated_requests_get_documented_answers_and_no_server_error(world, caplog):
    app, auth, ids = world
    caplog.set_level(logging.WARNING)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=dict(auth))
    failures: list[str] = []
    seen: dict[str, set[int]] = {}
    # Deletions last, so the other operations meet the world's objects before they are gone.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()), key=lambda op: op.method.upper() == "DELETE"
    )
    assert len(operations) >= 20

    def fuzz(operation):
        @given(case=operation.as_strategy(), known=st.booleans())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case, known):
            if known and case.path_parameters:
                # Half the cases use the world's own ids, so answers other than 404 are reached too.
                case.path_parameters = {k: ids.get(k, v) for k, v in case.path_parameters.items()}
            response = case.call(headers=dict(auth))
            seen.setdefault(operation.label, set()).add(response.status_code)
            try:
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - all failures are shown together
                failures.append(f"{operation.label}: {str(error)[:800]}")
            finally:
                db.session.rollback()

        return run

    for operation in operations:
        fuzz(operation)()
    assert failures == [], "\n\n".join(failures[:10])
    # Every operation answered something besides "not found", and the writes were accepted as well as refused.
    assert all(codes - {404} for codes in seen.values()), seen
    assert {201, 422} <= seen["POST /engagements/{engagement_id}/meetings"]
    logged = "\n".join(
        r.getMessage() + str(r.exc_text or "") for r in caplog.records if r.levelno >= logging.ERROR
    )
    assert "Traceback" not in logged and logged == ""
