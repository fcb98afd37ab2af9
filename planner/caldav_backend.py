"""The one module that speaks CalDAV (through the ``caldav`` package)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import caldav
from caldav.lib import error as dav_error
from caldav.lib.http_sync import requests as http
from lxml import etree

from planner import netguard
from planner.caldav_types import (
    AuthFailed,
    BadData,
    CalDAVError,
    CalendarGone,
    CalendarInfo,
    Changes,
    Conflict,
    EventRefused,
    Fetched,
    Refused,
    Reply,
    RequestCounter,
    ServerError,
    UidTaken,
    Unreachable,
    Written,
    href_path,
)

log = logging.getLogger(__name__)

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"
NSMAP = {"D": DAV, "C": CALDAV}
MULTIGET_BATCH = 200
MAX_TRUNCATED_PAGES = 50
# RFC 4791 5.3.2.1 (one calendar) and RFC 6638 3.2.4.1 (the whole account, as hosted servers do).
UID_PRECONDITIONS = ("no-uid-conflict", "unique-scheduling-object-resource")


__all__ = [
    "AuthFailed",
    "BadData",
    "CalDAVBackend",
    "CalDAVError",
    "CalendarGone",
    "CalendarInfo",
    "Changes",
    "Conflict",
    "Fetched",
    "EventRefused",
    "Refused",
    "RequestCounter",
    "ServerError",
    "UidTaken",
    "Unreachable",
    "Written",
    "href_path",
    "resource_name",
]


def resource_name(uid: str) -> str:
    """Return the deterministic resource name ``<uid>.ics`` for an event UID."""
    return f"{uid}.ics"


def _xml(root: etree._Element) -> str:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8").decode("utf-8")


def _el(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        element.text = text
    return element


def _status_code(text: str | None) -> int:
    # "HTTP/1.1 200 OK" -> 200
    try:
        return int((text or "").split()[1])
    except (IndexError, ValueError):
        return 0


class CalDAVBackend:
    """A CalDAV calendar seen through the few operations sync needs.

    Contract:

    - ``calendars()`` discovers the calendars of the user (principal, calendar home);
      ``create_calendar(name)`` makes a new one. Both connect to ``url``; the sync methods only
      talk to ``calendar_url``.
    - Hrefs handed in and out are decoded paths (``/user/cal/abc.ics``); etags are the server's
      strings, quotes included.
    - ``changes_since(token)`` returns what changed since ``token`` through ``sync-collection``
      (RFC 6578), following truncated replies (507). With no token, an invalid or expired one,
      or a server without ``sync-collection``, it returns a full listing (``full=True``): every
      href with its etag; the caller treats what it knew but is missing as deleted.
    - ``list_etags()`` is a full listing by ``PROPFIND Depth: 1``.
    - ``multiget(hrefs)`` fetches many resources in one ``calendar-multiget`` REPORT per batch;
      ``get(href)`` fetches one (``None`` when it is not there).
    - ``create(href, ics)`` writes with ``If-None-Match: *``; when the resource is already there
      (412 or 409, servers differ) it answers ``Written(created=False)`` and never writes a second
      copy. ``update(href, ics, etag)`` writes with ``If-Match`` (and ``If-Schedule-Tag-Match``
      when a schedule tag is known); a precondition failure raises ``Conflict``.
      ``delete(href, etag)`` removes it (already gone counts as done). When a PUT answers without
      an ETag, the etag is fetched before it is returned, so stored state is never a guess.
    - Failures raise a ``CalDAVError`` subclass whose message a person understands; the password
      never appears in a message or a log line.
    - ``counter`` counts every HTTP request sent, so a sync's cost can be measured.
    """

    def __init__(
        self,
        url: str,
        username: str | None,
        password: str | None,
        *,
        calendar_url: str | None = None,
        timeout: float = 20.0,
        guard: netguard.Policy | None = None,
    ) -> None:
        self.url = url
        self.calendar_url = calendar_url
        self.counter = RequestCounter()
        self.client = caldav.DAVClient(
            url=url,
            username=username or None,
            password=(password or "") if username else None,
            # Basic up front: otherwise every fresh client pays a 401 round trip first.
            auth_type="basic" if username else None,
            timeout=timeout,
            enable_rfc6764=False,
        )
        # Every request the client sends, discovery included, connects only where `guard` allows.
        self.client.session.close()
        self.client.session = netguard.guarded_session(guard or netguard.DEFAULT, Refused)
        session_request = self.client.session.request

        def counted(method: str, *args: Any, **kwargs: Any) -> Any:
            self.counter.add(method.upper())
            return session_request(method, *args, **kwargs)

        self.client.session.request = counted  # type: ignore[method-assign]

    def close(self) -> None:
        """Close the HTTP session."""
        self.client.close()

    def __enter__(self) -> CalDAVBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------------

    def _abs(self, href: str) -> str:
        if href.startswith(("http://", "https://")):
            return href
        return urljoin(self.url, quote(href, safe="/@:+$,;=~!*'()"))

    def _request(self, method: str, url: str, body: str = "", headers: dict[str, str] | None = None) -> Reply:
        sent = {**self.client.headers, **(headers or {})}
        if not body:
            sent.pop("Content-Type", None)
        try:
            response = self.client.session.request(
                method,
                url,
                data=body.encode("utf-8") if body else None,
                headers=sent,
                auth=self.client.auth,
                timeout=self.client.timeout,
            )
        except http.exceptions.Timeout as exc:
            raise Unreachable(
                "The calendar server did not answer in time; will retry.", code="timeout", host=_host(url)
            ) from exc
        except (http.exceptions.ConnectionError, OSError) as exc:
            raise Unreachable(
                f"Could not connect to the calendar server at {_host(url)}; it may be down. Will retry.",
                code="unreachable",
                host=_host(url),
            ) from exc
        except http.exceptions.RequestException as exc:
            raise Unreachable(
                f"The connection to {_host(url)} failed; will retry.",
                code="connection_failed",
                host=_host(url),
            ) from exc
        reply = Reply(response.status_code, response.reason or "", response.headers, response.content or b"")
        if reply.status == 401:
            raise AuthFailed(
                "The calendar server refused the user name or password. Check them; "
                "some servers need an app password.",
                code="auth_failed",
            )
        return reply

    def _check(self, response: Reply, *, collection: bool = False, what: str = "request") -> None:
        """Raise the error a failed reply stands for, read by its precondition before its status."""
        status = response.status
        if status < 300:
            return
        precondition, hrefs, detail = response.precondition()
        if precondition == "need-privileges":
            raise AuthFailed(
                "The calendar server does not allow this user to use this calendar.", code="no_privileges"
            )
        if precondition in UID_PRECONDITIONS:
            raise UidTaken(
                f"The event's UID is already used by another event ({precondition}).",
                href=hrefs[0] if hrefs else None,
            )
        if status in (404, 410) and collection:
            raise CalendarGone(
                "The calendar no longer exists on the server (it may have been deleted or moved)."
            )
        # One event refused: the run flags it and goes on (a 412 without a precondition is an If-Match).
        refused = precondition or status in (400, 403, 409, 413, 415, 422)
        if what == "event upload" and refused and (status != 412 or precondition):
            raise EventRefused(
                f"The calendar server refused the event ({status} {precondition or response.reason})"
                + (f": {detail}" if detail else "."),
                precondition=precondition,
                detail=detail,
                status=status,
            )
        if status == 412:
            raise Conflict("The event was changed on the server since the last sync.")
        if status in (405, 501):
            raise ServerError(
                f"This address does not answer like a CalDAV calendar ({status} during the {what}). "
                "Check the calendar's address.",
                code="not_caldav",
                status=status,
                what=what,
            )
        if status in (429, 503):
            raise ServerError(
                f"The calendar server is busy or down for maintenance ({status}); will retry.",
                code="busy",
                status=status,
            )
        if status >= 500:
            raise ServerError(
                f"The calendar server had an internal problem ({status}) during {what}; will retry.",
                code="server_error",
                status=status,
                what=what,
            )
        raise ServerError(
            f"The calendar server rejected the {what} ({status} {response.reason}).",
            code="rejected",
            status=status,
            what=what,
            precondition=precondition or None,
        )

    def _multistatus(self, response: Reply) -> list[etree._Element]:
        return response.tree().findall(f"{{{DAV}}}response")

    # -- discovery ---------------------------------------------------------------------------------

    def calendars(self) -> list[CalendarInfo]:
        """Return the calendars in the user's calendar home."""
        try:
            found = self.client.get_calendars()
        except CalDAVError:
            raise
        except dav_error.AuthorizationError as exc:
            raise AuthFailed("The calendar server refused the user name or password.") from exc
        except dav_error.DAVError as exc:
            raise ServerError(
                "The server did not list any calendars; is this a CalDAV address?", code="no_calendars"
            ) from exc
        except (http.exceptions.RequestException, OSError) as exc:
            raise Unreachable(
                f"Could not connect to the calendar server at {_host(self.url)}.", host=_host(self.url)
            ) from exc
        except Exception as exc:  # the library's parsing of an odd reply: a sentence, not a 500
            raise BadData(
                "The server's answer could not be read; is this a CalDAV address?", code="not_caldav_reply"
            ) from exc
        result = []
        for calendar in found:
            try:
                name = calendar.get_display_name() or ""
            except dav_error.DAVError:
                name = ""
            url = str(calendar.url)
            result.append(CalendarInfo(url=url, name=name or href_path(url).rstrip("/").rsplit("/", 1)[-1]))
        return result

    def create_calendar(self, name: str) -> CalendarInfo:
        """Create a calendar called ``name`` in the user's calendar home and return it."""
        try:
            principal = self.client.principal()
            calendar = principal.make_calendar(name=name, supported_calendar_component_set=["VEVENT"])
        except dav_error.AuthorizationError as exc:
            raise AuthFailed("The calendar server refused the user name or password.") from exc
        except dav_error.DAVError as exc:
            raise ServerError(
                "The calendar server would not create a new calendar.", code="not_created"
            ) from exc
        except (http.exceptions.RequestException, OSError) as exc:
            raise Unreachable(
                f"Could not connect to the calendar server at {_host(self.url)}.", host=_host(self.url)
            ) from exc
        except Exception as exc:  # the library's parsing of an odd reply: a sentence, not a 500
            raise BadData(
                "The server's answer could not be read; is this a CalDAV address?", code="not_caldav_reply"
            ) from exc
        return CalendarInfo(url=str(calendar.url), name=name)

    def _calendar(self) -> str:
        if not self.calendar_url:
            raise CalendarGone("No calendar is chosen for this link.", code="no_calendar")
        return self.calendar_url

    # -- listing -----------------------------------------------------------------------------------

    def ctag(self) -> str | None:
        """Return the collection's ctag (or sync token) in one PROPFIND, for servers without sync."""
        root = etree.Element(f"{{{DAV}}}propfind", nsmap={"D": DAV, "CS": CS})
        prop = _el(root, DAV, "prop")
        _el(prop, CS, "getctag")
        _el(prop, DAV, "sync-token")
        response = self._request("PROPFIND", self._calendar(), _xml(root), {"Depth": "0"})
        self._check(response, collection=True, what="calendar look-up")
        for element in self._multistatus(response):
            for name in (f"{{{CS}}}getctag", f"{{{DAV}}}sync-token"):
                found = element.find(f".//{name}")
                if found is not None and found.text:
                    return found.text
        return None

    def list_etags(self) -> dict[str, str]:
        """Return every event href of the calendar with its etag (one PROPFIND Depth 1)."""
        root = etree.Element(f"{{{DAV}}}propfind", nsmap=NSMAP)
        _el(_el(root, DAV, "prop"), DAV, "getetag")
        calendar = self._calendar()
        response = self._request("PROPFIND", calendar, _xml(root), {"Depth": "1"})
        self._check(response, collection=True, what="calendar listing")
        own = href_path(calendar).rstrip("/")
        listing: dict[str, str] = {}
        for element in self._multistatus(response):
            href = href_path(element.findtext(f"{{{DAV}}}href") or "")
            if href.rstrip("/") == own:
                continue
            etag = element.findtext(f".//{{{DAV}}}getetag")
            if etag:
                listing[href] = etag
        return listing

    def _sync_report(self, token: str | None) -> tuple[dict[str, str], set[str], str | None, bool]:
        root = etree.Element(f"{{{DAV}}}sync-collection", nsmap=NSMAP)
        _el(root, DAV, "sync-token", token or "")
        _el(root, DAV, "sync-level", "1")
        _el(_el(root, DAV, "prop"), DAV, "getetag")
        calendar = self._calendar()
        response = self._request("REPORT", calendar, _xml(root), {"Depth": "0"})
        # Radicale answers 403, Xandikos 412, others 409/400 with a valid-sync-token error.
        invalid = response.status != 400 or "valid-sync-token" in response.text
        if token and response.status in (403, 409, 412, 400) and invalid:
            raise _InvalidToken
        if response.status in (403, 405, 415, 501) and not token:
            raise _NoSyncSupport
        self._check(response, collection=True, what="change listing")
        own = href_path(calendar).rstrip("/")
        changed: dict[str, str] = {}
        deleted: set[str] = set()
        truncated = False
        for element in self._multistatus(response):
            href = href_path(element.findtext(f"{{{DAV}}}href") or "")
            status = _status_code(element.findtext(f"{{{DAV}}}status"))
            if href.rstrip("/") == own:
                truncated = truncated or status == 507
                continue
            if status == 404:
                deleted.add(href)
                continue
            etag = element.findtext(f".//{{{DAV}}}getetag")
            if etag:
                changed[href] = etag
                deleted.discard(href)
        new_token = response.tree().findtext(f"{{{DAV}}}sync-token")
        return changed, deleted, new_token, truncated

    def changes_since(self, token: str | None) -> Changes:
        """Return the changes since ``token``; a full listing when there is no usable token."""
        full = not token
        try:
            changed: dict[str, str] = {}
            deleted: set[str] = set()
            current = token
            for _ in range(MAX_TRUNCATED_PAGES):
                page_changed, page_deleted, current_next, truncated = self._sync_report(current)
                for href in page_deleted:
                    changed.pop(href, None)
                deleted |= page_deleted
                for href, etag in page_changed.items():
                    deleted.discard(href)
                    changed[href] = etag
                current = current_next
                if not truncated or not current_next:
                    break
            return Changes(changed=changed, deleted=deleted, token=current, full=full)
        except _InvalidToken:
            log.info("sync token of %s no longer valid; listing in full", self._calendar())
            return self.changes_since(None)
        except _NoSyncSupport:
            return Changes(changed=self.list_etags(), deleted=set(), token=None, full=True)

    # -- reading -----------------------------------------------------------------------------------

    def multiget(self, hrefs: Iterable[str]) -> dict[str, Fetched]:
        """Fetch the given resources with calendar-multiget; missing ones are left out."""
        wanted = list(dict.fromkeys(hrefs))
        fetched: dict[str, Fetched] = {}
        for start in range(0, len(wanted), MULTIGET_BATCH):
            batch = wanted[start : start + MULTIGET_BATCH]
            root = etree.Element(f"{{{CALDAV}}}calendar-multiget", nsmap=NSMAP)
            prop = _el(root, DAV, "prop")
            _el(prop, DAV, "getetag")
            _el(prop, CALDAV, "calendar-data")
            for href in batch:
                _el(root, DAV, "href", quote(href, safe="/@:+$,;=~!*'()"))
            response = self._request("REPORT", self._calendar(), _xml(root), {"Depth": "1"})
            self._check(response, collection=True, what="event download")
            for element in self._multistatus(response):
                href = href_path(element.findtext(f"{{{DAV}}}href") or "")
                data = element.findtext(f".//{{{CALDAV}}}calendar-data")
                if data is None:
                    continue
                etag = element.findtext(f".//{{{DAV}}}getetag")
                fetched[href] = Fetched(href=href, etag=etag, ics=data)
        return fetched

    def get(self, href: str) -> Fetched | None:
        """Fetch one resource with GET, or ``None`` when it is not there."""
        response = self._request("GET", self._abs(href))
        if response.status in (404, 410):
            return None
        self._check(response, what="event download")
        etag = response.headers.get("ETag")
        if etag is None or etag.startswith("W/"):
            # Some servers serve a scheduling object (an event with an ORGANIZER) without one: ask for it.
            etag = self.etag(href)
        return Fetched(href=href_path(href), etag=etag, ics=response.text)

    def etag(self, href: str) -> str | None:
        """Return the current etag of one resource (one PROPFIND Depth 0), ``None`` when missing."""
        root = etree.Element(f"{{{DAV}}}propfind", nsmap=NSMAP)
        _el(_el(root, DAV, "prop"), DAV, "getetag")
        response = self._request("PROPFIND", self._abs(href), _xml(root), {"Depth": "0"})
        if response.status in (404, 410):
            return None
        self._check(response, what="event look-up")
        for element in self._multistatus(response):
            etag = element.findtext(f".//{{{DAV}}}getetag")
            if etag:
                return etag
        return None

    # -- writing -----------------------------------------------------------------------------------

    def _put(self, href: str, ics: str, headers: dict[str, str]) -> Any:
        headers = {"Content-Type": "text/calendar; charset=utf-8", **headers}
        return self._request("PUT", self._abs(href), ics, headers)

    def _written(self, href: str, response: Any, created: bool) -> Written:
        etag = response.headers.get("ETag")
        if etag is None or etag.startswith("W/"):
            # Servers that rewrite what they store answer without a (strong) ETag: ask for it.
            etag = self.etag(href)
        return Written(
            href=href_path(href),
            etag=etag,
            created=created,
            schedule_tag=response.headers.get("Schedule-Tag"),
        )

    def create(self, href: str, ics: str) -> Written:
        """Create a resource with ``If-None-Match: *``; ``created=False`` when it was already there.

        Raises ``UidTaken`` when the UID lives in another resource, ``EventRefused`` when the server
        will not store this event.
        """
        response = self._put(href, ics, {"If-None-Match": "*"})
        precondition, hrefs, _ = response.precondition()
        if precondition in UID_PRECONDITIONS:
            other = hrefs[0] if hrefs else None
            if other is None or other == href_path(href):
                # Without an href (Radicale, Xandikos say no more): ours when our resource is there.
                etag = self.etag(href)
                if etag is not None:
                    return Written(href=href_path(href), etag=etag, created=False)
            raise UidTaken(f"The event's UID is already used by another event ({precondition}).", href=other)
        if response.status in (412, 409) and not precondition:
            # Radicale answers 412, Xandikos 409 for a resource already there: never a second copy.
            return Written(href=href_path(href), etag=self.etag(href), created=False)
        self._check(response, collection=response.status == 404, what="event upload")
        return self._written(href, response, created=True)

    def find_uid(self, uid: str) -> list[str]:
        """The hrefs of this calendar's resources holding ``uid`` (one calendar-query REPORT)."""
        root = etree.Element(f"{{{CALDAV}}}calendar-query", nsmap=NSMAP)
        _el(_el(root, DAV, "prop"), DAV, "getetag")
        event = _el(_el(_el(root, CALDAV, "filter"), CALDAV, "comp-filter"), CALDAV, "comp-filter")
        event.getparent().set("name", "VCALENDAR")
        event.set("name", "VEVENT")
        prop = _el(event, CALDAV, "prop-filter")
        prop.set("name", "UID")
        match = _el(prop, CALDAV, "text-match", uid)
        match.set("collation", "i;octet")
        response = self._request("REPORT", self._calendar(), _xml(root), {"Depth": "1"})
        self._check(response, collection=True, what="event search")
        own = href_path(self._calendar()).rstrip("/")
        found = []
        for element in self._multistatus(response):
            href = href_path(element.findtext(f"{{{DAV}}}href") or "")
            if href.rstrip("/") != own and _status_code(element.findtext(f".//{{{DAV}}}status")) < 300:
                found.append(href)
        return found

    def in_calendar(self, href: str) -> bool:
        """Whether ``href`` is a resource of this link's calendar (not of another one of the account)."""
        own = href_path(self._calendar()).rstrip("/") + "/"
        path = href_path(href)
        return path.startswith(own) and "/" not in path[len(own) :]

    def update(self, href: str, ics: str, etag: str, schedule_tag: str | None = None) -> Written:
        """Overwrite a resource only if it is still at ``etag``; raise ``Conflict`` otherwise."""
        headers = {"If-Match": etag}
        if schedule_tag:
            headers["If-Schedule-Tag-Match"] = schedule_tag
        response = self._put(href, ics, headers)
        if response.status == 404:
            raise Conflict("The event was deleted on the server since the last sync.")
        self._check(response, what="event upload")
        return self._written(href, response, created=False)

    def delete(self, href: str, etag: str | None) -> None:
        """Delete a resource if it is still at ``etag``; already gone counts as done."""
        headers = {"If-Match": etag} if etag else {}
        response = self._request("DELETE", self._abs(href), "", headers)
        if response.status in (404, 410):
            return
        self._check(response, what="event removal")


class _InvalidToken(Exception):
    pass


class _NoSyncSupport(Exception):
    pass


def _host(url: str) -> str:
    # Only the host: a URL may carry credentials and must not end up in a message.
    parts = urlsplit(url)
    return parts.hostname or "the server"


def busy_report(
    url: str,
    username: str | None,
    password: str | None,
    calendar_url: str,
    start: datetime,
    end: datetime,
    *,
    timeout: float = 5.0,
    guard: netguard.Policy | None = None,
) -> tuple[str, list[str]]:
    """A personal calendar's busy times between `start` and `end` (aware), for free slots only.

    Asks with a free-busy-query REPORT (RFC 4791 7.10) and answers ``("freebusy", [VFREEBUSY text])``; a
    server without it (an error, or no VFREEBUSY in the answer) is asked with a calendar-query whose
    recurrences the server expands, answering ``("events", [calendar text, ...])``. Raises CalDAVError.
    """
    stamp = "%Y%m%dT%H%M%SZ"
    span = {"start": start.astimezone(UTC).strftime(stamp), "end": end.astimezone(UTC).strftime(stamp)}
    backend = CalDAVBackend(url, username, password, calendar_url=calendar_url, timeout=timeout, guard=guard)
    with backend as dav:
        root = etree.Element(f"{{{CALDAV}}}free-busy-query", nsmap=NSMAP)
        _el(root, CALDAV, "time-range").attrib.update(span)
        reply = dav._request("REPORT", dav._calendar(), _xml(root), {"Depth": "1"})
        if reply.status == 200 and b"VFREEBUSY" in reply.body:
            return "freebusy", [reply.body.decode("utf-8", "replace")]
        if reply.status not in (400, 403, 404, 405, 415, 422, 501) and reply.status >= 300:
            dav._check(reply, collection=True, what="free-busy query")
        root = etree.Element(f"{{{CALDAV}}}calendar-query", nsmap=NSMAP)
        prop = _el(root, DAV, "prop")
        _el(_el(prop, CALDAV, "calendar-data"), CALDAV, "expand").attrib.update(span)
        calendar = _el(_el(root, CALDAV, "filter"), CALDAV, "comp-filter")
        calendar.set("name", "VCALENDAR")
        event = _el(calendar, CALDAV, "comp-filter")
        event.set("name", "VEVENT")
        _el(event, CALDAV, "time-range").attrib.update(span)
        reply = dav._request("REPORT", dav._calendar(), _xml(root), {"Depth": "1"})
        dav._check(reply, collection=True, what="busy times")
        texts = [element.findtext(f".//{{{CALDAV}}}calendar-data") for element in dav._multistatus(reply)]
        return "events", [text for text in texts if text]
