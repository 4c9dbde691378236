"""The whole benchmark: build cohorts, time the sweep, the pages and the writes, write the report.

    make bench                                   # 10,000 patients, SQLite and PostgreSQL
    make bench ARGS="--patients 100000"          # the full run
    .venv/bin/python bench/run.py --patients 10000 100000 --backends postgresql

For each size and database: a fresh database (PostgreSQL: a new `bench_<size>` database on
the server of --postgres; SQLite: a file in --workdir) is built by bench/cohort.py and swept
once; then the sweep and the raw read of its rows are timed in fresh processes, the pages
and the writes over HTTP from gunicorn with two workers. Results are merged into
bench/results.json (one entry per database and size, the newest run winning) and
docs/benchmarks.md is written from it. The databases are dropped unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import cohort, pages, report, writes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results.json"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def log(message: str) -> None:
    """Progress on stderr, with the time."""
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def machine() -> dict:
    """What the figures were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 1024**2, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "commit": commit,
    }


class Database:
    """A fresh database for one run: created, handed out by URL, dropped."""

    def __init__(self, backend: str, size: int, *, postgres: str, workdir: Path) -> None:
        self.backend = backend
        self.admin = None
        if backend == "sqlite":
            path = workdir / f"bench_{size}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.url = f"sqlite:///{path}"
            self.path = path
        else:
            name = f"bench_{size // 1000}k"
            self.admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
            with self.admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            self.name = name
            self.url = make_url(postgres).set(database=name).render_as_string(hide_password=False)

    def server_version(self) -> str:
        """The database's version string."""
        if self.backend == "sqlite":
            return f"SQLite {sqlite3.sqlite_version}"
        engine = create_engine(self.url)
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar()
        engine.dispose()
        return f"PostgreSQL {version}"

    def settle(self) -> None:
        """What autovacuum does soon after the sweep: reclaim the old row versions and
        refresh the planner's numbers (PostgreSQL), or checkpoint the WAL (SQLite)."""
        if self.backend == "sqlite":
            with sqlite3.connect(self.path) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                connection.execute("ANALYZE")
            return
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE patient_state"))
        engine.dispose()

    def drop(self) -> None:
        """Remove the database."""
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def timed_process(url: str, what: str, today: date) -> dict:
    """One measurement of bench/sweep.py in its own process."""
    answer = subprocess.run(
        [
            PYTHON,
            str(ROOT / "bench" / "sweep.py"),
            "--url",
            url,
            "--what",
            what,
            "--today",
            today.isoformat(),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if answer.returncode:
        raise RuntimeError(f"bench/sweep.py --what {what} failed:\n{answer.stderr[-3000:]}")
    result = json.loads(answer.stdout.strip().splitlines()[-1])
    result["load_average"] = os.getloadavg()[0]
    return result


def run_one(backend: str, size: int, args, today: date, workdir: Path) -> dict:
    """Build, sweep, serve and time one database of one size."""
    started = time.perf_counter()
    database = Database(backend, size, postgres=args.postgres, workdir=workdir)
    result: dict = {"backend": backend, "patients": size, "today": today.isoformat()}
    try:
        log(f"{backend} {size}: building the cohort")
        built = cohort.build(
            database.url, patients=size, seed=args.seed, today=today, log=lambda m: None
        )
        result.update(
            version=database.server_version(), rows=built.rows, load_seconds=built.load_seconds
        )
        log(
            f"{backend} {size}: {sum(built.rows.values()):,} rows in "
            f"{built.load_seconds:.0f} s; first sweep (fills patient_state)"
        )
        result["first_sweep"] = timed_process(database.url, "sweep", today)
        database.settle()
        log(f"{backend} {size}: raw read, sweep, raw read, packed read")
        raw_before = timed_process(database.url, "rows", today)
        sweep = timed_process(database.url, "sweep", today)
        raw_after = timed_process(database.url, "rows", today)
        result["raw_rows"] = min(raw_before, raw_after, key=lambda r: r["seconds"])
        result["sweep"] = sweep
        result["packed_read"] = timed_process(database.url, "packed", today)
        log(f"{backend} {size}: checking stored states against the full evaluation")
        result["verify"] = timed_process(database.url, "verify", today)
        database.settle()
        log(f"{backend} {size}: pages")
        result["pages"] = pages.measure(database.url, built.long_patient_id, args.requests, workdir)
        if backend == "postgresql" or args.writes_on_sqlite:
            log(f"{backend} {size}: writes with {args.clients} clients")
            result["writes"] = writes.measure(
                database.url, clients=args.clients, seconds=args.seconds, log_dir=workdir
            )
        if args.job:
            log(f"{backend} {size}: the scheduler's daily job")
            result["job"] = timed_process(database.url, "job", today)
    finally:
        if not args.keep:
            database.drop()
    result["run_seconds"] = time.perf_counter() - started
    result["load_average_end"] = os.getloadavg()[0]
    return result


def save(results: list[dict], meta: dict) -> dict:
    """Merge these results into bench/results.json (newest per database and size)."""
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": {}}
    for result in results:
        stored["runs"][f"{result['backend']}:{result['patients']}"] = {**result, **meta}
    RESULTS.write_text(json.dumps(stored, indent=1, sort_keys=True, default=str) + "\n")
    return stored


def main() -> None:
    """Run the benchmark from the command line and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[10_000])
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgresql"], choices=("sqlite", "postgresql")
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server URL whose user may create databases",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=200, help="per page")
    parser.add_argument("--clients", type=int, default=8, help="concurrent writers")
    parser.add_argument("--seconds", type=float, default=15, help="per write run")
    parser.add_argument("--writes-on-sqlite", action="store_true")
    parser.add_argument(
        "--job",
        action="store_true",
        help="also time the scheduler's whole daily job (e-mails included)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    today = datetime.now(UTC).date()
    meta = {"machine": machine(), "date": datetime.now(UTC).isoformat(timespec="seconds")}
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        results = []
        for size in args.patients:
            for backend in args.backends:
                results.append(run_one(backend, size, args, today, workdir))
                stored = save(results[-1:], meta)
    args.report.write_text(report.render(stored))
    log(f"wrote {args.report} and {RESULTS}")


if __name__ == "__main__":
    main()
