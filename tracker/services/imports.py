"""Reads and bulk writes of the caseload CSV import (`tracker.interop.csv`).

The import checks every row itself, as the API would, then writes a file's rows here in bulk:
writing row by row through the services would take minutes for a caseload of a thousand
patients with years of history.
"""

from datetime import date, time
from typing import Any

from psycopg import sql as psycopg_sql
from sqlalchemy import func, insert, text
from sqlmodel import Session, SQLModel, select

from tracker.rules.vocabulary import CourseStatus
from tracker.store.models import Infusion, Patient, Regimen, Weight


def stored_mrns(session: Session) -> dict[str, int]:
    """Every stored patient's id by MRN key (rules.identity.mrn_key)."""
    # Stored rows always have their ids; the `is not None` filters here only tell the type
    # checker so (SQLModel declares ids optional for rows not yet written).
    return {
        mrn: patient_id
        for mrn, patient_id in session.exec(select(Patient.mrn_key, Patient.id))
        if patient_id is not None
    }


def stored_patient(session: Session, patient_id: int) -> Patient | None:
    """The stored patient with this id."""
    return session.get(Patient, patient_id)


def stored_weights(session: Session, patient_id: int) -> list[tuple[date, float]]:
    """(day, kg) of a patient's weights, in the order recorded."""
    return [
        (day, kg)
        for day, kg in session.exec(
            select(Weight.measured_on, Weight.weight_kg)
            .where(Weight.patient_id == patient_id)
            .order_by(Weight.id)
        )
    ]


def stored_regimens(session: Session, patient_id: int) -> list[Regimen]:
    """A patient's regimens."""
    return list(session.exec(select(Regimen).where(Regimen.patient_id == patient_id)).all())


def stored_courses(session: Session, patient_id: int) -> list[tuple[int, date, str, int]]:
    """(id, first day, status, days) of every course of a patient."""
    return [
        (course_id, day, status, days)
        for course_id, day, status, days in session.exec(
            select(Infusion.id, Infusion.scheduled_on, Infusion.status, Infusion.days).where(
                Infusion.patient_id == patient_id
            )
        )
        if course_id is not None
    ]


def live_chair_starts(session: Session) -> list[tuple[int, date, time]]:
    """(chair id, day, start) of every live booking with a chair and a time."""
    return [
        (chair_id, day, start)
        for chair_id, day, start in session.exec(
            select(Infusion.chair_id, Infusion.scheduled_on, Infusion.start_time).where(
                Infusion.status == CourseStatus.BOOKED,
                Infusion.chair_id.is_not(None),
                Infusion.start_time.is_not(None),
            )
        )
        if chair_id is not None and start is not None
    ]


def courses_holding_chairs(session: Session, *, since: date) -> list[Infusion]:
    """Booked and given courses on a chair whose first day is `since` or later."""
    return list(
        session.exec(
            select(Infusion).where(
                Infusion.chair_id.is_not(None),
                Infusion.status.in_((CourseStatus.BOOKED, CourseStatus.GIVEN)),
                Infusion.scheduled_on >= since,
            )
        ).all()
    )


def insert_rows(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) in bulk: COPY on PostgreSQL, else executemany."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    # COPY is an order of magnitude faster than INSERT for hundreds of thousands of rows;
    # it runs on the session's own connection, inside its transaction.
    columns = list(rows[0])
    statement = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg_sql.Identifier(table.name),
        psycopg_sql.SQL(", ").join(psycopg_sql.Identifier(c) for c in columns),
    )
    raw = session.connection().connection.driver_connection
    assert raw is not None  # a live psycopg connection: the session's own
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def insert_rows_with_ids(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert rows with ids taken up front, so that they can be written in bulk; the ids."""
    ids = _allocate_ids(session, model.__table__, len(rows))  # type: ignore[attr-defined]
    insert_rows(
        session, model, [{"id": new_id, **row} for new_id, row in zip(ids, rows, strict=True)]
    )
    return ids


def _allocate_ids(session: Session, table: Any, count: int) -> list[int]:
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return sorted(
            session.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"table": table.name, "count": count},
            ).scalars()
        )
    # SQLite: this transaction holds the database's write lock, so nobody else can take
    # the ids after the largest one.
    first = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
    return list(range(first, first + count))
