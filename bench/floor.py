"""The floor: the database's own bulk read of every row the sweep reads.

PostgreSQL: `psql -c "\\copy (SELECT ...) TO '/dev/null'"`, one query per kind of row;
SQLite: the `sqlite3` shell with `.output /dev/null` and the same SELECTs. Each is timed
as its own process (bench/measure.py), so no Python driver, no ORM and no evaluation take
part: it is the least any sweep that reads these rows must spend.

The rows are those of `tracker/services/packed_facts.py` (`load_packed`) and of the
patients' keyset batches (`evaluation.patient_page`), the same columns and the same filters:
each patient's scores only from the first day that can matter (`scores_needed_from`),
which `prepare` works out with the rules and keeps in a table `bench_floor_since` before
anything is timed. The weight query reads the rows; the sweep asks for each patient's latest.
"""

from __future__ import annotations

import shutil
from datetime import date

from sqlalchemy import text

from tracker.rules import RegimenFact, scores_needed_from
from tracker.services.policy import load_policy
from tracker.store.engine import make_engine, session_scope

SINCE_TABLE = "bench_floor_since"


def queries(day: date) -> list[str]:
    """The floor's SELECTs for the sweep of `day`: the sweep's rows, whole tables at once."""
    on = day.isoformat()
    return [
        "SELECT id, status, min_interval_days, max_interval_days, resumed_on FROM patient",
        "SELECT patient_id, id, starts_on, dose_g_per_kg, interval_days, dose_g, route "
        "FROM regimen",
        "SELECT patient_id, id, scheduled_on, days, planned_dose_g FROM infusion "
        "WHERE status = 'booked'",
        "SELECT patient_id, scheduled_on, id, days, dose_g FROM infusion WHERE status = 'given'",
        "SELECT a.patient_id, a.taken_on, a.id, a.value, a.measure, a.side, a.timing, "
        f"a.source FROM assessment a JOIN {SINCE_TABLE} h ON a.patient_id = h.patient_id "
        "AND a.taken_on >= h.since",
        "SELECT patient_id, reviewed_on FROM review",
        f"SELECT patient_id, measured_on FROM weight WHERE measured_on <= '{on}'",
        "SELECT patient_id, regimen_id, action FROM recommendation_decision "
        "WHERE decision = 'dismissed'",
        "SELECT patient_id, id, starts_on, ends_on, approved_g, approved_courses, reference, "
        "payer FROM funding_authorization",
    ]


def prepare(url: str, day: date) -> int:
    """Work out each patient's first score day for `day` (as the sweep does) into
    bench_floor_since; the number of patients whose scores are read."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        policy = load_policy(session)
        connection = session.connection()
        regimens: dict[int, list[RegimenFact]] = {}
        patients = [r[0] for r in connection.execute(text("SELECT id FROM patient"))]
        for pid, rid, starts, dose, interval, grams, route in connection.execute(
            text(
                "SELECT patient_id, id, starts_on, dose_g_per_kg, interval_days, dose_g, route "
                "FROM regimen"
            )
        ):
            starts = starts if isinstance(starts, date) else date.fromisoformat(starts)
            regimens.setdefault(pid, []).append(
                RegimenFact(rid, starts, dose, interval, grams, route)
            )
        since = [
            {"p": pid, "s": scores_needed_from(regimens.get(pid, ()), on=day, policy=policy)}
            for pid in patients
        ]
        connection.execute(text(f"DROP TABLE IF EXISTS {SINCE_TABLE}"))
        connection.execute(
            text(f"CREATE TABLE {SINCE_TABLE} (patient_id INTEGER PRIMARY KEY, since DATE)")
        )
        postgres = engine.dialect.name == "postgresql"
        connection.execute(
            text(f"INSERT INTO {SINCE_TABLE} VALUES (:p, :s)"),
            [{"p": s["p"], "s": s["s"] if postgres else s["s"].isoformat()} for s in since],
        )
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"ANALYZE {SINCE_TABLE}"))
        connection.commit()
    engine.dispose()
    return sum(1 for s in since if s["s"] != date.max)


def command(url: str, day: date) -> list[str]:
    """The floor as a command line: psql or the sqlite3 shell reading every row."""
    if url.startswith("postgresql"):
        psql = shutil.which("psql")
        if psql is None:
            raise SystemExit("the floor needs psql (apt-get install postgresql-client)")
        libpq = url.replace("postgresql+psycopg://", "postgresql://")
        out = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", libpq]
        for sql in queries(day):
            out += ["-c", f"\\copy ({sql}) TO '/dev/null'"]
        return out
    shell = shutil.which("sqlite3")
    if shell is None:
        raise SystemExit("the floor needs the sqlite3 shell (apt-get install sqlite3)")
    path = url.removeprefix("sqlite:///")
    return [shell, "-batch", "-bail", path, ".output /dev/null", *(f"{q};" for q in queries(day))]


def row_count(url: str, day: date) -> int:
    """How many rows the floor reads (not timed)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        total = sum(
            connection.execute(text(f"SELECT count(*) FROM ({q}) AS q")).scalar_one()
            for q in queries(day)
        )
    engine.dispose()
    return total
