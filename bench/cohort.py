"""Build a synthetic cohort straight into a fresh database, in bulk.

    .venv/bin/python bench/cohort.py --patients 10000 --url sqlite:///bench.db
    .venv/bin/python bench/cohort.py --patients 10000 \
        --url postgresql+psycopg://postgres@127.0.0.1:5432/bench_10k

The database is migrated by Alembic, then written with PostgreSQL's COPY (foreign-key
triggers off for the load: the rows are consistent by construction) or SQLite's executemany
in large transactions with `synchronous=OFF`; sequences are moved past the ids written. One
more patient gets 10 years of history (for the patient page benchmark), a pharmacist
`bench` logs in with BENCH_PASSWORD, visiting nurses hold the home visits, the site policy
requires funding authorisations and the suite opens every day. bench/run.py then fills
`patient_state` with `tracker sweep --full`.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synth import COLUMNS, TABLES, Bookings, Rows, draw_patients  # noqa: E402
from tracker.services.passwords import hash_password  # noqa: E402
from tracker.store import migrate  # noqa: E402

BENCH_USER = "bench"
BENCH_PASSWORD = "benchmark password 123"
CHUNK = 2000  # patients drawn and written at a time
SEQUENCED = (
    "patient",
    "weight",
    "regimen",
    "funding_authorization",
    "infusion",
    "infusion_lot",
    "assessment",
    "review",
    "recommendation_decision",
    "chair",
    "staff_user",
)


@dataclass(frozen=True)
class Cohort:
    """What was built: sizes and the patient with 10 years of history."""

    patients: int
    rows: dict[str, int]
    long_patient_id: int
    load_seconds: float


def plain_url(url: str) -> str:
    """A libpq URL from a SQLAlchemy one."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def sqlite_path(url: str) -> str:
    """The file of a sqlite:/// URL."""
    return url.removeprefix("sqlite:///")


class _Writer:
    """Writes row batches to one database; `close` finishes the load."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith("postgresql")
        if self.postgres:
            self.db = psycopg.connect(plain_url(url), autocommit=False)
            self.db.execute("SET TIME ZONE 'UTC'")
            # Consistent by construction: skip the per-row foreign-key triggers.
            self.db.execute("SET session_replication_role = replica")
        else:
            self.db = sqlite3.connect(sqlite_path(url), isolation_level=None)
            # A throwaway load: no journal, no syncing; WAL comes back at the end.
            self.db.execute("PRAGMA journal_mode=OFF")
            self.db.execute("PRAGMA synchronous=OFF")
            self.db.execute("PRAGMA foreign_keys=OFF")
            self.db.execute("PRAGMA cache_size=-200000")
            self.db.execute("BEGIN")
        self.indexes = self._drop_indexes()

    def _drop_indexes(self) -> list[str]:
        # Building an index once over sorted rows is far cheaper than keeping it up to date
        # row by row; the definitions come back from the database itself.
        tables = ("assessment", "infusion", "infusion_lot", "weight", "review")
        if self.postgres:
            found = self.one(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = "
                "'public' AND i.tablename = ANY(?) AND NOT EXISTS (SELECT 1 FROM "
                "pg_constraint c WHERE c.conname = i.indexname)",
                (list(tables),),
            )
        else:
            marks = ", ".join("?" * len(tables))
            found = self.one(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT "
                f"NULL AND tbl_name IN ({marks})",
                tables,
            )
        for name, _sql in found:
            self.one(f'DROP INDEX "{name}"')
        return [sql for _name, sql in found]

    def one(self, sql: str, params=()) -> list[tuple]:
        """Run one statement (qmark style on both) and return its rows."""
        if self.postgres:
            cursor = self.db.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []
        return self.db.execute(sql, params).fetchall()

    def write(self, rows: Rows) -> None:
        """Append a batch of rows, table by table."""
        for table in TABLES:
            batch = rows.tables[table]
            if not batch:
                continue
            columns = COLUMNS[table]
            if self.postgres:
                with self.db.cursor().copy(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                ) as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                self.db.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch
                )

    def close(self) -> None:
        """Commit, move the sequences past the ids written, refresh the planner's numbers."""
        if self.postgres:
            self.db.execute("SET maintenance_work_mem = '512MB'")
        for sql in self.indexes:
            self.one(sql)
        if self.postgres:
            for table in SEQUENCED:
                self.db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
            self.db.commit()
            self.db.autocommit = True
            self.db.execute("VACUUM ANALYZE")
        else:
            self.db.execute("COMMIT")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("ANALYZE")
        self.db.close()


def build(
    url: str, *, patients: int, seed: int = 1, today: date | None = None, log=print
) -> Cohort:
    """Migrate the (empty) database at `url`, load the cohort and sweep it once."""
    today = today or datetime.now(UTC).date()
    started = time.perf_counter()
    migrate.upgrade(url)
    writer = _Writer(url)
    if writer.one("SELECT count(*) FROM patient")[0][0]:
        raise SystemExit(f"{url} already holds patients: give an empty database")
    staff_id = writer.one(
        "INSERT INTO staff_user (username, full_name, role, password_hash, is_active, "
        "password_changed_at, created_at) VALUES (?, 'Bench Pharmacist', 'pharmacist', ?, "
        "?, ?, ?) RETURNING id",
        (BENCH_USER, hash_password(BENCH_PASSWORD), True, _now(), _now()),
    )[0][0]
    # About one chair per 400 patients, nine starts a day each: room for every booking.
    chairs = []
    for k in range(max(16, patients // 400)):
        chairs.append(
            writer.one(
                "INSERT INTO chair (code, name, active, booking_version) VALUES (?, ?, ?, 0) "
                "RETURNING id",
                (f"B{k + 1:03d}", f"Bench chair {k + 1}", True),
            )[0][0]
        )
    # Visiting nurses for the home-visit patients: about one per 1,500 patients.
    nurses = [
        writer.one(
            "INSERT INTO staff_user (username, full_name, role, password_hash, is_active, "
            "password_changed_at, created_at) VALUES (?, ?, 'nurse', ?, ?, ?, ?) RETURNING id",
            (f"nurse{k + 1}", f"Bench Nurse {k + 1}", "!", True, _now(), _now()),
        )[0][0]
        for k in range(max(2, patients // 1500))
    ]
    # The site requires funding authorisations (clinical rules 8): every course is checked
    # against them, and the sweep flags the patients whose next course none covers.
    writer.one(
        'INSERT INTO site_policy (id, "values", updated_at) VALUES (1, ?, ?)',
        ('{"authorizations_required": true}', _now()),
    )
    # The bench suite opens every day (its bookings fall on any day, and the write benchmark
    # books and gives courses today, whatever day the run falls on).
    writer.one("UPDATE opening_hours SET opens = '08:00:00', closes = '18:00:00'")
    bookings = Bookings(chairs, nurses)
    counts = dict.fromkeys(TABLES, 0)
    for first in range(1, patients + 1, CHUNK):
        last = min(patients, first + CHUNK - 1)
        rows = draw_patients(
            first, last, seed=seed, today=today, staff_id=staff_id, bookings=bookings
        )
        writer.write(rows)
        for table in TABLES:
            counts[table] += len(rows.tables[table])
        log(f"  {last} patients written ({time.perf_counter() - started:.0f} s)")
    long_id = patients + 1
    rows = draw_patients(
        long_id, long_id, seed=seed, today=today, staff_id=staff_id, bookings=bookings, years=10
    )
    writer.write(rows)
    for table in TABLES:
        counts[table] += len(rows.tables[table])
    writer.close()
    return Cohort(
        patients=patients + 1,
        rows=counts,
        long_patient_id=long_id,
        load_seconds=time.perf_counter() - started,
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def main() -> None:
    """Build a cohort from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    args = parser.parse_args()
    cohort = build(args.url, patients=args.patients, seed=args.seed, today=args.today)
    print(f"loaded {cohort.patients} patients in {cohort.load_seconds:.1f} s: {cohort.rows}")


if __name__ == "__main__":
    main()
