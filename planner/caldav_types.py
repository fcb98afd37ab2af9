"""The calendar sync's errors and results: what ``planner.caldav_backend`` raises and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

DAV = "DAV:"

# -- errors ----------------------------------------------------------------------------------------


class CalDAVError(Exception):
    """Base of every error the backend raises.

    ``code`` and ``params`` say what happened; the pages, the API and the command line write the
    words in the reader's language. ``str()`` is an English sentence, for logs.
    """

    retry: bool = True
    default_code = "server_error"

    def __init__(self, message: str, *, code: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.params = {key: value for key, value in params.items() if value is not None}


class Unreachable(CalDAVError):
    """The server could not be reached (refused, reset, timed out)."""

    default_code = "unreachable"


class AuthFailed(CalDAVError):
    """The server refused the user (401) or the user lacks a privilege (403 ``need-privileges``)."""

    retry = False
    default_code = "auth_failed"


class CalendarGone(CalDAVError):
    """The calendar no longer exists on the server (404/410 on the collection)."""

    retry = False
    default_code = "calendar_gone"


class Conflict(CalDAVError):
    """A conditional write failed: the event changed on the server since we last saw it."""

    default_code = "changed_on_server"


class ServerError(CalDAVError):
    """The server answered with an error it may recover from (5xx, 429, unexpected status)."""


class BadData(CalDAVError):
    """The server sent something that cannot be read (malformed XML or iCalendar)."""

    default_code = "bad_reply"


class Refused(CalDAVError):
    """The address may not be called: a private network, another host's redirect, not on the allowlist."""

    default_code = "address_refused"

    def __init__(self, message: str, **params: object) -> None:
        reason, host = _guard_reason(message)
        super().__init__(message, code="address_refused", reason=reason, host=host, **params)


def _guard_reason(message: str) -> tuple[str, str]:
    """The address guard's reason and host, read back from its sentence."""
    from planner.netguard import REASONS

    for reason, template in REASONS.items():
        head, _, tail = template.partition("{host}")
        if message.startswith(head) and message.endswith(tail):
            return reason, message[len(head) : len(message) - len(tail) if tail else None]
    return "", ""


class EventRefused(CalDAVError):
    """The server refused this one resource (``valid-calendar-data`` and the like, or a plain 403).

    Only that event is affected: the caller flags it with ``precondition`` and the server's own
    ``detail`` and goes on with the rest.
    """

    default_code = "refused"

    def __init__(self, message: str, *, precondition: str = "", detail: str = "", status: int = 0) -> None:
        super().__init__(message, precondition=precondition, detail=detail, status=status)
        self.precondition = precondition
        self.detail = detail
        self.status = status


class UidTaken(CalDAVError):
    """The UID is already used by another resource (a UID precondition).

    ``href`` is the resource holding it when the server said so (a path, possibly in another
    calendar of the same account), else ``None``.
    """

    default_code = "uid_taken"

    def __init__(self, message: str, *, href: str | None = None) -> None:
        super().__init__(message, href=href)
        self.href = href


# -- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarInfo:
    """A calendar collection found on the server."""

    url: str
    name: str


@dataclass(frozen=True)
class Changes:
    """What changed in a calendar: ``changed`` maps href to etag; ``full`` when this is a full listing."""

    changed: dict[str, str]
    deleted: set[str]
    token: str | None
    full: bool


@dataclass(frozen=True)
class Fetched:
    """One calendar resource as served."""

    href: str
    etag: str | None
    ics: str


@dataclass(frozen=True)
class Written:
    """The outcome of a PUT: ``created`` is False when the resource was already there."""

    href: str
    etag: str | None
    created: bool = True
    schedule_tag: str | None = None


@dataclass
class RequestCounter:
    """Counts HTTP requests sent, by method."""

    by_method: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    def add(self, method: str) -> None:
        self.by_method[method] = self.by_method.get(method, 0) + 1


@dataclass
class Reply:
    """An HTTP reply as received: status, headers, body; its XML read safely."""

    status: int
    reason: str
    headers: Any
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def tree(self) -> etree._Element:
        """Parse the body as XML, safely (no entities, no network)."""
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        try:
            root = etree.fromstring(self.body, parser=parser)  # noqa: S320 - hardened parser above
        except etree.XMLSyntaxError as exc:
            raise BadData("The calendar server sent a reply that is not valid XML.") from exc
        if root is None:
            raise BadData("The calendar server sent an empty reply.")
        return root

    def precondition(self) -> tuple[str, list[str], str]:
        """The failed precondition of an error reply (RFC 4918 16): its name, hrefs and any words."""
        if b"<" not in self.body[:200] or b"error" not in self.body:
            return "", [], ""
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
        try:
            root = etree.fromstring(self.body, parser=parser)  # noqa: S320 - hardened parser above
        except etree.XMLSyntaxError:
            return "", [], ""
        if root is None or etree.QName(root).localname != "error":
            return "", [], ""
        name = ""
        hrefs: list[str] = []
        words: list[str] = []
        for child in root:
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            if local in ("responsedescription", "message", "description"):
                words.append(" ".join("".join(child.itertext()).split()))
                continue
            if not name:
                name = local
                hrefs = [href_path(h.text.strip()) for h in child.iter(f"{{{DAV}}}href") if h.text]
                text = " ".join("".join(t for t in child.itertext()).split())
                if text and not hrefs:
                    words.append(text)
        return name, hrefs, " ".join(w for w in words if w)[:300]


def href_path(href: str) -> str:
    """Return the decoded path of ``href`` (absolute URL or path), the key hrefs are compared by."""
    return unquote(urlsplit(href).path)
