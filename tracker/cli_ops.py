"""Operations commands: backups."""

import shutil
import sqlite3
import subprocess
from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from tracker.settings import get_settings


def backup(
    out: Path = typer.Option(..., "--out", help="file to write the backup to"),
) -> None:
    """Back up the database: SQLite's online backup, or pg_dump for PostgreSQL."""
    url = make_url(get_settings().database_url)
    out = out.resolve()
    if out.exists():
        typer.echo(f"error: {out} exists; choose a new file", err=True)
        raise typer.Exit(2)
    if url.get_backend_name() == "sqlite":
        pages = sqlite_backup(Path(url.database or ""), out)
        typer.echo(f"backed up {url.database} to {out} ({pages} pages)", err=True)
        return
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        typer.echo("error: pg_dump not found; install the PostgreSQL client", err=True)
        raise typer.Exit(1)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run([pg_dump, "--format=custom", "--no-owner", f"--file={out}", dsn],
                   check=True)
    typer.echo(f"backed up {url.database} to {out} (pg_dump custom format)", err=True)


def sqlite_backup(source: Path, target: Path) -> int:
    """Copy a live SQLite database consistently (writers may go on); the pages copied."""
    if not source.exists():
        raise typer.BadParameter(f"no SQLite database at {source}")
    # The backup API copies a consistent snapshot even in WAL mode with writers active,
    # which a plain file copy does not.
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst, pages=1024)
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
    return pages
