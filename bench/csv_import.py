"""Time the caseload CSV import: a demo cohort exported as CSV, imported into an empty database.

    .venv/bin/python bench/csv_import.py [--patients 1000] [--postgres URL]

Loads the demo cohort (about 3 years of history per patient) into one database, exports it
with `write_caseload`, imports the five files into a fresh database with a progress bar, as
`tracker import csv` does (one transaction per file), and prints the time of each step and
the rows per second. --postgres gives a server URL on which a fresh database is created for
the import (and dropped afterwards); the default imports into SQLite.
"""

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker.demo import load_demo  # noqa: E402
from tracker.interop.csv.export import write_caseload  # noqa: E402
from tracker.interop.csv.importer import run_import, sources_from_paths  # noqa: E402
from tracker.services.actors import SYSTEM  # noqa: E402
from tracker.services.evaluation import refresh_all  # noqa: E402
from tracker.store import migrate  # noqa: E402
from tracker.store.engine import make_engine, session_scope  # noqa: E402


def main() -> None:
    """Build, export, import, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--postgres", help="PostgreSQL server URL to import into")
    args = parser.parse_args()
    today = datetime.now(UTC).date()
    with tempfile.TemporaryDirectory() as folder:
        source_url = f"sqlite:///{folder}/source.db"
        migrate.upgrade(source_url)
        source = make_engine(source_url)
        started = time.perf_counter()
        with session_scope(source) as session:
            load_demo(session, patients=args.patients, seed=1, today=today, zone="UTC")
            refresh_all(session, today=today)
        built = time.perf_counter() - started
        started = time.perf_counter()
        with session_scope(source, write=False) as session:
            counts = write_caseload(session, Path(folder) / "csv")
        exported = time.perf_counter() - started
        target_url, drop = _target(args.postgres, folder)
        try:
            migrate.upgrade(target_url)
            target = make_engine(target_url)
            with Progress(
                TextColumn("{task.description:14}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            ) as bar:
                task = bar.add_task("import", total=None)
                started = time.perf_counter()
                report = run_import(
                    sources_from_paths([Path(folder) / "csv"]),
                    file_scope=lambda: session_scope(target),
                    today=today,
                    actor=SYSTEM,
                    dry_run=False,
                    progress=lambda stage, done, total: bar.update(
                        task, description=stage, completed=done, total=total
                    ),
                )
                imported = time.perf_counter() - started
            target.dispose()
        finally:
            drop()
    rows = sum(counts.values())
    print(f"demo cohort: {args.patients} patients, built in {built:.1f} s")
    print("rows: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f" ({rows} in all)")
    print(f"export: {exported:.1f} s ({rows / exported:,.0f} rows/s)")
    print(
        f"import into {'PostgreSQL' if args.postgres else 'SQLite'}: {imported:.1f} s "
        f"({rows / imported:,.0f} rows/s), ok={report.ok}"
    )
    for f in report.files:
        print(f"  {f.name:13} {f.rows:8} rows  {f.outcome}  {len(f.warnings)} warnings")


def _target(postgres: str | None, folder: str):
    if postgres is None:
        return f"sqlite:///{folder}/target.db", lambda: None
    from tests.conftest import create_postgres_database, drop_postgres_database

    url = create_postgres_database(postgres)
    return url, lambda: drop_postgres_database(postgres, url)


if __name__ == "__main__":
    main()
