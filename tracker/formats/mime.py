"""Turning an outbox row's fields into a MIME message."""

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr


def new_message_id(mail_from: str) -> str:
    """A fresh Message-ID in the sender's domain, fixed before the first attempt."""
    _, address = parseaddr(mail_from)
    domain = address.rpartition("@")[2] or "ivig-tracker.invalid"
    return make_msgid(domain=domain)


def build_message(
    *,
    mail_from: str,
    from_name: str,
    to_address: str,
    subject: str,
    body_text: str,
    body_html: str | None,
    attachments: list[dict],
    message_id: str,
    date: datetime,
) -> EmailMessage:
    """A text (and HTML) message with its attachments and our fixed Message-ID."""
    message = EmailMessage()
    name, address = parseaddr(mail_from)
    # A display name in TRACKER_MAIL_FROM wins over the site's name.
    message["From"] = Address(display_name=name or from_name, addr_spec=address)
    message["To"] = to_address
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    # The same Message-ID on every attempt: a copy resent after a crash can be recognised
    # (and is dropped by many mail systems) as the same message.
    message["Message-ID"] = message_id
    # RFC 3834: tells auto-responders (out-of-office) not to answer.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body_text)
    if body_html:
        message.add_alternative(body_html, subtype="html")
    for item in attachments:
        maintype, _, subtype = item["content_type"].partition("/")
        params = dict(item.get("params") or {})
        if maintype == "text":
            message.add_attachment(
                item["content"], subtype=subtype, filename=item["filename"], params=params
            )
        else:
            message.add_attachment(
                item["content"].encode(),
                maintype=maintype,
                subtype=subtype,
                filename=item["filename"],
                params=params,
            )
    return message
