"""`tracker backup`: SQLite's online backup, or pg_dump for PostgreSQL."""

from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from tracker.cli.console import fail, say
from tracker.settings import get_settings


def backup(
    out: Path = typer.Option(..., "--out", help="file to write the backup to"),
) -> None:
    """Back up the database: SQLite's online backup, or pg_dump for PostgreSQL."""
    from tracker.services.maintenance import BackupImpossible, postgres_backup, sqlite_backup

    url = make_url(get_settings().database_url)
    out = out.resolve()
    if out.exists():
        fail(f"{out} exists; choose a new file", 2)
    if not out.parent.is_dir():
        fail(f"{out.parent} is not a folder; create it first, or choose another", 2)
    if url.get_backend_name() == "sqlite":
        try:
            pages = sqlite_backup(Path(url.database or ""), out)
        except BackupImpossible as exc:
            raise typer.BadParameter(str(exc)) from None
        say(f"backed up {url.database} to {out} ({pages} pages)")
        return
    try:
        postgres_backup(url, out)
    except BackupImpossible as exc:
        fail(str(exc))
    say(f"backed up {url.database} to {out} (pg_dump custom format)")
