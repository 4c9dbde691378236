"""`tracker db upgrade|downgrade`: the database schema."""

import typer

from tracker.cli.console import console
from tracker.settings import get_settings

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Migrate the configured database to the newest schema (creates a SQLite file if needed)."""
    from tracker.store import migrate

    migrate.upgrade(get_settings().database_url, revision)
    console.print(f"database at revision {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="target revision, e.g. base")) -> None:
    """Migrate the configured database down to an older revision."""
    from tracker.store import migrate

    migrate.downgrade(get_settings().database_url, revision)
    console.print(f"database at revision {revision}")
