"""The audit trail: who did what, when; append-only and HMAC-chained."""

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from psycopg.types.json import Json
from sqlalchemy import ColumnElement, event, func, insert, or_
from sqlmodel import Session, col, select

from tracker.formats.csv_cells import safe_text
from tracker.services.actors import Actor
from tracker.settings import PLACEHOLDER_SECRET, get_settings
from tracker.store.ids import stored_id
from tracker.store.models import AuditEvent
from tracker.store.types import utcnow

if TYPE_CHECKING:
    import psycopg

_PENDING = "audit_pending"
_WITH_LOCK = "audit_with_lock"
# A fixed key for pg_advisory_xact_lock: one chain, appended by one transaction at a time.
_CHAIN_LOCK_KEY = 0x1C_A0D1


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity: str = "",
    entity_id: Any = None,
    patient_id: int | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Queue an audit entry; it is written, chained, in the same commit as the change."""
    session.info.setdefault(_PENDING, []).append(
        PendingEntry(
            at=utcnow(),
            actor_id=actor.id,
            actor_name=actor.username,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            patient_id=patient_id,
            changes=_jsonable(changes or {}),
            ip_address=actor.ip_address,
        )
    )


@dataclass(slots=True)
class PendingEntry:
    """An entry waiting for the commit that chains and writes it (an audit_event row's
    fields: a plain object, as building the ORM row cost more than writing it)."""

    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    entity: str
    entity_id: str | None
    patient_id: int | None
    changes: dict[str, Any]
    ip_address: str | None
    id: int | None = None
    prev_hmac: str = ""
    hmac: str = ""


def run_with_chain_lock(session: Session, sql: str, params: tuple[Any, ...]) -> bool:
    """Have a statement sent with the chain's lock at commit, in the same round trip (and
    under the lock): True when done so (PostgreSQL, with entries to write); False when the
    caller must run it itself."""
    if not session.info.get(_PENDING) or session.get_bind().dialect.name != "postgresql":
        return False
    session.info.setdefault(_WITH_LOCK, []).append((sql, params))
    return True


def patient_viewed(session: Session, *, actor: Actor, patient_id: int, part: str) -> None:
    """Record that someone read a patient's record (`part`: which of it, e.g. "weights")."""
    record(
        session,
        actor=actor,
        action="patient.view",
        entity="patient",
        entity_id=patient_id,
        patient_id=patient_id,
        changes={"viewed": part},
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields that changed, as {field: [old, new]}."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def entry_mac(entry: AuditEvent | PendingEntry, prev_hmac: str, key: str | None = None) -> str:
    """The HMAC-SHA256 of an entry's content chained to the previous entry's HMAC."""
    payload = json.dumps(
        {
            "id": entry.id,
            "at": entry.at.isoformat(timespec="microseconds"),
            "actor_id": entry.actor_id,
            "actor_name": entry.actor_name,
            "action": entry.action,
            "entity": entry.entity,
            "entity_id": entry.entity_id,
            "patient_id": entry.patient_id,
            "changes": entry.changes,
            "ip_address": entry.ip_address,
            "prev": prev_hmac,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    secret = (key or get_settings().secret_key).encode()
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


# Set by the command line in development: called (and expected to raise) before any entry is
# chained with the placeholder secret, which anyone can read and which a real key later fails.
_placeholder_guard: Callable[[], None] | None = None


def guard_placeholder_secret(guard: Callable[[], None] | None) -> None:
    """Have `guard` refuse (raise) instead of writing entries with the placeholder secret."""
    global _placeholder_guard
    _placeholder_guard = guard


def refuse_if_placeholder_secret() -> None:
    """Call the guard now when entries would be chained with the placeholder secret."""
    if _placeholder_guard is not None and get_settings().secret_key == PLACEHOLDER_SECRET:
        _placeholder_guard()


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    refuse_if_placeholder_secret()
    # The transaction's own changes go first, so that the chain's lock (held until the
    # commit ends) covers only the few statements that append to the chain.
    session.flush()
    last_id, prev = _lock_chain_tail(session)
    # The id is part of what the HMAC covers; taking the next one ourselves (appends are
    # serialised) means each entry is written once, by INSERT only, never updated: a database
    # role without UPDATE and DELETE on audit_event can run the app.
    rows = []
    for entry in pending:
        last_id += 1
        entry.id = last_id
        entry.prev_hmac = prev
        entry.hmac = entry_mac(entry, prev)
        prev = entry.hmac
        rows.append({c: getattr(entry, c) for c in _COLUMNS})
    raw = session.info.get(_FLUSH_WAIT)
    if raw is not None and not (session.new or session.dirty or session.deleted):
        _insert_commit_and_wait(raw, rows)
        del session.info[_FLUSH_WAIT]  # waited for already
        return
    # A plain INSERT, not the unit of work: its bookkeeping would run while others wait.
    session.execute(insert(AuditEvent.__table__), rows)


_COLUMNS = tuple(c.name for c in AuditEvent.__table__.columns)
_TAIL_SQL = "SELECT id, hmac FROM audit_event ORDER BY id DESC LIMIT 1"
_INSERT_SQL = (
    f"INSERT INTO audit_event ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(f'%({c})s' for c in _COLUMNS)})"
)


def _insert_commit_and_wait(raw: "psycopg.Connection[Any]", rows: list[dict[str, Any]]) -> None:
    # PostgreSQL, a top-level commit with nothing left to flush: the entries, the COMMIT and
    # the wait for the WAL flush (see _wait_until_durable) go in one round trip, pipeline
    # mode (a failed INSERT leaves the rest unrun). After the COMMIT, the SELECT before the
    # pipeline's sync runs in an implicit transaction of its own, committed at the sync with
    # the session's synchronous commit: the server answers once the WAL is flushed past it,
    # and so past ours, with the chain's lock already released. The session's own commit,
    # just after, finds no transaction open and sends nothing (psycopg commits only an open
    # one). COMMIT as a statement, not raw.commit(), which waits for a sync of its own.
    with raw.cursor() as cursor, raw.pipeline():
        cursor.executemany(_INSERT_SQL, [{**row, "changes": Json(row["changes"])} for row in rows])
        cursor.execute("COMMIT")
        cursor.execute("SELECT txid_current()")


def _lock_chain_tail(session: Session) -> tuple[int, str]:
    """Take the chain's lock and read its last entry: (id, hmac), or (0, "") when empty."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        # SQLite: the write transaction began IMMEDIATE, so appends are serialised already.
        last = connection.exec_driver_sql(_TAIL_SQL).first()
        return (last[0], last[1]) if last else (0, "")
    # Serialise appends so that two transactions never chain to the same predecessor. The
    # lock and the read go in one round trip (pipeline mode); the read is a statement of its
    # own, so under READ COMMITTED its snapshot is taken after the lock is granted and it
    # sees the entry committed by whoever held the lock before.
    raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    # A top-level commit does not wait for its WAL flush while holding the lock (the
    # flush is waited for just after, see _wait_until_durable); a savepoint's release
    # (the tests' joined sessions) is no commit, so the transaction is left as it is.
    commit_early = not connection.in_nested_transaction()
    lock_sql = (
        "SELECT set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(%s)"
        if commit_early
        else "SELECT pg_advisory_xact_lock(%s)"
    )
    with raw.cursor() as lock, raw.cursor() as tail:
        with raw.pipeline():
            lock.execute(lock_sql, (_CHAIN_LOCK_KEY,))
            # Planned at each read, never prepared: a prepared plan is kept for the life of
            # the connection, and one made while the chain was short (a new database) reads
            # the whole table and sorts it, at every append, until the table is analysed
            # again (a cohort loaded with no audit entries: 0.29 ms a read on average over
            # its first 1,200 writes, against 0.014 ms by the index).
            tail.execute(_TAIL_SQL, prepare=False)
            for sql, params in session.info.pop(_WITH_LOCK, ()):
                raw.execute(sql, params)
        last = tail.fetchone()
    if commit_early:
        session.info[_FLUSH_WAIT] = raw
    return (last[0], last[1]) if last else (0, "")


# Why the commit does not wait for its WAL flush, and why nothing is lost by it:
# the chain's lock is held until the commit ends, and a synchronous commit ends only after
# the WAL is flushed to disk (here 1-4 ms, most of a write's time under the lock), so
# appends could never share a flush and the flush time bounded the writes per second. So
# the appending transaction commits without waiting (SET LOCAL synchronous_commit = off:
# the commit record is written, the lock released), and then, before the caller is told
# the write succeeded, waits for the flush outside the lock: a one-statement transaction
# with an id commits synchronously, which waits until the WAL is flushed past its own
# commit record, and so past ours. Concurrent waits share one flush. After a crash the
# WAL is replayed up to where it was flushed, a prefix, so an entry lost with a
# not-yet-acknowledged write takes every later entry (chained to it) with it: the chain
# stays whole and nothing acknowledged is lost.
_FLUSH_WAIT = "audit_flush_wait"


@event.listens_for(Session, "after_commit")
def _wait_until_durable(session: Session) -> None:
    raw = session.info.pop(_FLUSH_WAIT, None)
    if raw is None:
        return
    autocommit = raw.autocommit
    raw.autocommit = True
    try:
        raw.execute("SELECT txid_current()")
    finally:
        raw.autocommit = autocommit


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_WITH_LOCK, None)
    session.info.pop(_FLUSH_WAIT, None)


HMAC_MISMATCH = "content does not match its HMAC"


def verify_chain(session: Session, *, batch_size: int = 5000) -> list[tuple[int, str]]:
    """Check every entry's HMAC and link; the list of (id, problem) is empty when intact."""
    problems: list[tuple[int, str]] = []
    prev = ""
    last_id = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.id > last_id)
            .order_by(AuditEvent.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return problems
        for entry in rows:
            if entry.prev_hmac != prev:
                problems.append((stored_id(entry), "link to the previous entry is broken"))
            if not hmac.compare_digest(entry.hmac, entry_mac(entry, entry.prev_hmac)):
                problems.append((stored_id(entry), HMAC_MISMATCH))
            prev = entry.hmac
            last_id = stored_id(entry)
        session.expunge_all()


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show: every field optional; days are UTC days, both ends included."""

    actor: str = ""
    patient_id: int | None = None
    action: str = ""
    from_day: date | None = None
    to_day: date | None = None

    def as_dict(self) -> dict[str, Any]:
        """The filter's non-empty fields, to record who exported what."""
        return {k: v for k, v in vars(self).items() if v not in ("", None)}

    def where(self) -> list[ColumnElement[bool]]:
        """The SQL conditions of this filter."""
        conditions = []
        if self.actor:
            conditions.append(AuditEvent.actor_name == self.actor.strip().lower())
        if self.patient_id is not None:
            conditions.append(AuditEvent.patient_id == self.patient_id)
        if self.action:
            # "login" finds login, login.failed and login.throttled.
            conditions.append(
                or_(
                    AuditEvent.action == self.action,
                    col(AuditEvent.action).startswith(self.action + "."),
                )
            )
        if self.from_day:
            conditions.append(AuditEvent.at >= _utc_midnight(self.from_day))
        if self.to_day:
            conditions.append(AuditEvent.at < _utc_midnight(self.to_day + timedelta(days=1)))
        return conditions


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def search(
    session: Session, *, where: AuditFilter, limit: int = 100, offset: int = 0
) -> tuple[int, list[AuditEvent]]:
    """Entries matching the filter, newest first; (total, one page)."""
    conditions = where.where()
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    rows = session.exec(
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return total, list(rows)


def actions(session: Session) -> list[str]:
    """The distinct actions recorded so far, for the filter's choices."""
    return list(session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


CSV_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "ip_address",
    "action",
    "entity",
    "entity_id",
    "patient_id",
    "changes",
    "prev_hmac",
    "hmac",
)


def last_id(session: Session) -> int:
    """The id of the newest entry (0 when the trail is empty)."""
    return session.exec(select(func.max(AuditEvent.id))).one() or 0


def newest_entry(session: Session) -> tuple[int, str]:
    """The newest entry's id and HMAC, (0, "") when the trail is empty."""
    newest = last_id(session)
    entry = session.get(AuditEvent, newest) if newest else None
    return newest, entry.hmac if entry else ""


def export_csv(
    session: Session, *, where: AuditFilter, upto_id: int, batch_size: int = 2000
) -> Iterator[str]:
    """The matching entries up to `upto_id` as CSV text, oldest first, a batch at a time."""
    conditions = [*where.where(), AuditEvent.id <= upto_id]
    yield _csv_line(CSV_COLUMNS)
    last_id = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.id > last_id, *conditions)
            .order_by(AuditEvent.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return
        yield "".join(_csv_line(_csv_cells(entry)) for entry in rows)
        last_id = stored_id(rows[-1])


def _csv_cells(entry: AuditEvent) -> list[Any]:
    return [
        entry.id,
        entry.at.isoformat(timespec="microseconds"),
        entry.actor_id,
        entry.actor_name,
        entry.ip_address,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.patient_id,
        json.dumps(entry.changes, sort_keys=True),
        entry.prev_hmac,
        entry.hmac,
    ]


def _csv_line(cells: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([_defuse(c) for c in cells])
    return out.getvalue()


def _defuse(cell: Any) -> str:
    # A cell starting with = + - @ (or a tab/CR) runs as a formula when a spreadsheet opens
    # the export (OWASP "CSV injection"); a leading apostrophe keeps it text.
    return safe_text("" if cell is None else str(cell))
