"""The outbox dispatcher: claim what is due, send it, mark it; retry failures with backoff.

Each step is its own short transaction, so no database lock is held while talking to the
SMTP server, and a crash at any point leaves rows that the next run can finish:
- killed before sending: the claim goes stale and another run sends the message once;
- killed after the server accepted but before marking: that one message is sent again,
  with the same Message-ID. So: at most one duplicate per crash.
When the server itself fails (down, TLS, login), the run stops after that one message: a
server that is down is asked once a run, not once per queued message.
"""

import logging
import os
import random
import secrets
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from tracker.formats.mime import build_message
from tracker.mail.sender import (
    MailSender,
    describe,
    is_about_the_message,
    is_permanent,
    make_sender,
)
from tracker.services import outbox
from tracker.settings import Settings, get_settings
from tracker.store.engine import session_scope
from tracker.store.types import utcnow

log = logging.getLogger("tracker.jobs.dispatch")


@dataclass(frozen=True)
class DispatchResult:
    """How many messages one run sent, will retry, gave up on or found withdrawn."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0

    def describe(self) -> str:
        """One line for the log and the command line."""
        return (
            f"sent {self.sent}, will retry {self.retrying}, failed {self.failed}, "
            f"skipped {self.skipped}"
        )


def worker_name() -> str:
    """This process's name on its claims: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def run_dispatch(
    engine: Engine | None = None,
    *,
    settings: Settings | None = None,
    sender: MailSender | None = None,
    worker: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    keep_going: Callable[[], bool] = lambda: True,
    rng: random.Random | None = None,
) -> DispatchResult:
    """Send everything that is due now, batch after batch, until nothing is due."""
    settings = settings or get_settings()
    sender = sender if sender is not None else make_sender(settings)
    worker = worker or worker_name()
    claim_timeout = timedelta(seconds=settings.outbox_claim_timeout_seconds)
    retry_for = timedelta(hours=settings.outbox_retry_hours)
    tally: Counter[str] = Counter()
    with sender:
        while keep_going():
            with session_scope(engine) as session:
                batch = outbox.claim_due(
                    session,
                    worker=worker,
                    now=clock(),
                    limit=settings.outbox_batch_size,
                    claim_timeout=claim_timeout,
                    mail_from=settings.mail_from,
                )
            if not batch:
                break
            stop = False
            for position, message in enumerate(batch):
                if stop or not keep_going():
                    # Untried: back to pending, no attempt counted, ready for the next run.
                    with session_scope(engine) as session:
                        outbox.release(
                            session, outbox_ids=[m.id for m in batch[position:]], worker=worker
                        )
                    stop = True
                    break
                status, server_down = _send_one(
                    engine, settings, sender, worker, message, clock, retry_for, rng
                )
                tally[status] += 1
                stop = server_down
            if stop:
                break
    result = DispatchResult(
        sent=tally["sent"],
        retrying=tally["pending"],
        failed=tally["failed"],
        skipped=tally["skipped"],
    )
    if any(tally.values()):
        log.info("outbox: %s", result.describe())
    return result


def _send_one(engine, settings, sender, worker, message, clock, retry_for, rng) -> tuple[str, bool]:
    """Send one claimed message; (its new status, whether the server itself failed)."""
    with session_scope(engine) as session:
        if not outbox.confirm_claim(session, outbox_id=message.id, worker=worker, now=clock()):
            return "skipped", False
    email = build_message(
        mail_from=settings.mail_from,
        from_name=settings.site_name,
        to_address=message.to_address,
        subject=message.subject,
        body_text=message.body_text,
        body_html=message.body_html,
        attachments=message.attachments,
        message_id=message.message_id,
        date=clock(),
    )
    try:
        sender.send(email)
    except Exception as exc:  # any failure to deliver is recorded and retried, never lost
        error = describe(exc)
        with session_scope(engine) as session:
            status = outbox.record_failure(
                session,
                outbox_id=message.id,
                worker=worker,
                now=clock(),
                error=error,
                permanent=is_permanent(exc),
                retry_for=retry_for,
                rng=rng,
            )
        log.warning(
            "outbox: message %s (%s) not sent: %s; now %s", message.id, message.kind, error, status
        )
        return status, not is_about_the_message(exc)
    with session_scope(engine) as session:
        outbox.mark_sent(session, outbox_id=message.id, now=clock())
    return "sent", False
