"""API v1: feed links of an engagement (create one, revoke one)."""

from __future__ import annotations

from flask import g

from planner.api import api
from planner.api.common import api_engagement, api_user, check_api_role, form_from_json, iso, json_body
from planner.api.idempotency import IDEMPOTENCY_PARAMETER, commit_answer, idempotent
from planner.api.openapi import add_paths, error_responses
from planner.api.schema import F, check_body, json_content, request_schema
from planner.extensions import db
from planner.forms.feeds import FeedLinkForm
from planner.models import Contact
from planner.models.feeds import FEED_AUDIENCES, FeedLink
from planner.operations.feeds import create_feed, revoke_feed
from planner.web.feeds import feed_urls, forget_feed_states

FIELDS = {
    "label": F("string", "Who the link is for.", required=True, max_length=120),
    "audience": F(
        "string",
        "client: no internal meetings or notes; team: everything (default client).",
        enum=FEED_AUDIENCES,
    ),
    "contact_id": F(
        "integer", "A contact of the engagement: the client page speaks their language.", nullable=True
    ),
}


@api.post("/engagements/<int:engagement_id>/feeds")
@idempotent
def create_feed_api(engagement_id: int):
    engagement = api_engagement(engagement_id, "member")
    payload = json_body()
    check_body(payload, FIELDS)
    values = {"audience": "client"} | {k: v for k, v in payload.items() if v is not None}
    form = form_from_json(FeedLinkForm, values, prepare=lambda f: f.set_contacts(engagement))
    contact = db.session.get(Contact, form.contact_id.data) if form.contact_id.data else None
    link, token = create_feed(
        engagement,
        label=form.label.data,
        audience=form.audience.data,
        contact=contact,
        user=api_user(),
        now=g.now,
    )
    db.session.flush()
    urls = feed_urls(token)
    body = {
        "id": link.id,
        "label": link.label,
        "audience": link.audience,
        "contact_id": link.contact_id,
        "created_at": iso(link.created_at),
        "token": token,
        "url": urls["url"],
        "webcal_url": urls["webcal_url"],
        "page_url": urls["page_url"],
    }
    # The token is shown once and only its hash is stored: a replayed answer says so instead.
    kept = body | {"token": None, "url": None, "webcal_url": None, "page_url": None, "token_shown": False}
    return commit_answer(body, 201, kept_body=kept)


@api.delete("/feeds/<int:feed_id>")
def revoke_feed_api(feed_id: int):
    link = db.session.get(FeedLink, feed_id)
    check_api_role(link.engagement if link else None, "member")
    if revoke_feed(link, now=g.now):
        db.session.commit()
        forget_feed_states()
    return "", 204


add_paths(
    {
        "/engagements/{engagement_id}/feeds": {
            "post": {
                "parameters": [IDEMPOTENCY_PARAMETER],
                "summary": "Make a feed link (member); the token is in this answer only",
                "requestBody": {
                    "required": True,
                    "content": json_content(request_schema(FIELDS, create=True)),
                },
                "responses": {
                    "201": {"description": "Created", "content": json_content("FeedLink")},
                    **error_responses(400, 401, 403, 404, 422),
                },
            }
        },
        "/feeds/{feed_id}": {
            "delete": {
                "summary": "Revoke a feed link at once (member); its feed and page answer 404 from then on",
                "responses": {"204": {"description": "Revoked"}, **error_responses(401, 403, 404)},
            }
        },
    },
    schemas={
        "FeedLink": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "label": {"type": "string"},
                "audience": {"type": "string", "enum": list(FEED_AUDIENCES)},
                "contact_id": {"type": "integer", "nullable": True},
                "created_at": {"type": "string", "format": "date-time"},
                "token": {
                    "type": "string",
                    "nullable": True,
                    "description": "Shown once; only its hash is stored (null in a replayed answer).",
                },
                "url": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The https feed (.ics).",
                },
                "webcal_url": {
                    "type": "string",
                    "nullable": True,
                    "description": "The same feed as webcal://, for calendar apps.",
                },
                "page_url": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The client's schedule page.",
                },
                "token_shown": {
                    "type": "boolean",
                    "description": "false in an answer replayed for a repeated Idempotency-Key: the token "
                    "was shown in the first answer only.",
                },
            },
            "required": ["id", "token", "url", "webcal_url", "page_url"],
        }
    },
)
