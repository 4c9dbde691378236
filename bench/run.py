"""The whole benchmark: build cohorts, time the sweep, the pages and the writes, write the report.

    make bench                                   # 10,000 patients, SQLite and PostgreSQL
    make bench ARGS="--patients 10000 100000"    # the full run (10,000 for the growth)
    .venv/bin/python bench/run.py --patients 2000 --backends sqlite --keep

For each size and database: a fresh database (PostgreSQL: a new `bench_<size>k` database on
the server of --postgres; SQLite: a file in --workdir) is built by bench/cohort.py and swept
once by `tracker sweep --full`. Then, repeated (5 times up to 10,000 patients, 3 above) and
interleaved so that a noisy moment falls on both sides of each ratio: the floor (the
database's own bulk read of the sweep's rows, bench/floor.py), `tracker sweep --full --on
DAY`, the next day's booked courses given through the tracker's services (bench/day.py),
`tracker sweep --on DAY+1`; each run its own process (bench/sweep.py, bench/measure.py).
Then the stored states are verified against the full evaluation, the sweep is profiled
where it misses a target, and the pages and the writes are timed over HTTP from gunicorn
with two workers, with one and with eight clients. Results are merged into
bench/results.json (one entry per database and size, the newest run winning) and
docs/benchmarks.md is written from it. The databases are dropped unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import cohort, floor, pages, report, writes  # noqa: E402
from bench.sweep import Tracker, tracker_env  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results.json"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# The targets for the sweep (report.py holds them all).
FULL_LIMIT_S, DAILY_LIMIT_S, RATIO_LIMIT, MEMORY_LIMIT_MB = 30, 10, 3, 300


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


def python_loop_seconds(steps: int = 20_000_000) -> float:
    """How long a bare Python loop takes here now: the machine's speed for this run, which
    has changed by a third between sessions and within one (shared machines)."""
    started, total = time.perf_counter(), 0
    for step in range(steps):
        total += step
    return round(time.perf_counter() - started, 2)


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
            connection.execute(text("VACUUM ANALYZE"))
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


def repeats_for(size: int, asked: int | None) -> int:
    """How many times each sweep figure is taken: 5 up to 10,000 patients, 3 above."""
    return asked or (5 if size <= 10_000 else 3)


def statistics_of(runs: list[dict], key: str) -> dict:
    """Min and median of one figure over repeated runs."""
    values = [r[key] for r in runs if r.get(key) is not None]
    if not values:
        return {"min": None, "median": None, "all": []}
    return {"min": min(values), "median": statistics.median(values), "all": values}


def measure_sweeps(database: Database, tracker: Tracker, args, today: date, size: int) -> dict:
    """Floor, full sweep, a day's courses, daily sweep; again and again (interleaved)."""
    floor_runs, full_runs, daily_runs, days = [], [], [], []
    repeats = repeats_for(size, args.repeats)
    for k in range(repeats):
        day = today + timedelta(days=k)
        floor.prepare(database.url, day)  # the rows' first score days: not timed
        floor_runs.append(tracker.measured(floor.command(database.url, day), "floor"))
        full_runs.append(tracker.full(day))
        days.append(give_the_day(database.url, tracker, day + timedelta(days=1)))
        daily_runs.append(tracker.daily(day + timedelta(days=1)))
        log(
            f"  {k + 1}/{repeats}: floor {floor_runs[-1]['seconds']:.1f} s, full "
            f"{full_runs[-1]['seconds']:.1f} s, day's courses {days[-1].get('given')}, daily "
            f"{daily_runs[-1]['seconds']:.1f} s"
        )
    last = today + timedelta(days=repeats)
    result = {
        "repeats": repeats,
        "incremental": tracker.has_full,
        "floor_rows": floor.row_count(database.url, today + timedelta(days=repeats - 1)),
        "floor": floor_runs,
        "full": full_runs,
        "daily": daily_runs,
        "days": days,
        "verify_day": last.isoformat(),
    }
    for name in ("floor", "full", "daily"):
        for key in ("seconds", "cpu_seconds", "peak_rss_mb", "database_cpu_seconds"):
            result[f"{name}_{key}"] = statistics_of(result[name], key)
    floor_s, full_s = result["floor_seconds"], result["full_seconds"]
    result["ratio_median"] = full_s["median"] / floor_s["median"]
    result["ratio_min"] = full_s["min"] / floor_s["min"]
    return result


def give_the_day(url: str, tracker: Tracker, day: date) -> dict:
    """The day's booked courses given through the tracker's services (not timed)."""
    answer = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "day.py"), "--url", url, "--on", day.isoformat()],
        env=tracker_env(url, tracker.workdir),
        capture_output=True,
        text=True,
        cwd=tracker.workdir,
    )
    if answer.returncode:
        raise RuntimeError(f"bench/day.py failed:\n{answer.stderr[-3000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def missed(sweeps: dict) -> list[str]:
    """Which sweep targets this run misses (their limits hold at any size)."""
    out = []
    if sweeps["full_seconds"]["median"] > FULL_LIMIT_S or sweeps["ratio_median"] > RATIO_LIMIT:
        out.append("full")
    if sweeps["daily_seconds"]["median"] > DAILY_LIMIT_S:
        out.append("daily")
    if max(sweeps[f"{n}_peak_rss_mb"]["median"] for n in ("full", "daily")) > MEMORY_LIMIT_MB:
        out.append("full")
    return sorted(set(out))


def run_one(backend: str, size: int, args, today: date, workdir: Path) -> dict:
    """Build, sweep, serve and time one database of one size."""
    started = time.perf_counter()
    loop_at_start = python_loop_seconds()
    database = Database(backend, size, postgres=args.postgres, workdir=workdir)
    result: dict = {"backend": backend, "patients": size, "today": today.isoformat()}
    scratch = workdir / f"{backend}-{size}"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        log(f"{backend} {size}: building the cohort")
        built = cohort.build(
            database.url, patients=size, seed=args.seed, today=today, log=lambda m: None
        )
        result.update(
            version=database.server_version(), rows=built.rows, load_seconds=built.load_seconds
        )
        tracker = Tracker(database.url, scratch)
        log(
            f"{backend} {size}: {sum(built.rows.values()):,} rows in "
            f"{built.load_seconds:.0f} s; first sweep (fills patient_state)"
            + ("" if tracker.has_full else "; this tracker has no --full: every sweep is full")
        )
        result["first_sweep"] = tracker.full(today)
        database.settle()
        log(f"{backend} {size}: floor, full sweep, the day's courses, daily sweep; repeated")
        result["sweeps"] = sweeps = measure_sweeps(database, tracker, args, today, size)
        log(f"{backend} {size}: checking stored states against the full evaluation")
        result["verify"] = tracker.verify(date.fromisoformat(sweeps["verify_day"]), args.sample)
        targets_missed = ["full", "daily"] if args.profile == "always" else missed(sweeps)
        if args.profile != "never":
            for which in targets_missed:
                log(f"{backend} {size}: profiling the {which} sweep")
                day = date.fromisoformat(sweeps["verify_day"])
                result[f"profile_{which}"] = tracker.profile(day, full=which == "full")
        database.settle()
        rounds = args.rounds or (5 if size <= 10_000 else 3)
        log(f"{backend} {size}: pages, 1 and 8 clients, {rounds} rounds")
        result["pages"] = pages.measure(
            database.url,
            built.long_patient_id,
            rounds=rounds,
            requests=args.requests,
            log_dir=scratch,
        )
        if backend == "postgresql" or args.writes_on_sqlite:
            log(f"{backend} {size}: writes and /healthz, 1 and 8 clients")
            result["writes"] = writes.measure(
                database.url, rounds=args.write_rounds, seconds=args.seconds, log_dir=scratch
            )
    finally:
        if not args.keep:
            database.drop()
    result["run_seconds"] = time.perf_counter() - started
    result["load_average_end"] = os.getloadavg()[0]
    result["python_loop_seconds"] = [loop_at_start, python_loop_seconds()]
    log(f"{backend} {size}: done in {result['run_seconds'] / 60:.1f} min")
    return result


def save(results: list[dict], meta: dict) -> dict:
    """Write this run's results to bench/results.json: the report is of one run."""
    stored = {"runs": {f"{r['backend']}:{r['patients']}": {**r, **meta} for r in results}}
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
    parser.add_argument(
        "--repeats", type=int, default=None, help="sweep repeats (default 5, 3 above 10,000)"
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="page rounds (default 5, 3 above 10,000)"
    )
    parser.add_argument(
        "--requests", type=int, default=40, help="per page, round and number of clients"
    )
    parser.add_argument("--write-rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8, help="per write or /healthz run")
    parser.add_argument("--writes-on-sqlite", action="store_true")
    parser.add_argument("--sample", type=int, default=2000, help="patients verified")
    parser.add_argument(
        "--profile",
        choices=("missed", "always", "never"),
        default="missed",
        help="profile the sweep where it misses a target (default), always or never",
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
                stored = save(results, meta)
    args.report.write_text(report.render(stored))
    log(f"wrote {args.report} and {RESULTS}")


if __name__ == "__main__":
    main()
