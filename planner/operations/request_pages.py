"""The client's own page of a request: reachable only through a secret link shown once to its sender."""

from __future__ import annotations

from sqlalchemy import select

from planner.extensions import db
from planner.models.feeds import FeedLink
from planner.models.requests import MeetingRequest
from planner.tokens import new_token, same_hash, token_hash


def issue_page_token(req: MeetingRequest) -> str:
    """A new secret link token for the request's page; only its hash is kept, an older one stops working."""
    token = new_token()
    req.page_token_hash = token_hash(token)
    return token


def request_for_page(feed: FeedLink, token: str) -> MeetingRequest | None:
    """The request sent through `feed` whose page token this is, or None."""
    if not token or len(token) > 200:
        return None
    found = db.session.scalar(
        select(MeetingRequest).where(MeetingRequest.page_token_hash == token_hash(token))
    )
    if found is None or found.feed_id != feed.id or not same_hash(found.page_token_hash, token):
        return None
    return found
