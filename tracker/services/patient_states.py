"""Each patient's stored evaluation: writing many state rows at once (the rows themselves
are built in tracker.services.state_rows)."""

from collections.abc import Sequence
from functools import cache
from operator import itemgetter
from typing import Any

from sqlmodel import Session

from tracker.services import plain_sql
from tracker.services.state_version import states_changed
from tracker.store.models import PatientState
from tracker.store.types import utcnow

COPY_FROM = 100  # PostgreSQL: from this many rows, states are copied in (_copy_and_upsert)


def write_states(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace these patients' states in one statement (not ORM objects: the
    sweep writes a row per patient, and the unit of work cost more than the SQL)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    sql, columns = _upsert(dialect)
    now = utcnow()
    # On SQLite, instants are naive UTC text (UTCDateTime) and dates ISO text, as the
    # driver's date adapter gives them (store.connect); evaluated_at is the last column.
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
        # Straight to the driver's cursor: SQLAlchemy's per-row handling of 23 columns cost
        # more than the database's work on the rows.
        plain_sql.run_rows(session, sql, values)
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
