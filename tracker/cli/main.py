"""The `tracker` command: every command and group, registered in the order `--help` lists them."""

import typer

from tracker.cli.audit import audit_app
from tracker.cli.backup import backup
from tracker.cli.db import db_app
from tracker.cli.demo import demo
from tracker.cli.interop import export_app, import_app
from tracker.cli.jobs import outbox_app, sweep
from tracker.cli.serve import scheduler_command, serve
from tracker.cli.users import users_app

app = typer.Typer(help="ivig-tracker: maintenance IVIG tracking.", no_args_is_help=True)


@app.callback()
def _settings_source() -> None:
    """ivig-tracker: maintenance IVIG tracking."""
    from tracker.cli.console import check_settings

    check_settings()


app.command()(serve)
app.command()(demo)
app.command()(sweep)
app.command("scheduler")(scheduler_command)
app.command("backup")(backup)

app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(outbox_app, name="outbox")
app.add_typer(audit_app, name="audit")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")
