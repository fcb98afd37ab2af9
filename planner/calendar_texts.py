"""What calendar sync tells a person, in the reader's language: the words for the codes the sync returns.

The backend and the sync run return codes with parameters; pages, the API and the command line
call these functions, so every sentence comes from the message catalog.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _


def _what(what: str) -> str:
    words = {
        "event upload": lambda: _("sending an event"),
        "event download": lambda: _("reading events"),
        "event look-up": lambda: _("looking up an event"),
        "event search": lambda: _("searching for an event"),
        "event removal": lambda: _("deleting an event"),
        "calendar listing": lambda: _("listing the calendar"),
        "change listing": lambda: _("listing the changes"),
        "calendar look-up": lambda: _("opening the calendar"),
    }
    return words[what]() if what in words else _("a request")


def sync_error_text(code: str | None, params: Mapping[str, object] | None = None, fallback: str = "") -> str:
    """Why a sync or a link failed, for a person."""
    p = {key: str(value) for key, value in (params or {}).items()}
    host = p.get("host", "")
    status = p.get("status", "")
    texts = {
        "timeout": lambda: _("The calendar server did not answer in time; the sync will be tried again."),
        "unreachable": lambda: _(
            "Could not connect to the calendar server at %(host)s; it may be down. "
            "The sync will be tried again.",
            host=host,
        ),
        "connection_failed": lambda: _(
            "The connection to %(host)s failed; the sync will be tried again.", host=host
        ),
        "auth_failed": lambda: _(
            "The calendar server refused the user name or password. Check them; "
            "some servers need an app password."
        ),
        "no_privileges": lambda: _("The calendar server does not allow this user to change this calendar."),
        "calendar_gone": lambda: _(
            "The calendar no longer exists on the server (it may have been deleted or moved)."
        ),
        "no_calendar": lambda: _("No calendar is chosen for this link."),
        "changed_on_server": lambda: _("The event was changed on the server since the last sync."),
        "not_caldav": lambda: _(
            "This address does not answer like a CalDAV calendar (%(status)s while %(what)s). "
            "Check the calendar's address.",
            status=status,
            what=_what(p.get("what", "")),
        ),
        "busy": lambda: _(
            "The calendar server is busy or down for maintenance (%(status)s); the sync will be tried again.",
            status=status,
        ),
        "server_error": lambda: _(
            "The calendar server had an internal problem (%(status)s) while %(what)s; "
            "the sync will be tried again.",
            status=status,
            what=_what(p.get("what", "")),
        ),
        "rejected": lambda: _(
            "The calendar server refused %(what)s (%(status)s).", what=_what(p.get("what", "")), status=status
        ),
        "bad_reply": lambda: _("The calendar server sent a reply that cannot be read."),
        "not_caldav_reply": lambda: _("The server's answer could not be read; is this a CalDAV address?"),
        "no_calendars": lambda: _("The server did not list any calendars; is this a CalDAV address?"),
        "not_created": lambda: _("The calendar server would not create a new calendar."),
        "busy_link": lambda: _("Another sync of this calendar is running."),
        "uid_taken": lambda: _("The event's UID is already used by another event on the server."),
        "refused": lambda: refusal_text(p.get("precondition", ""), p.get("detail", "")),
        "gone_link": lambda: _("This calendar link no longer exists."),
        "address_refused": lambda: _address_text(p.get("reason", ""), host),
    }
    if code in texts:
        return texts[code]()
    return fallback or _("The calendar sync failed.")


def _address_text(reason: str, host: str) -> str:
    if reason == "not_found":
        return _("This server name cannot be found. Check the address.")
    if reason == "not_allowed":
        return _("This calendar server is not on this installation's list of allowed servers.")
    if reason == "redirect":
        return _(
            "The server sent us on to another server (%(host)s); only its own address is followed.", host=host
        )
    return _(
        "This address is in a private network. An administrator can allow private "
        "calendar servers with PLANNER_CALDAV_ALLOW_PRIVATE_HOSTS."
    )


def refusal_text(precondition: str | None, detail: str | None = None) -> str:
    """Why the server refused to store one meeting, with the server's own words when it gave some."""
    name = precondition or ""
    reasons = {
        "valid-calendar-data": lambda: _("the server found the event's data invalid"),
        "valid-calendar-object-resource": lambda: _("the server does not accept an event of this shape"),
        "supported-calendar-data": lambda: _("the server does not accept this kind of calendar data"),
        "supported-calendar-component": lambda: _("this calendar does not accept events"),
        "max-resource-size": lambda: _("the event is larger than the server allows"),
        "min-date-time": lambda: _("the date is earlier than the server allows"),
        "max-date-time": lambda: _("the date is later than the server allows"),
        "max-instances": lambda: _("the event repeats more often than the server allows"),
        "max-attendees-per-instance": lambda: _("the event has more attendees than the server allows"),
        "unique-scheduling-object-resource": lambda: _(
            "another event of this account already has the same UID"
        ),
        "no-uid-conflict": lambda: _("another event of this calendar already has the same UID"),
    }
    if name in reasons:
        reason = reasons[name]()
    elif name.startswith("status-"):
        reason = _("the server refused it (HTTP %(status)s)", status=name.removeprefix("status-"))
    else:
        reason = _("the server refused it (%(reason)s)", reason=name or "?")
    if detail:
        return _(
            "The calendar server did not store this meeting: %(reason)s. The server said: “%(detail)s”",
            reason=reason,
            detail=detail,
        )
    return _("The calendar server did not store this meeting: %(reason)s.", reason=reason)


def sync_note_text(note: Mapping[str, object]) -> str:
    """One line about an item of a run: a meeting refused, an event not imported."""
    p = {key: str(value) for key, value in note.items()}
    title = p.get("title", "")
    texts = {
        "refused": lambda: _(
            "“%(title)s”: %(reason)s",
            title=title,
            reason=refusal_text(p.get("precondition"), p.get("detail")),
        ),
        "changed_again": lambda: _(
            "“%(title)s” changed again in the calendar during the sync; it is synced next time.", title=title
        ),
        "changed_during_sync": lambda: _("A meeting changed here during the sync; it is synced next time."),
        "unreadable": lambda: _(
            "An event in the calendar cannot be read and was not imported: %(title)s", title=title
        ),
        "all_day": lambda: _("All-day event not imported (a day, not a meeting): %(title)s", title=title),
    }
    code = p.get("code", "")
    return texts[code]() if code in texts else code
