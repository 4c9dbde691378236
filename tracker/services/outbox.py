"""The e-mail outbox: rows written once per deduplication key, claimed, sent, retried.

A message's life: pending -> sending (claimed by one dispatcher) -> sent; or back to pending
with a later next_attempt_at after a temporary failure; or failed, after a permanent refusal
or a day of retries; or withdrawn, when what it announced no longer holds.
"""

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from tracker.formats.mime import new_message_id
from tracker.rules.vocabulary import CourseStatus, PatientStatus
from tracker.services import audit, plain_sql
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, NotFound
from tracker.store.ids import stored_id
from tracker.store.models import Infusion, OutboxMessage, Patient
from tracker.store.types import utcnow

REMINDER = "infusion_reminder"
WINDOW_OPEN = "window_open"
DIGEST = "pharmacy_digest"
ALERT = "clinical_alert"
SC_REMINDER = "sc_reminder"  # a self-infusing patient's SC day (services.sc_reminders)
PATIENT_KINDS = (REMINDER, WINDOW_OPEN, SC_REMINDER)

# The page's tabs: 'sending' is shown with pending, since for a person it is still to go.
TABS = {
    "pending": ("pending", "sending"),
    "sent": ("sent",),
    "failed": ("failed",),
    "withdrawn": ("withdrawn",),
}


# The deduplication keys: each says what makes a message the same message.


def reminder_key(infusion_id: int, day: date, start_time: time | None) -> str:
    """A course's reminder; moving it to another day or time makes a new one."""
    when = day.isoformat() + (f"T{start_time:%H:%M}" if start_time else "")
    return f"infusion-reminder:{infusion_id}:{when}"


def window_open_key(patient_id: int, window_start: date) -> str:
    """The notice that a patient's booking window has opened."""
    return f"window-open:{patient_id}:{window_start.isoformat()}"


def sc_reminder_key(patient_id: int, due_on: date) -> str:
    """A self-infusing patient's reminder of one SC day: once per due day."""
    return f"sc-reminder:{patient_id}:{due_on.isoformat()}"


def digest_key(day: date) -> str:
    """The pharmacy's digest for one site day."""
    return f"digest:{day.isoformat()}"


def waning_alert_key(patient_id: int, regimen_id: int | None, patterns: Sequence[str]) -> str:
    """A waning-response alert: once per regimen and set of patterns."""
    return f"alert-waning:{patient_id}:{regimen_id}:{'+'.join(sorted(patterns))}"


def max_dose_alert_key(patient_id: int, regimen_id: int | None) -> str:
    """A maximum-dose alert: once per regimen."""
    return f"alert-max-dose:{patient_id}:{regimen_id}"


@dataclass(frozen=True)
class Outgoing:
    """A claimed message's fields, detached from any session."""

    id: int
    kind: str
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    attachments: list[dict[str, Any]]
    message_id: str


def enqueue(
    session: Session,
    *,
    dedup_key: str,
    kind: str,
    to_address: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    attachments: Sequence[dict[str, Any]] = (),
    patient_id: int | None = None,
    infusion_id: int | None = None,
    revive_withdrawn: bool = False,
) -> bool:
    """Write a message unless its key exists; True when a row was written (or revived).

    ON CONFLICT DO NOTHING: two sweeps at once write the row once, the second waits for the
    first's commit and then skips. `revive_withdrawn` brings back a withdrawn row with new
    content (a course moved away and back again: the earlier row was never sent).
    """
    values = {
        "dedup_key": dedup_key,
        "kind": kind,
        "to_address": to_address,
        "subject": subject[:200],
        "body_text": body_text,
        "body_html": body_html,
        "attachments": list(attachments),
        "patient_id": patient_id,
        "infusion_id": infusion_id,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "created_at": utcnow(),
    }
    table = OutboxMessage.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT here.
    written = session.execute(
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(table.c.id)
    ).first()
    if written is not None:
        return True
    if not revive_withdrawn:
        return False
    revived = cast(
        CursorResult[Any],
        session.execute(
            update(table)
            .where(table.c.dedup_key == dedup_key, table.c.status == "withdrawn")
            .values(
                **{k: v for k, v in values.items() if k not in ("dedup_key", "created_at")},
                last_error=None,
                first_attempt_at=None,
                claimed_at=None,
                claimed_by=None,
            )
        ),
    )  # an UPDATE's result is a CursorResult; Session.execute is typed for any statement
    return revived.rowcount == 1


# Keys per IN list: well under SQLite's and PostgreSQL's limits on parameters.
KEY_CHUNK = 1000


def key_statuses(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """The status of each of these deduplication keys already in the outbox (absent: none)."""
    wanted = sorted(set(keys))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), KEY_CHUNK):
        found.update(
            session.exec(
                select(OutboxMessage.dedup_key, OutboxMessage.status).where(
                    col(OutboxMessage.dedup_key).in_(wanted[start : start + KEY_CHUNK])
                )
            ).all()
        )
    return found


def reminder_keys_by_course(session: Session, infusion_ids: Sequence[int]) -> dict[int, list[str]]:
    """The keys of every reminder written for each of these courses, whatever its status."""
    found: dict[int, list[str]] = {}
    ids = sorted(set(infusion_ids))
    for start in range(0, len(ids), KEY_CHUNK):
        for infusion_id, key in session.exec(
            select(OutboxMessage.infusion_id, OutboxMessage.dedup_key).where(
                col(OutboxMessage.infusion_id).in_(ids[start : start + KEY_CHUNK]),
                OutboxMessage.kind == REMINDER,
            )
        ):
            if infusion_id is not None:
                found.setdefault(infusion_id, []).append(key)
    return found


def enqueue_many(session: Session, messages: Sequence[dict[str, Any]]) -> int:
    """Write these messages (each enqueue's keyword arguments, without revive_withdrawn) in
    few statements; a key that exists already is skipped. How many rows were written."""
    if not messages:
        return 0
    now = utcnow()
    rows = [
        {
            "patient_id": None,
            "infusion_id": None,
            "body_html": None,
            **m,
            "subject": m["subject"][:200],
            "attachments": list(m.get("attachments", ())),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for m in messages
    ]
    table = OutboxMessage.__table__
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    written = 0
    for start in range(0, len(rows), KEY_CHUNK // 10):
        written += len(
            session.execute(
                insert(table)
                .values(rows[start : start + KEY_CHUNK // 10])
                .on_conflict_do_nothing(index_elements=["dedup_key"])
                .returning(table.c.id)
            ).all()
        )
    return written


# Plain SQL (services.plain_sql): every course given, moved or cancelled sends it.
_WITHDRAW_REMINDERS = (
    "UPDATE outbox_message SET status = 'withdrawn' WHERE infusion_id = :course_id "
    f"AND kind = '{REMINDER}' AND status = 'pending'"
)


def withdraw_reminders(session: Session, *, infusion_id: int, keep_key: str | None = None) -> int:
    """Withdraw a course's pending reminders (call after cancelling or moving it); how many.

    A reminder already being sent cannot be stopped; one already sent stays sent.
    """
    sql = _WITHDRAW_REMINDERS + ("" if keep_key is None else " AND dedup_key != :keep_key")
    withdrawn = plain_sql.run(session, sql, {"course_id": infusion_id, "keep_key": keep_key})
    if withdrawn:
        # A message loaded in this session is behind its row now: read it again if used.
        for loaded in list(session.identity_map.values()):
            if isinstance(loaded, OutboxMessage):
                session.expire(loaded)
    return withdrawn


def withdraw_stale_reminders(session: Session) -> int:
    """Withdraw every pending reminder whose course is no longer booked for its day and time."""
    rows = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel's select() is typed for 4 columns
            OutboxMessage.id,
            OutboxMessage.dedup_key,
            Infusion.id,
            Infusion.status,
            Infusion.scheduled_on,
            Infusion.start_time,
        )
        .join(Infusion, Infusion.id == OutboxMessage.infusion_id)
        .where(OutboxMessage.kind == REMINDER, OutboxMessage.status == "pending")
    ).all()
    stale = [
        row_id
        for row_id, key, infusion_id, status, day, start in rows
        if status != CourseStatus.BOOKED or key != reminder_key(infusion_id, day, start)
    ]
    if stale:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(stale)).values(status="withdrawn")
        )
    return len(stale)


def claim_due(
    session: Session,
    *,
    worker: str,
    now: datetime,
    limit: int,
    claim_timeout: timedelta,
    mail_from: str,
) -> list[Outgoing]:
    """Claim up to `limit` messages that are due, or were left 'sending' by a dead worker.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent dispatchers take different rows.
    SQLite: the caller's BEGIN IMMEDIATE makes claims one at a time.
    """
    rows = session.exec(
        select(OutboxMessage)
        .where(
            or_(
                and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
                and_(
                    OutboxMessage.status == "sending",
                    OutboxMessage.claimed_at <= now - claim_timeout,
                    OutboxMessage.claimed_by != worker,
                ),
            )
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for row in rows:
        row.status = "sending"
        row.claimed_at = now
        row.claimed_by = worker
        # Fixed before the first send and kept for every retry (see build_message).
        row.message_id = row.message_id or new_message_id(mail_from)
        claimed.append(
            Outgoing(
                id=stored_id(row),
                kind=row.kind,
                to_address=row.to_address,
                subject=row.subject,
                body_text=row.body_text,
                body_html=row.body_html,
                attachments=list(row.attachments or []),
                message_id=row.message_id,
            )
        )
    session.flush()
    return claimed


def confirm_claim(session: Session, *, outbox_id: int, worker: str, now: datetime) -> bool:
    """Just before sending: still ours and still wanted? Counts the attempt; False to skip.

    Renewing claimed_at here means a claim only goes stale while one send is stuck, never
    because a long batch was slow; withdrawing here means a cancelled course, a withdrawn
    consent or a changed address stops a message even if no sweep has run since.
    """
    row = session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None or row.status != "sending" or row.claimed_by != worker:
        return False
    if not _still_wanted(session, row):
        row.status = "withdrawn"
        session.flush()
        return False
    row.claimed_at = now
    row.attempts += 1
    row.first_attempt_at = row.first_attempt_at or now
    session.flush()
    return True


def _still_wanted(session: Session, row: OutboxMessage) -> bool:
    if row.kind not in PATIENT_KINDS or row.patient_id is None:
        return True
    patient = session.get(Patient, row.patient_id)
    if (
        patient is None
        or patient.status != PatientStatus.ACTIVE
        or not patient.reminder_consent
        or (patient.email or "").strip().lower() != row.to_address.strip().lower()
    ):
        return False
    if row.kind == REMINDER and row.infusion_id is not None:
        infusion = session.get(Infusion, row.infusion_id)
        return (
            infusion is not None
            and infusion.status == CourseStatus.BOOKED
            and row.dedup_key
            == reminder_key(stored_id(infusion), infusion.scheduled_on, infusion.start_time)
        )
    if row.kind == WINDOW_OPEN:
        # "Time to book" is moot once a course has been booked (or moved) since the notice
        # was queued.
        booked = session.exec(
            select(Infusion.id).where(
                Infusion.patient_id == row.patient_id,
                Infusion.status == CourseStatus.BOOKED,
                Infusion.updated_at >= row.created_at,
            )
        ).first()
        return booked is None
    return True


def mark_sent(session: Session, *, outbox_id: int, now: datetime) -> None:
    """Record that the server accepted the message (whoever holds the claim now)."""
    # Unconditional: the send happened. If another dispatcher has reclaimed the row in the
    # meantime, this makes its confirm_claim fail, which stops a duplicate.
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(status="sent", sent_at=now, claimed_at=None, claimed_by=None)
    )


def record_failure(
    session: Session,
    *,
    outbox_id: int,
    worker: str,
    now: datetime,
    error: str,
    permanent: bool,
    retry_for: timedelta,
    rng: random.Random | None = None,
) -> str:
    """After a failed send: retry later with backoff, or give up; the row's new status."""
    row = session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None:
        return "missing"
    if row.status != "sending" or row.claimed_by != worker:
        return row.status
    row.last_error = error[:1000]
    row.claimed_at = None
    row.claimed_by = None
    deadline = (row.first_attempt_at or now) + retry_for
    if permanent or now >= deadline:
        row.status = "failed"
        row.failed_at = now
    else:
        row.status = "pending"
        # The last try lands on the deadline itself, so "a day of retries" means a day.
        row.next_attempt_at = min(now + backoff_delay(row.attempts, rng), deadline)
    session.flush()
    return row.status


def backoff_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """2^attempts minutes, at most an hour, give or take 20% so retries do not march in step."""
    minutes = min(2 ** max(attempts, 1), 60)
    return timedelta(minutes=minutes * (rng or random).uniform(0.8, 1.2))


def release(session: Session, *, outbox_ids: Iterable[int], worker: str) -> None:
    """Hand back claimed messages that were not tried (a dispatcher stopping early)."""
    ids = list(outbox_ids)
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status == "sending",
                OutboxMessage.claimed_by == worker,
            )
            .values(status="pending", claimed_at=None, claimed_by=None)
        )


def retry_failed(session: Session, *, actor: Actor, outbox_id: int) -> OutboxMessage:
    """Put a failed message back in the queue for a fresh day of retries (audited)."""
    row = session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no outbox message with id {outbox_id}")
    if row.status != "failed":
        raise Conflict(f"the message is {row.status}, not failed", field="status")
    if not row.body_text:
        raise Conflict(
            "the message's text was cleared after the retention period; it can no longer be sent",
            field="status",
        )
    row.status = "pending"
    row.attempts = 0
    row.first_attempt_at = None
    row.failed_at = None
    row.next_attempt_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="outbox.retry",
        entity="outbox_message",
        entity_id=row.id,
        patient_id=row.patient_id,
        changes={"kind": row.kind, "last_error": row.last_error},
    )
    return row


def clear_old_bodies(session: Session, *, before: datetime) -> int:
    """Clear the text and attachments of messages finished before `before`; how many.

    A reminder's text names the patient and the day: once it is long sent (or withdrawn, or
    given up on), the row's who, when, subject and Message-ID are record enough. The row and
    its deduplication key stay, so nothing is ever sent twice.
    """
    finished = or_(
        and_(OutboxMessage.status == "sent", OutboxMessage.sent_at < before),
        and_(OutboxMessage.status == "failed", OutboxMessage.failed_at < before),
        and_(OutboxMessage.status == "withdrawn", OutboxMessage.created_at < before),
    )
    result = cast(
        CursorResult[Any],
        session.execute(  # an UPDATE's result (as above)
            update(OutboxMessage)
            .where(finished, OutboxMessage.body_text != "")
            .values(body_text="", body_html=None, attachments=[])
        ),
    )
    return result.rowcount


def counts(session: Session) -> dict[str, int]:
    """How many messages each tab holds."""
    by_status = dict(
        session.exec(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return {tab: sum(by_status.get(s, 0) for s in statuses) for tab, statuses in TABS.items()}


def messages(
    session: Session, *, tab: str, limit: int = 50, offset: int = 0
) -> tuple[int, list[OutboxMessage]]:
    """One tab's messages, a page at a time: (total, rows)."""
    statuses = TABS[tab]
    order = {
        "pending": (OutboxMessage.next_attempt_at, OutboxMessage.id),
        "sent": (OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()),
        "failed": (OutboxMessage.failed_at.desc(), OutboxMessage.id.desc()),
        "withdrawn": (OutboxMessage.id.desc(),),
    }[tab]
    where = OutboxMessage.status.in_(statuses)
    total = session.exec(select(func.count()).select_from(OutboxMessage).where(where)).one()
    rows = session.exec(
        select(OutboxMessage).where(where).order_by(*order).limit(limit).offset(offset)
    ).all()
    return total, list(rows)


def failed_since(
    session: Session, *, since: datetime, limit: int
) -> tuple[int, list[OutboxMessage]]:
    """Messages given up on since an instant: (total, the first `limit` of them)."""
    where = and_(OutboxMessage.status == "failed", OutboxMessage.failed_at > since)
    total = session.exec(select(func.count()).select_from(OutboxMessage).where(where)).one()
    rows = session.exec(
        select(OutboxMessage).where(where).order_by(OutboxMessage.failed_at).limit(limit)
    ).all()
    return total, list(rows)
