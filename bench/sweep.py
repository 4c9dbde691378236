"""Time the sweep, and a raw read of the rows it reads, each in a fresh process.

    .venv/bin/python bench/sweep.py --url URL --what sweep|rows|packed|job [--today D]

Prints one JSON object: wall and CPU seconds, the process's peak resident memory, and how
many patients and rows. A fresh process per measurement makes the peak memory that of the
measured work alone (plus the interpreter and the app's imports, given as `base_rss_mb`).

- sweep: `refresh_all` for the day, committed (what `tracker sweep` does before mailing);
- job: the scheduler's whole daily job (`run_sweep`: the sweep, then the e-mails it queues);
- rows: the raw read: the same rows of the same batches of patients, fetched as plain
  tuples by the driver's ordinary cursor, and nothing else done with them;
- all-rows: the same, but every score of every patient (the sweep skips scores too old to
  matter, see `scores_needed_from`);
- packed: the sweep's own queries (rows packed per patient), fetched and unpacked only;
- verify: for a sample of patients, the stored state against the full evaluation (the
  rules' `evaluate` on `load_facts`, the page's way): they must be identical.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from tracker.services.evaluation import SWEEP_BATCH, read_batch, refresh_all  # noqa: E402
from tracker.services.policy import load_policy  # noqa: E402
from tracker.store.engine import make_engine, session_scope  # noqa: E402

# Every row the sweep reads, table by table, for the patients with ids lo..hi.
ROWS = (
    "SELECT id, status, min_interval_days, max_interval_days FROM patient "
    "WHERE id BETWEEN :lo AND :hi",
    "SELECT patient_id, id, starts_on, dose_g_per_kg, interval_days FROM regimen "
    "WHERE patient_id BETWEEN :lo AND :hi",
    "SELECT patient_id, id, scheduled_on, status FROM infusion "
    "WHERE patient_id BETWEEN :lo AND :hi AND status IN ('booked', 'given')",
    "SELECT patient_id, taken_on, id, measure, side, value, timing FROM assessment "
    "WHERE patient_id BETWEEN :lo AND :hi",
    "SELECT patient_id, reviewed_on FROM review WHERE patient_id BETWEEN :lo AND :hi",
    "SELECT patient_id, measured_on FROM weight WHERE patient_id BETWEEN :lo AND :hi",
    "SELECT patient_id, regimen_id, action FROM recommendation_decision "
    "WHERE patient_id BETWEEN :lo AND :hi AND decision = 'dismissed'",
)


def rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    # VmHWM, not getrusage: Linux carries the parent's peak over into ru_maxrss at exec,
    # and the parent here is the benchmark that has just built the cohort.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw_rows(engine, batch: int, today: date, *, every_score: bool) -> tuple[int, int]:
    """Fetch the rows the sweep reads, batch by batch, as tuples; (patients, rows).

    The sweep reads a patient's scores only from scores_needed_from on; `every_score`
    reads them all instead (what the sweep read before it knew that)."""

    patients = rows = 0
    with session_scope(engine, write=False) as session:
        policy = load_policy(session)
        connection = session.connection()
        raw = connection.connection.dbapi_connection
        postgres = engine.dialect.name == "postgresql"
        ids = [r[0] for r in connection.execute(text("SELECT id FROM patient ORDER BY id"))]
        for start in range(0, len(ids), batch):
            chosen = ids[start : start + batch]
            span = {"lo": chosen[0], "hi": chosen[-1]}
            fetched = {}
            for sql in ROWS:
                cursor = raw.cursor()
                if postgres:
                    sql = sql.replace(":lo", "%(lo)s").replace(":hi", "%(hi)s")
                if "FROM assessment" in sql and not every_score:
                    sql, params = _since(sql, fetched, chosen, today, policy, postgres)
                    cursor.execute(sql, {**span, **params})
                else:
                    cursor.execute(sql, span)
                fetched[sql.split(" FROM ")[1].split()[0]] = found = cursor.fetchall()
                rows += len(found)
                cursor.close()
            patients += len(chosen)
    return patients, rows


def _since(sql, fetched, chosen, today, policy, postgres):
    # The scores from each patient's first relevant day, worked out as the sweep does.
    from tracker.rules import RegimenFact, scores_needed_from

    regimens = {}
    for pid, rid, starts, dose, interval in fetched["regimen"]:
        starts = starts if isinstance(starts, date) else date.fromisoformat(starts)
        regimens.setdefault(pid, []).append(RegimenFact(rid, starts, dose, interval))
    since = {
        pid: scores_needed_from(regimens.get(pid, ()), on=today, policy=policy) for pid in chosen
    }
    columns = sql.split(" FROM ")[0]
    if postgres:
        return (
            f"{columns} FROM assessment JOIN unnest(%(ids)s::int4[], %(since)s::date[]) "
            "AS h(pid, since) ON patient_id = h.pid AND taken_on >= h.since",
            {"ids": list(since), "since": list(since.values())},
        )
    values = ", ".join(f"(:p{n}, :s{n})" for n in range(len(since)))
    params = {}
    for n, (pid, day) in enumerate(since.items()):
        params[f"p{n}"], params[f"s{n}"] = pid, day.isoformat()
    return (
        f"WITH h(pid, since) AS (VALUES {values}) {columns} FROM assessment "
        "JOIN h ON patient_id = h.pid AND taken_on >= h.since",
        params,
    )


def packed(engine, batch: int, today: date) -> tuple[int, int]:
    """The sweep's own reads alone, unpacked into facts; (patients, scores)."""
    patients = scores = 0
    with session_scope(engine, write=False) as session:
        policy = load_policy(session)
        connection = session.connection()
        after = 0
        while found := read_batch(connection, after, batch, today=today, policy=policy):
            ids, facts = found
            patients += len(ids)
            scores += sum(len(f.scores.days) for f in facts.values())
            after = ids[-1][0]
    return patients, scores


def verify(engine, today: date, sample: int = 2000) -> tuple[int, int]:
    """Compare stored states with the full evaluation for every n-th patient; (checked,
    differing)."""
    from sqlmodel import select

    from tracker.rules import evaluate
    from tracker.services.evaluation import load_facts
    from tracker.services.patient_states import state_values
    from tracker.store.models import Patient, PatientState

    checked = differing = 0
    with session_scope(engine, write=False) as session:
        policy = load_policy(session)
        ids = list(session.exec(select(Patient.id).order_by(Patient.id)))
        step = max(1, len(ids) // sample)
        for start in range(0, len(ids), step * 100):
            chosen = ids[start : start + step * 100 : step]
            patients = session.exec(select(Patient).where(Patient.id.in_(chosen))).all()
            facts = load_facts(session, patients)
            stored = {
                s.patient_id: s.model_dump(exclude={"evaluated_at"})
                for s in session.exec(
                    select(PatientState).where(PatientState.patient_id.in_(chosen))
                )
            }
            for patient in patients:
                full = evaluate(facts[patient.id], on=today, policy=policy)
                expected = state_values(patient.id, full, facts[patient.id].courses)
                checked += 1
                differing += stored.get(patient.id) != expected
            session.expunge_all()
    return checked, differing


def backend_cpu(pid: int | None) -> float | None:
    """CPU seconds used so far by a PostgreSQL backend on this host (None if unknown)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(url: str, what: str, today: date, batch: int) -> dict:
    """Run one measurement and describe it."""
    # A pool of one connection: the measured work then runs on the backend whose CPU time
    # is read before and after (PostgreSQL on the same host).
    engine = (
        make_engine(url, pool_size=1, max_overflow=0)
        if url.startswith("postgres")
        else make_engine(url)
    )
    with engine.connect() as connection:  # connect and import everything before timing
        connection.execute(text("SELECT 1"))
        pid = (
            connection.execute(text("SELECT pg_backend_pid()")).scalar()
            if engine.dialect.name == "postgresql"
            else None
        )
    base = rss_mb()
    database_cpu = backend_cpu(pid)
    started, cpu = time.perf_counter(), time.process_time()
    rows = None
    if what == "sweep":
        with session_scope(engine) as session:
            patients = refresh_all(session, today=today, batch_size=batch)
    elif what == "job":
        from tracker.jobs.sweep import run_sweep
        from tracker.settings import Settings

        settings = Settings(
            env="test",
            secret_key="bench-secret-0123456789abcdefghijk",
            database_url=url,
            mail_backend="log",
        )
        patients = run_sweep(engine, on=today, settings=settings).patients
    elif what == "rows":
        patients, rows = raw_rows(engine, batch, today, every_score=False)
    elif what == "all-rows":
        patients, rows = raw_rows(engine, batch, today, every_score=True)
    elif what == "packed":
        patients, rows = packed(engine, batch, today)
    elif what == "verify":
        patients, rows = verify(engine, today)
    else:
        raise SystemExit(f"unknown measurement {what!r}")
    after = backend_cpu(pid)
    return {
        "what": what,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "database_cpu_seconds": None if after is None else after - database_cpu,
        "peak_rss_mb": rss_mb(),
        "base_rss_mb": base,
        "patients": patients,
        "rows": rows,
    }


def main() -> None:
    """Measure from the command line; one JSON line on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument(
        "--what", required=True, choices=("sweep", "job", "rows", "all-rows", "packed", "verify")
    )
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--batch", type=int, default=SWEEP_BATCH)
    args = parser.parse_args()
    print(json.dumps(measure(args.url, args.what, args.today, args.batch)))


if __name__ == "__main__":
    main()
