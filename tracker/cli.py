"""The `tracker` command line: database, users, serving, the demo cohort and jobs."""

import secrets
import sys
from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from tracker.settings import get_settings

app = typer.Typer(help="ivig-tracker: maintenance IVIG tracking.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
outbox_app = typer.Typer(help="The e-mail outbox.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")

console = Console(stderr=True)


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


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


@users_app.command("create")
def users_create(
    username: str,
    role: str = typer.Option(..., help="admin, pharmacist, nurse or viewer"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password"),
    email: str | None = typer.Option(None, help="e-mail address"),
    full_name: str = typer.Option("", help="name shown in the app"),
) -> None:
    """Make a staff account; the password is read from standard input."""
    from tracker.services import staff
    from tracker.services.actors import SYSTEM
    from tracker.services.errors import ServiceError
    from tracker.store.engine import session_scope

    if not password_stdin:
        _fail("pass --password-stdin and give the password on standard input", 2)
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with session_scope() as session:
            user = staff.create_user(
                session, actor=SYSTEM, username=username, role=role, password=password,
                email=email, full_name=full_name,
            )
    except ServiceError as exc:
        _fail(f"{exc.field or 'user'}: {exc.message}")
    console.print(f"created {user.role} {user.username}")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    scheduler: bool | None = typer.Option(
        None, "--scheduler/--no-scheduler",
        help="run the scheduler in this process (default: on with SQLite, off otherwise)",
    ),
) -> None:
    """Run the web app (and, by default on SQLite, the scheduler in the same process)."""
    import uvicorn

    from tracker.web.app import create_app

    settings = get_settings()
    lifespan = None
    if settings.is_sqlite if scheduler is None else scheduler:
        from tracker.jobs.scheduler import scheduler_lifespan

        _log_to_stderr()
        lifespan = scheduler_lifespan(settings)
    uvicorn.run(create_app(settings, lifespan=lifespan), host=host, port=port,
                proxy_headers=True, log_level="info")


@app.command()
def demo(
    patients: int = typer.Option(40, min=1, max=100_000, help="how many patients"),
    seed: int = typer.Option(1, help="random seed: the same seed gives the same cohort"),
    today: str | None = typer.Option(None, help="the day the histories end (default today)"),
    once: bool = typer.Option(False, help="do nothing if the demo cohort is already loaded"),
    admin_login_file: Path | None = typer.Option(
        None, help="also make a demo admin; its login is kept in (and read from) this file"
    ),
) -> None:
    """Load a realistic synthetic cohort (never on a database that holds real patients)."""
    from rich.progress import Progress

    from tracker.demo import DemoRefused, has_demo, load_demo
    from tracker.services.evaluation import refresh_all
    from tracker.store.engine import session_scope

    end = _parse_day(today, "today") if today else _site_today()
    with session_scope() as session:
        if once and has_demo(session):
            console.print("demo cohort already loaded")
        else:
            try:
                with Progress(console=console, transient=True) as progress:
                    task = progress.add_task("demo cohort", total=patients)
                    summary = load_demo(
                        session, patients=patients, seed=seed, today=end,
                        progress=lambda done, total: progress.update(task, completed=done),
                    )
                # The worklist reads each patient's stored evaluation: make it now.
                refresh_all(session, today=end)
            except DemoRefused as exc:
                _fail(str(exc))
            console.print(f"loaded {summary}")
    if admin_login_file is not None:
        _ensure_demo_admin(admin_login_file)


def _ensure_demo_admin(path: Path) -> None:
    from sqlmodel import select

    from tracker.services import staff
    from tracker.services.actors import SYSTEM
    from tracker.store.engine import session_scope
    from tracker.store.models import StaffUser

    username = "demo-admin"
    with session_scope() as session:
        exists = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
        if exists is None or not path.exists():
            password = secrets.token_urlsafe(12)
            if exists is None:
                staff.create_user(session, actor=SYSTEM, username=username, role="admin",
                                  password=password, full_name="Demo Admin")
            else:
                from tracker.services.passwords import hash_password

                exists.password_hash = hash_password(password)
            path.write_text(f"{username} {password}\n")
            path.chmod(0o600)
    user, password = path.read_text().split()
    base = get_settings().base_url
    typer.echo(f"Demo login for {base}: username {user}  password {password}")


@app.command()
def sweep(
    on: str | None = typer.Option(None, help="the day to sweep for, YYYY-MM-DD (default today)"),
) -> None:
    """Run the daily sweep once (statuses, flags, reminders into the outbox) and exit."""
    from tracker.jobs.sweep import run_sweep

    day = _parse_day(on, "on") if on else _site_today()
    result = run_sweep(on=day)
    console.print(result.describe())


@app.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduler as its own long-lived process (daily sweep, outbox every minute)."""
    import signal
    import threading

    from tracker.jobs.scheduler import run_until_stopped
    from tracker.store.engine import get_engine

    _log_to_stderr()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_until_stopped(get_settings(), get_engine(), stop)


@outbox_app.command("send")
def outbox_send() -> None:
    """Deliver what is pending in the e-mail outbox once and exit."""
    from tracker.jobs.dispatch import run_dispatch

    _log_to_stderr()
    result = run_dispatch()
    console.print(f"outbox: {result.describe()}")


def _log_to_stderr() -> None:
    import logging

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every run of every job at INFO: a line a minute nobody needs.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _parse_day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"--{name} must be a date as YYYY-MM-DD, not {value!r}", 2)


def _site_today() -> date:
    from datetime import datetime

    return datetime.now(get_settings().zone).date()


from tracker.cli_admin import register as _register_admin  # noqa: E402 (after the commands)

_register_admin(app, users_app)  # audit verify; users disable, enable, set-password


from tracker.cli_interop import register as _register_interop  # noqa: E402

_register_interop(app)  # export fhir|csv, import csv


from tracker.cli_ops import backup as _backup  # noqa: E402

app.command("backup")(_backup)


if __name__ == "__main__":  # pragma: no cover
    app()
