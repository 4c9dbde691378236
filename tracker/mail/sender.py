"""The sender interface: SMTP for real, a log for development; and which errors are final."""

import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol

from tracker.settings import Settings

log = logging.getLogger("tracker.mail")


class MailSender(Protocol):
    """Something that delivers e-mails; used as a context manager around a batch."""

    def __enter__(self) -> "MailSender": ...

    def __exit__(self, *exc) -> None: ...

    def send(self, message: EmailMessage) -> None:
        """Deliver one message or raise; returning means the server accepted it."""
        ...


class LoggingSender:
    """Development sender: logs who would have received what, delivers nothing."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def __enter__(self) -> "LoggingSender":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send(self, message: EmailMessage) -> None:
        """Record the message and log its envelope (not its body)."""
        self.sent.append(message)
        log.info(
            "mail (not sent, log backend) to %s: %s %s",
            message["To"],
            message["Subject"],
            message["Message-ID"],
        )


def make_sender(settings: Settings) -> MailSender:
    """The sender the settings ask for (TRACKER_MAIL_BACKEND: smtp or log)."""
    if settings.mail_backend == "log":
        return LoggingSender()
    from tracker.mail.smtp import SmtpSender

    return SmtpSender(settings)


def is_permanent(error: BaseException) -> bool:
    """True when retrying cannot help: the server refused the recipient with a 5xx code.

    Everything else (connection refused, timeouts, 4xx, a refused login or sender, which an
    administrator can fix) is retried with backoff.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    return False


def is_about_the_message(error: BaseException) -> bool:
    """True when the failure concerns this message only (its recipient or its content).

    Anything else (no connection, TLS, login, sender refused) will fail every message the
    same way, so the dispatcher stops its run rather than hammering a server that is down.
    """
    return isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError)


def describe(error: BaseException) -> str:
    """A short, log- and page-safe description of a sending error."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [f"{code} {_text(reply)}" for code, reply in error.recipients.values()]
        return "recipient refused: " + "; ".join(parts)
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}: {error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"[:1000]


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
