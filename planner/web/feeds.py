"""Calendar feeds, the client's schedule page, feed links, .ics downloads and import."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.http import http_date

from planner import ical
from planner.extensions import db
from planner.feed_cache import BuiltFeed, FeedCache, FeedStateCache, FeedStateEntry
from planner.forms.feeds import MAX_IMPORT_BYTES, FeedLinkForm, ImportForm
from planner.models import Contact, Engagement, Meeting, MeetingAttendee
from planner.models.feeds import FeedLink
from planner.operations.feeds import (
    create_feed,
    feed_state,
    import_calendar,
    record_feed_use,
    revoke_feed,
    rotate_feed,
)
from planner.tokens import token_hash
from planner.web import g_now
from planner.web.access import check_role, engagement_for, meeting_for
from planner.web.page_cache import cached_page
from planner.web.panels import register_panel, register_tab
from planner.web.public import public

bp = Blueprint("feeds", __name__)

LANGUAGES = ("en", "ja")


# ---- helpers ---------------------------------------------------------------------------------


def feed_cache() -> FeedCache:
    """This app's cache of built feeds (one per app, so test apps never share one)."""
    return current_app.extensions.setdefault("planner_feed_cache", FeedCache())


def state_cache() -> FeedStateCache:
    """This app's short-lived cache of feed link states."""
    return current_app.extensions.setdefault("planner_feed_states", FeedStateCache())


def feed_state_ttl() -> float:
    """Seconds a link's state is trusted without the database: FEED_STATE_TTL, default 1 (0 in tests)."""
    value = current_app.config.get("FEED_STATE_TTL")
    if value is None:
        return 0.0 if current_app.testing else 1.0
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 1.0


def forget_feed_states() -> None:
    """After a revocation or a new token: this process stops trusting what it read before."""
    state_cache().clear()


def link_state(token: str) -> FeedStateEntry | None:
    """The state of an active link by its token, from the short-lived cache or the database."""
    ttl = feed_state_ttl()
    if not token or len(token) > 200:
        return None
    key = token_hash(token)
    clock = time.monotonic()
    if ttl > 0:
        entry = state_cache().get(key, clock, ttl)
        if entry is not None:
            return entry
    state = feed_state(token)
    if state is None:
        return None
    if ttl > 0:
        return state_cache().put(key, state, clock)
    return FeedStateEntry(state, clock, state.last_used_at)


def _note_use(entry: FeedStateEntry, now: datetime) -> None:
    if record_feed_use(entry.state.id, entry.last_used_at, now=now):
        db.session.commit()
        entry.last_used_at = now


def base_url() -> str:
    """Where links in feeds and pages point: PUBLIC_URL when configured, else this request's host."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    # request.host is checked against TRUSTED_HOSTS by Werkzeug; host_url would also IDNA-encode it on
    # every poll, which costs more than answering a 304.
    return f"{request.scheme}://{request.host}{request.script_root}"


def feed_refresh() -> timedelta:
    """How often calendar apps should poll: FEED_REFRESH as a timedelta or seconds (default one hour)."""
    value = current_app.config.get("FEED_REFRESH")
    if isinstance(value, timedelta) and value.total_seconds() > 0:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    return timedelta(hours=1)


def feed_urls(token: str) -> dict[str, str]:
    """The https feed, webcal:// feed, client page and Google Calendar links of a token."""
    base = base_url()
    url = base + url_for("feeds.feed", token=token)
    webcal = "webcal://" + url.split("://", 1)[1]
    return {
        "url": url,
        "webcal_url": webcal,
        "page_url": base + url_for("feeds.schedule_page", token=token),
        "google_url": "https://calendar.google.com/calendar/render?cid=" + quote(webcal, safe=""),
    }


def _meetings(engagement: Engagement) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.engagement_id == engagement.id)
            .options(
                selectinload(Meeting.agenda),
                selectinload(Meeting.attendees).selectinload(MeetingAttendee.contact),
                selectinload(Meeting.attendees).selectinload(MeetingAttendee.user),
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def organizer_of(engagement: Engagement):
    """The engagement's first owner: the organizer calendars show for its meetings."""
    owners = [m for m in engagement.members if m.role == "owner"]
    return min(owners, key=lambda m: m.id).user if owners else None


def _expiries(engagement: Engagement, meetings: list[Meeting]) -> list[datetime]:
    days = timedelta(days=engagement.cancelled_feed_days)
    return [(m.cancelled_at or m.updated_at) + days for m in meetings if m.status == "cancelled"]


def _build(feed: FeedLink, token: str, language: str, now: datetime) -> BuiltFeed:
    engagement = feed.engagement
    meetings = _meetings(engagement)
    base = base_url()
    if feed.audience == "client":
        page = base + url_for("feeds.schedule_page", token=token)

        def link(meeting: Meeting) -> str:
            return f"{page}#m-{meeting.id}"
    else:

        def link(meeting: Meeting) -> str:
            return base + url_for("meetings.show", meeting_id=meeting.id)

    body = ical.render_feed(
        name=ical.feed_title(engagement.name, audience=feed.audience, language=language),
        description=ical.feed_description(engagement.name, language=language),
        zone=engagement.timezone,
        meetings=meetings,
        audience=feed.audience,
        now=now,
        cancelled_days=engagement.cancelled_feed_days,
        page_url=link,
        language=language,
        refresh=feed_refresh(),
        organizer=organizer_of(engagement),
    )
    expiries = _expiries(engagement, meetings)
    passed = [e for e in expiries if e <= now]
    coming = [e for e in expiries if e > now]
    digest = hashlib.sha256(body).hexdigest()[:16]
    return BuiltFeed(
        body=body,
        etag=f"{engagement.id}.{engagement.revision}.{digest}",
        # The feed last changed with the schedule, or when a cancelled meeting left it.
        last_modified=max([engagement.updated_at, *passed]).replace(microsecond=0),
        valid_until=min(coming) if coming else None,
    )


def _private(response: Response) -> Response:
    # The token is in the URL: keep it out of Referer headers, search engines and shared caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# ---- public: the feed and the client's page ---------------------------------------------------


@bp.route("/feeds/<token>.ics", methods=["GET", "HEAD"])
@public
def feed(token: str):
    """The subscribable calendar of a feed link (ETag / Last-Modified, 304 when unchanged)."""
    now = g_now()
    # At most one small query decides everything when the feed is cached: calendar apps poll a lot.
    entry = link_state(token)
    if entry is None:
        abort(404)
    state = entry.state
    language = _state_language(state)
    key = (state.engagement_id, state.revision, state.audience, base_url(), state.id, language)
    built = feed_cache().get_or_build(
        key,
        now,
        lambda: _build(db.session.get(FeedLink, state.id), token, language, now),
        slot=(state.engagement_id, state.audience, base_url(), state.id, language),
    )
    headers = {
        "ETag": f'"{built.etag}"',
        "Last-Modified": http_date(built.last_modified),
        "Cache-Control": "private, no-cache",
        # The token is in the URL: keep it out of Referer headers and search engines.
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex, nofollow",
    }
    _note_use(entry, now)
    if _not_modified(built):
        return Response(status=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="schedule.ics"'
    return Response(built.body, content_type="text/calendar; charset=utf-8", headers=headers)


def _not_modified(built: BuiltFeed) -> bool:
    """RFC 9110 conditional GET/HEAD: If-None-Match decides when sent, else If-Modified-Since."""
    if "If-None-Match" in request.headers:
        tags = request.if_none_match
        return tags.star_tag or tags.contains_weak(built.etag)
    since = request.if_modified_since
    return since is not None and built.last_modified <= since


def _state_language(state) -> str:
    for language in (state.contact_language, state.engagement_language):
        if language in LANGUAGES:
            return language
    return "en"


def _days(engagement: Engagement, meetings: list[Meeting]) -> list[tuple[object, list[Meeting]]]:
    days: dict = {}
    for meeting in meetings:
        days.setdefault(meeting.starts_at.astimezone(engagement.tz).date(), []).append(meeting)
    return list(days.items())


def client_schedule_cache() -> FeedCache:
    """This app's cache of rendered schedules for the client page."""
    return current_app.extensions.setdefault("client_schedules", FeedCache())


def _render_schedule(engagement_id: int, now: datetime) -> BuiltFeed:
    engagement = db.session.get(Engagement, engagement_id)
    meetings = _meetings(engagement)
    # The page is for the client whatever the link's audience: never an internal meeting or note.
    shown = ical.feed_meetings(
        meetings, audience="client", now=now, cancelled_days=engagement.cancelled_feed_days
    )
    today = now.astimezone(engagement.tz).date()
    upcoming = [m for m in shown if m.ends_at >= now or m.starts_at.astimezone(engagement.tz).date() >= today]
    past = [m for m in shown if m not in upcoming]
    html = render_template(
        "portal/_schedule.html",
        engagement=engagement,
        upcoming=_days(engagement, upcoming),
        past=_days(engagement, past),
    )
    coming = [e for e in _expiries(engagement, meetings) if e > now]
    upcoming_ends = [m.ends_at for m in upcoming if m.ends_at > now]
    # Valid until a cancelled meeting leaves or the next meeting ends (it then moves to "past").
    limits = coming + upcoming_ends
    return BuiltFeed(html.encode("utf-8"), "", engagement.updated_at, min(limits) if limits else None)


def _render_page(state, token: str, now: datetime) -> str:
    key = (state.engagement_id, state.revision, g.locale, now.date())
    built = client_schedule_cache().get_or_build(
        key, now, lambda: _render_schedule(state.engagement_id, now), slot=(state.engagement_id, g.locale)
    )
    return render_template(
        "portal/schedule.html",
        engagement=db.session.get(Engagement, state.engagement_id),
        feed=db.session.get(FeedLink, state.id),
        token=token,
        links=feed_urls(token),
        page_language=g.locale,
        # Our own template's output, escaped when it was rendered: safe to place as it is.
        schedule_html=Markup(built.body.decode("utf-8")),  # noqa: S704
    )


@bp.route("/s/<token>")
@public
def schedule_page(token: str):
    """The client's read-only schedule: purpose, desired outcome and agenda of every meeting."""
    now = g_now()
    entry = link_state(token)
    if entry is None:
        abort(404)
    state = entry.state
    chosen = request.args.get("lang")
    g.locale = (
        chosen
        if chosen in LANGUAGES
        else (
            state.contact_language
            if state.contact_language in LANGUAGES
            else request.accept_languages.best_match(LANGUAGES) or _state_language(state)
        )
    )
    refresh()
    # The whole page changes with the engagement's rows, the language and the minute; the link's token is in
    # its URLs, so the path is part of the slot.
    slot = (request.endpoint, request.full_path, state.id, g.locale)
    version = (state.engagement_id, state.revision, state.activity, now.replace(second=0, microsecond=0))
    html = cached_page(slot, version, lambda: _render_page(state, token, now))
    _note_use(entry, now)
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "private, no-store"
    return _private(response)


# ---- members: feed links ----------------------------------------------------------------------


def _links(engagement: Engagement) -> list[FeedLink]:
    return list(
        db.session.scalars(
            select(FeedLink)
            .where(FeedLink.engagement_id == engagement.id)
            .order_by(FeedLink.revoked_at.is_not(None), FeedLink.created_at.desc(), FeedLink.id.desc())
        )
    )


def _render_index(engagement: Engagement, form: FeedLinkForm, *, new_link=None, status: int = 200):
    return (
        render_template(
            "feeds/index.html",
            engagement=engagement,
            links=_links(engagement),
            form=form,
            action_form=FlaskForm(),
            new_link=new_link,
        ),
        status,
    )


@bp.route("/engagements/<int:engagement_id>/feeds")
def index(engagement_id: int):
    """The engagement's feed links, and a form to make one."""
    engagement = engagement_for(engagement_id)
    form = FeedLinkForm(formdata=None)
    form.set_contacts(engagement)
    return _render_index(engagement, form)


@bp.route("/engagements/<int:engagement_id>/feeds", methods=["POST"])
def create(engagement_id: int):
    """Make a named link; its token is shown on this answer only."""
    engagement = engagement_for(engagement_id, "member")
    form = FeedLinkForm()
    form.set_contacts(engagement)
    if not form.validate_on_submit():
        return _render_index(engagement, form, status=400)
    contact = db.session.get(Contact, form.contact_id.data) if form.contact_id.data else None
    link, token = create_feed(
        engagement,
        label=form.label.data,
        audience=form.audience.data,
        contact=contact,
        user=current_user,
        now=g_now(),
    )
    db.session.commit()
    # Rendered, not redirected: the token exists only in this answer.
    return _render_index(
        engagement, _blank_form(engagement), new_link={"link": link, **feed_urls(token)}, status=201
    )


def _blank_form(engagement: Engagement) -> FeedLinkForm:
    form = FeedLinkForm(formdata=None)
    form.set_contacts(engagement)
    return form


def _feed_for(feed_id: int, role: str = "member") -> FeedLink:
    link = db.session.get(FeedLink, feed_id)
    check_role(link.engagement if link else None, role)
    return link


@bp.route("/feed-links/<int:feed_id>/rotate", methods=["POST"])
def rotate(feed_id: int):
    """A new token for the link; subscribers of the old one must subscribe again."""
    link = _feed_for(feed_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    token = rotate_feed(link, now=g_now())
    db.session.commit()
    forget_feed_states()
    flash(_("New link made. The old one no longer works."), "success")
    return _render_index(
        link.engagement, _blank_form(link.engagement), new_link={"link": link, **feed_urls(token)}
    )


@bp.route("/feed-links/<int:feed_id>/revoke", methods=["POST"])
def revoke(feed_id: int):
    """Stop the link at once."""
    link = _feed_for(feed_id)
    if FlaskForm().validate_on_submit() and revoke_feed(link, now=g_now()):
        db.session.commit()
        forget_feed_states()
        flash(_("Link revoked. Calendars subscribed to it get no more updates."), "success")
    return redirect(url_for(".index", engagement_id=link.engagement_id))


# ---- members: downloads and import -------------------------------------------------------------


def _download(body: bytes, name: str) -> Response:
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in name).strip("-")
    ascii_name = (safe[:60] or "calendar") + ".ics"
    response = Response(body, content_type="text/calendar; charset=utf-8")
    # filename* keeps a Japanese title for browsers that read RFC 6266; filename is the ASCII fallback.
    utf8_name = quote(clean_filename(name)[:80] + ".ics", safe="")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8_name}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def clean_filename(name: str) -> str:
    """A title usable as a file name: no path separators, quotes or control characters."""
    cleaned = ical.clean_text(name, single_line=True)
    return "".join("-" if ch in '\\/:*?"<>|' else ch for ch in cleaned).strip(" .") or "calendar"


@bp.route("/meetings/<int:meeting_id>.ics")
def meeting_ics(meeting_id: int):
    """One meeting as an .ics file to open in any calendar (METHOD:PUBLISH)."""
    meeting = meeting_for(meeting_id)
    engagement = meeting.engagement
    event = ical.meeting_to_vevent(
        meeting,
        zone=engagement.timezone,
        page_url=base_url() + url_for("meetings.show", meeting_id=meeting.id),
        audience="team",
        language=engagement.language,
        organizer=organizer_of(engagement),
    )
    body = ical.event_calendar(event, engagement.timezone, method="PUBLISH").to_ical()
    return _download(body, meeting.title)


@bp.route("/engagements/<int:engagement_id>/export.ics")
def export_ics(engagement_id: int):
    """Every meeting of the engagement, cancelled ones too, as one .ics file (METHOD:PUBLISH)."""
    engagement = engagement_for(engagement_id)
    base = base_url()
    organizer = organizer_of(engagement)
    events = [
        ical.meeting_to_vevent(
            meeting,
            zone=engagement.timezone,
            page_url=base + url_for("meetings.show", meeting_id=meeting.id),
            audience="team",
            language=engagement.language,
            organizer=organizer,
        )
        for meeting in _meetings(engagement)
    ]
    calendar = ical.build_calendar(
        ical.feed_title(engagement.name, audience="team", language=engagement.language),
        ical.feed_description(engagement.name, language=engagement.language),
        engagement.timezone,
        events,
        method="PUBLISH",
    )
    return _download(calendar.to_ical(), engagement.name)


def import_error_text(error: ical.ICalError) -> str:
    """Why a file could not be imported, in the reader's language."""
    p = {key: str(value) for key, value in error.params.items()}
    texts = {
        "empty": lambda: _("The file is empty."),
        "not_utf8": lambda: _("The file is not text, so it is not an iCalendar (.ics) file."),
        "not_calendar": lambda: _("The file is not an iCalendar (.ics) file."),
        "incomplete": lambda: _("The file is incomplete: it was cut off before its end."),
        "unreadable": lambda: _(
            "The file could not be read as iCalendar (%(reason)s).", reason=p.get("reason", "")
        ),
        "bad_date": lambda: _("The event %(uid)s has a date that cannot be read.", uid=p.get("uid", "")),
        "no_start": lambda: _("The event %(uid)s has no start time.", uid=p.get("uid", "")),
        "ends_before": lambda: _("The event %(uid)s ends before it starts.", uid=p.get("uid", "")),
        "bad_series": lambda: _(
            "The repeating event %(uid)s has a rule that cannot be read.", uid=p.get("uid", "")
        ),
        "too_many": lambda: _(
            "The file has %(count)s events; at most %(limit)s can be imported at once.",
            count=p.get("count", ""),
            limit=p.get("limit", ""),
        ),
        "too_large": lambda: _("The file is larger than 1 MB."),
    }
    return texts[error.code]() if error.code in texts else str(error)


@bp.route("/engagements/<int:engagement_id>/import", methods=["GET", "POST"])
def import_file(engagement_id: int):
    """Create meetings from an .ics file; a bad file changes nothing and says why."""
    engagement = engagement_for(engagement_id, "member")
    form = ImportForm()
    error = None
    if form.validate_on_submit():
        data = form.file.data.read(MAX_IMPORT_BYTES + 1)
        try:
            if len(data) > MAX_IMPORT_BYTES:
                raise ical.ICalError("The file is larger than 1 MB.", code="too_large")
            result = import_calendar(engagement, data, now=g_now())
        except ical.ICalError as exc:
            db.session.rollback()
            error = import_error_text(exc)
        else:
            db.session.commit()
            flash(
                _(
                    "Imported %(created)d meetings; skipped %(skipped)d.",
                    created=len(result.created),
                    skipped=len(result.skipped),
                ),
                "success",
            )
            if result.purpose_missing:
                flash(
                    _(
                        "%(count)d imported meetings have no purpose yet: they are marked "
                        "“Purpose missing”. State one before sharing the schedule.",
                        count=len(result.purpose_missing),
                    ),
                    "warning",
                )
            reasons = {
                "duplicate": _("already in this engagement"),
                "all_day": _("all-day event: a day, not a meeting"),
                "series_limit": _("repeating event: only its first year (at most 200 meetings) was imported"),
            }
            for title, reason in result.skipped[:20]:
                flash(_("Skipped “%(title)s”: %(reason)s.", title=title, reason=reasons[reason]), "info")
            return redirect(url_for("engagements.show", engagement_id=engagement.id))
    status = 400 if (form.errors or error) else 200
    return render_template("feeds/import.html", engagement=engagement, form=form, error=error), status


# ---- panels and tab ---------------------------------------------------------------------------


def _engagement_panel(engagement: Engagement, now: datetime) -> dict:
    active = [link for link in _links(engagement) if link.active]
    return {"active_links": active, "position": "side"}


def _meeting_panel(meeting: Meeting, now: datetime) -> dict:
    return {"position": "side"}


register_tab("feeds.index", _l("Calendar feeds"), order=60)
register_panel("engagement", "feeds", "feeds/_panel.html", _engagement_panel, order=80)
register_panel("meeting", "ics", "feeds/_meeting_panel.html", _meeting_panel, order=90)
