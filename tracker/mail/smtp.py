"""SMTP delivery with the contract's settings: STARTTLS and login when they are set."""

import smtplib
import ssl
from email.message import EmailMessage

from tracker.settings import Settings


class SmtpSender:
    """Sends over one SMTP connection per batch, reconnecting after any failure."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "SmtpSender":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        """Deliver one message; raises smtplib or socket errors."""
        smtp = self._connection()
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise  # smtplib has reset the transaction: the connection is still good
        except BaseException:
            self.close()  # a half-finished transaction: start the next one afresh
            raise

    def close(self) -> None:
        """Say goodbye to the server, ignoring a connection that already died."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            smtp.ehlo()
            if s.smtp_starttls:
                # The system's trusted CAs and hostname checking: a relay that cannot prove
                # who it is does not get patients' addresses or the login.
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp
