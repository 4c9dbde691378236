"""Backing the database up: SQLite's online backup, or pg_dump for PostgreSQL.

The one place that reads the database beneath the session: a backup copies whole files or
dumps, not rows, so it takes the database URL rather than a session.
"""

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL


class BackupImpossible(Exception):
    """What a backup needs is missing (the SQLite file, the pg_dump program)."""


def sqlite_backup(source: Path, target: Path) -> int:
    """Copy a live SQLite database consistently (writers may go on); the pages copied."""
    if not source.exists():
        raise BackupImpossible(f"no SQLite database at {source}")
    # The backup API copies a consistent snapshot even in WAL mode with writers active,
    # which a plain file copy does not.
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst, pages=1024)
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
    return int(pages)


def postgres_backup(url: URL, target: Path) -> None:
    """Dump a PostgreSQL database with pg_dump in its custom format (for pg_restore)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupImpossible("pg_dump not found; install the PostgreSQL client")
    # pg_dump speaks libpq, which knows no SQLAlchemy driver suffix such as +psycopg.
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run([pg_dump, "--format=custom", "--no-owner", f"--file={target}", dsn], check=True)
