"""Each patient's stored evaluation: the row values, and writing many rows at once."""

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import cache
from operator import itemgetter
from typing import Any

from sqlmodel import Session

from tracker.rules import CourseFact, Evaluation, PackedFacts, SitePolicy, evaluate_packed
from tracker.rules.expiry import packed_expires_on
from tracker.rules.vocabulary import CourseStatus, FlagCode
from tracker.services.state_version import states_changed
from tracker.store.models import PatientState
from tracker.store.types import utcnow

DETAIL_CHARS = 1000  # waning_detail and recommendation_reason are kept this long
COPY_FROM = 100  # PostgreSQL: from this many rows, states are copied in (_copy_and_upsert)
# A stored state is re-evaluated at the latest after STATE_DAYS_MIN plus (patient id modulo
# STATE_DAYS_SPREAD) days, whatever rules.expiry finds (latest_expiry).
STATE_DAYS_MIN = 21
STATE_DAYS_SPREAD = 8


def latest_expiry(patient_id: int, today: date) -> date:
    """The latest day a state evaluated `today` is kept without re-evaluation.

    A guard against a calendar dependence rules.expiry does not know of: 21 to 28 days,
    spread by patient so that a cohort evaluated on one day does not all expire together.
    """
    return today + timedelta(days=STATE_DAYS_MIN + patient_id % STATE_DAYS_SPREAD)


def packed_state(
    patient_id: int, facts: PackedFacts, *, today: date, policy: SitePolicy
) -> tuple[Evaluation, dict[str, Any]]:
    """A patient's packed facts evaluated for today, and the patient_state row that stores
    it with the day it expires (pure: the sweep runs it in worker processes)."""
    evaluation = evaluate_packed(facts, on=today, policy=policy)
    expires = packed_expires_on(
        facts, evaluation, policy=policy, latest=latest_expiry(patient_id, today)
    )
    return evaluation, state_values(patient_id, evaluation, facts.bookings, expires)


def packed_states(
    batch: Sequence[tuple[int, PackedFacts]], today: date, policy: SitePolicy
) -> list[dict[str, Any]]:
    """The patient_state rows of a batch of (patient id, packed facts)."""
    return [packed_state(pid, facts, today=today, policy=policy)[1] for pid, facts in batch]


def state_values(
    patient_id: int,
    ev: Evaluation,
    courses: Iterable[CourseFact],
    expires_on: date | None = None,
) -> dict[str, Any]:
    """The patient_state row for an evaluation (`courses`: any of theirs; booked ones count;
    `expires_on`: the day it stops being true by the calendar, rules.expiry)."""
    flags = {f.code: f for f in ev.flags}
    waning = flags.get(FlagCode.WANING_RESPONSE)
    refractory = flags.get(FlagCode.REFRACTORY)
    no_response = flags.get(FlagCode.NO_RESPONSE)
    ending = flags.get(FlagCode.AUTHORIZATION_ENDING)
    missing = flags.get(FlagCode.AUTHORIZATION_MISSING)
    rec = ev.recommendation
    booked_days = [c.starts_on for c in courses if c.status == CourseStatus.BOOKED]
    return {
        "patient_id": patient_id,
        "status": ev.status,
        "evaluated_on": ev.on,
        "regimen_id": ev.regimen_id,
        "due_on": ev.due_on,
        "window_start": ev.window_start,
        "window_end": ev.window_end,
        "next_booking_id": ev.next_booking.id if ev.next_booking else None,
        "next_booking_on": ev.next_booking.starts_on if ev.next_booking else None,
        "last_booking_on": max(booked_days) if booked_days else None,
        "needs_booking_from": ev.needs_booking_from,
        "overdue_from": ev.overdue_from,
        "review_due_from": ev.review_due_from,
        "next_review_on": ev.next_review_on,
        "weight_stale_from": ev.weight_stale_from,
        "waning_patterns": ",".join(waning.patterns) if waning else None,
        "waning_detail": waning.detail[:DETAIL_CHARS] if waning else None,
        "refractory_detail": refractory.detail[:DETAIL_CHARS] if refractory else None,
        "no_response_detail": no_response.detail[:DETAIL_CHARS] if no_response else None,
        "recommendation_action": rec.action if rec else None,
        "proposed_interval_days": rec.proposed_interval_days if rec else None,
        "proposed_dose_g_per_kg": rec.proposed_dose_g_per_kg if rec else None,
        "recommendation_reason": rec.reason[:DETAIL_CHARS] if rec else None,
        "authorization_ending_on": ev.authorization_ending_on if ending else None,
        "authorization_ending_detail": ending.detail[:DETAIL_CHARS] if ending else None,
        "authorization_missing_on": ev.authorization_missing_on if missing else None,
        "authorization_missing_detail": missing.detail[:DETAIL_CHARS] if missing else None,
        "expires_on": expires_on,
    }


def write_states(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace these patients' states in one statement (not ORM objects: the
    sweep writes a row per patient, and the unit of work cost more than the SQL)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    sql, columns = _upsert(dialect)
    now = utcnow()
    # On SQLite, instants are naive UTC text (UTCDateTime) and dates ISO text, as the
    # driver's date adapter gives them (store.engine); evaluated_at is the last column.
    stamp = (
        now.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        if dialect == "sqlite"
        else now
    )
    values_of = _state_getter()
    values = [(*values_of(row), stamp) for row in rows]
    if dialect == "postgresql" and len(values) >= COPY_FROM:
        _copy_and_upsert(session, columns, values)
    else:
        # Straight to the driver: SQLAlchemy's per-row handling of 23 columns cost more
        # than the database's work on the rows.
        session.connection().exec_driver_sql(sql, values)
    states_changed(session)  # the worklist's kept counts are behind from the commit


def _copy_and_upsert(
    session: Session, columns: tuple[str, ...], values: list[tuple[Any, ...]]
) -> None:
    # A sweep's batch: COPY into a temporary table and upsert from it in one statement.
    # As single-row upserts, 100,000 states cost the sweeping process about 8 s of its own
    # time in the driver, and the database a statement each.
    names = ", ".join(columns)
    # psycopg's own connection, for its COPY.
    raw: Any = session.connection().connection.dbapi_connection
    with raw.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS patient_state_incoming "
            "(LIKE patient_state) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY patient_state_incoming ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO patient_state ({names}) SELECT {names} FROM patient_state_incoming "
            f"{_on_conflict()}"
        )
        # Emptied for the next batch of the same transaction (a commit empties it too).
        cursor.execute("TRUNCATE patient_state_incoming")


@cache
def _upsert(dialect: str) -> tuple[str, tuple[str, ...]]:
    columns = _columns()
    mark = "%s" if dialect == "postgresql" else "?"
    return (
        f"INSERT INTO patient_state ({', '.join(columns)}) VALUES "
        f"({', '.join(mark for _ in columns)}) {_on_conflict()}",
        columns,
    )


@cache
def _columns() -> tuple[str, ...]:
    # evaluated_at last: write_states appends the write's instant to each row's values.
    names = [c.name for c in PatientState.__table__.columns if c.name != "evaluated_at"]
    return (*names, "evaluated_at")


@cache
def _state_getter() -> "itemgetter[Any]":
    # A state row's values in _columns' order, but for evaluated_at.
    return itemgetter(*_columns()[:-1])


@cache
def _on_conflict() -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in _columns() if c != "patient_id")
    return f"ON CONFLICT (patient_id) DO UPDATE SET {updates}"
