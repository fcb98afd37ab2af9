"""Sending mail over SMTP, configured by one URL: smtp://user:pass@host:port or smtps://..."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit


class MailError(Exception):
    """Mail could not be sent; the message says why in words a person understands."""


def smtp_configured(config) -> bool:
    return bool(config.get("SMTP_URL"))


def send_mail(
    config,
    *,
    to: list[str] | str,
    subject: str,
    body: str,
    reply_to: str | None = None,
    html: str | None = None,
    timeout: float = 10,
) -> str:
    """Send a plain-text (and optional HTML) mail; returns its Message-ID."""
    url = config.get("SMTP_URL")
    if not url:
        raise MailError("No mail server is configured (PLANNER_SMTP_URL).")
    parts = urlsplit(url)
    recipients = [to] if isinstance(to, str) else list(to)
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM", "planner@localhost")
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="planner")
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    try:
        smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
        with smtp_class(
            parts.hostname or "127.0.0.1",
            parts.port or (465 if parts.scheme == "smtps" else 25),
            timeout=timeout,
        ) as smtp:
            if parts.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # The URL may hold a password: say what failed, never the URL itself.
        raise MailError(
            f"The mail server refused or could not be reached ({type(error).__name__})."
        ) from None
    return message["Message-ID"]
