"""Background work: CalDAV sync as Celery tasks, and running it after the response without a broker.

With ``PLANNER_BROKER_URL`` set, ``enqueue_sync`` sends ``sync_link`` to the workers
(``celery -A planner.worker worker --beat``). Without a broker (the embedded default) the sync
runs in the web process once the response has been sent, so no page waits on a calendar server.
Meetings changed through the UI or the API schedule a sync of their engagement's links.
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager, nullcontext, suppress
from datetime import timedelta

from celery.schedules import schedule
from flask import Flask, current_app, g, has_app_context, has_request_context
from flask_sqlalchemy.session import Session
from sqlalchemy import event, select
from sqlalchemy.exc import SQLAlchemyError

from planner.broker import SYNC_TIME_LIMIT, publish
from planner.extensions import celery_app, db
from planner.models import CalendarLink, Meeting, utcnow
from planner.operations.sync_lease import LEASE

log = logging.getLogger(__name__)

PULL_EVERY = timedelta(minutes=5)
RETRY_BASE_SECONDS = 30
# Below the broker's visibility timeout: a task held longer for its countdown would be delivered twice.
RETRY_MAX_SECONDS = 300
# Progress of runs in this process, by link id, for the link page ("12 of 40").
PROGRESS: dict[int, tuple[int, int]] = {}
_worker_app: Flask | None = None


def _app_context() -> AbstractContextManager:
    """The current app context, or one of an app built once per worker process."""
    global _worker_app
    if has_app_context():
        return nullcontext()
    if _worker_app is None:
        from planner import create_app

        _worker_app = create_app()
    return _worker_app.app_context()


def sync_now(link_id: int) -> dict:
    """Run one sync of a link in this process and return its result as a dict."""
    from planner.operations.calendars import run_sync

    link = db.session.get(CalendarLink, link_id)
    if link is None:
        return {
            "link_id": link_id,
            "error": "This calendar link no longer exists.",
            "error_code": "gone_link",
        }

    def progress(done: int, total: int) -> None:
        PROGRESS[link_id] = (done, total)

    try:
        result = run_sync(link, now=utcnow(), progress=progress)
    finally:
        PROGRESS.pop(link_id, None)
    return result.as_dict()


@celery_app.task(
    bind=True,
    name="planner.sync_link",
    max_retries=8,
    # Acknowledged when done; a worker killed mid-sync gives the task back at once for another worker.
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SYNC_TIME_LIMIT - 30,
    time_limit=SYNC_TIME_LIMIT,
)
def sync_link(self, link_id: int) -> dict:
    """Sync one calendar link; retry with exponential back-off when the server may recover."""
    with _app_context():
        result = sync_now(link_id)
    if self.request.retries >= self.max_retries:
        return result
    if result.get("busy"):
        # Another run holds the lease, or a killed one whose lease has not run out yet: try after it.
        raise self.retry(countdown=int(LEASE.total_seconds()) // 2)
    if result.get("error") and result.get("retryable"):
        countdown = min(RETRY_BASE_SECONDS * 2**self.request.retries, RETRY_MAX_SECONDS)
        raise self.retry(countdown=countdown)
    return result


@celery_app.task(name="planner.pull_all")
def pull_all() -> int:
    """Periodic pull: queue a sync of every link whose back-off has passed."""
    from planner.operations.calendars import links_due

    with _app_context():
        ids = [link.id for link in links_due(utcnow())]
        for link_id in ids:
            enqueue_sync(link_id)
    return len(ids)


celery_app.conf.beat_schedule = {
    "planner-pull-calendars": {"task": "planner.pull_all", "schedule": schedule(PULL_EVERY)},
}


def broker_configured() -> bool:
    return bool(current_app.config.get("BROKER_URL"))


def enqueue_sync(link_id: int) -> str | None:
    """Start a sync of a link without waiting: a Celery job id, or None when it runs after the response.

    With a broker that cannot be reached, None too: the change stays pending and the periodic pull
    sends it once the broker is back (``broker_down()`` tells the page).
    """
    if broker_configured():
        return _publish_sync(link_id)
    if has_request_context():
        g.setdefault("calendar_links_to_sync", set()).add(link_id)
        return None
    # No request to wait for (a shell, a script): run in a thread with its own app context.
    app = current_app._get_current_object()
    thread = threading.Thread(target=_run_in_thread, args=(app, link_id), daemon=True)
    thread.start()
    return None


def _publish_sync(link_id: int) -> str | None:
    return publish(lambda: sync_link.apply_async(args=[link_id]).id, f"a sync of calendar link {link_id}")


def _run_in_thread(app: Flask, link_id: int) -> None:
    with app.app_context():
        try:
            sync_now(link_id)
        except Exception:
            log.exception("background calendar sync of link %s failed", link_id)
        finally:
            db.session.remove()


# -- meetings changed in the UI or the API schedule a sync of their engagement's links -------------


@event.listens_for(Session, "after_flush")
def _note_schedule_changes(session, flush_context) -> None:
    if session.info.get("calendar_sync") or not has_request_context():
        return
    # Agenda and attendee changes touch their meeting (sequence + 1), so meetings are enough.
    engagements = {
        obj.engagement_id
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, Meeting) and obj.engagement_id is not None
    }
    if engagements:
        session.info.setdefault("calendar_engagements", set()).update(engagements)


@event.listens_for(Session, "after_commit")
def _schedule_after_commit(session) -> None:
    changed = session.info.pop("calendar_engagements", None)
    if changed and has_request_context():
        g.setdefault("calendar_engagements", set()).update(changed)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session) -> None:
    session.info.pop("calendar_engagements", None)


def run_after_response(response):
    """``after_app_request`` hook: queue the syncs this request asked for once the response is sent."""
    engagements = g.pop("calendar_engagements", None)
    links = set(g.pop("calendar_links_to_sync", set()))
    if engagements:
        try:
            query = select(CalendarLink.id).where(CalendarLink.engagement_id.in_(engagements))
            links |= set(db.session.scalars(query))
        except SQLAlchemyError as error:
            # Never turn a finished response into an error: the periodic pull catches up.
            log.warning("could not look up the calendars to sync after a change: %s", error)
            _quiet_rollback()
    if not links:
        return response
    if broker_configured():
        # Published once the answer is out: a slow or absent broker never holds up what was saved.
        response.call_on_close(lambda: [_publish_sync(link_id) for link_id in sorted(links)])
        return response
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            for link_id in sorted(links):
                try:
                    sync_now(link_id)
                except Exception:
                    log.exception("calendar sync of link %s after a response failed", link_id)
            db.session.remove()

    response.call_on_close(run)
    return response


def _quiet_rollback() -> None:
    # A connection that is gone cannot roll back; the pool replaces it at the next checkout.
    with suppress(SQLAlchemyError):
        db.session.rollback()
