"""What every command shares: the one console, failing with a message, the day, the password."""

from __future__ import annotations

import logging
import sys
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from tracker.settings import get_settings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


@cache
def rich_console() -> Console:
    """Standard error's rich console, made at the first message."""
    from rich.console import Console

    # Messages go to standard error, so standard output stays for what a script reads.
    return Console(stderr=True)


class _Console:
    """The console every command prints to; rich is imported at its first message.

    Importing rich costs a process 2.3 to 2.7 MB. The sweep's worker processes import the
    CLI (spawn re-imports the main module, here the `tracker` script) and never print, and
    the sweeping process prints only once they are gone: all of it was counted against the
    sweep's peak memory (300 MB at 100,000 patients).
    """

    def print(self, *objects: Any, **options: Any) -> None:
        """rich's `Console.print` on standard error."""
        rich_console().print(*objects, **options)


console = _Console()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `error: message` and exit with `code` (2 for a usage mistake)."""
    from rich.markup import escape

    # The message is printed as it is, on one line: it often holds a path or a name.
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def check_settings() -> None:
    """Before every command: settings that load, and in development, where they came from.

    `.env` is read from the working directory, so a command run outside the checkout quietly
    runs without it: in development the CLI says which `.env` it read (or that it read none),
    and with the placeholder secret it refuses to write audit entries, which would be chained
    with a key anyone can read and fail verification later.
    """
    from pydantic import ValidationError

    from tracker.services import audit
    from tracker.settings import PLACEHOLDER_SECRET, env_file_path

    try:
        settings = get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors()
        )
        fail(f"the settings are refused: {problems}")
    if settings.env != "development":
        return
    env_file = env_file_path()
    if env_file.is_file():
        say(f"settings: read {env_file}")
    else:
        say(f"settings: no .env in {env_file.parent}; TRACKER_* from the environment only")
    if settings.secret_key == PLACEHOLDER_SECRET:

        def refuse() -> None:
            fail(
                "TRACKER_SECRET_KEY is the placeholder (no .env at "
                f"{env_file}, nor TRACKER_SECRET_KEY in the environment): audit entries "
                "written with it fail verification. Run the command where its .env is, or "
                "set TRACKER_SECRET_KEY."
            )

        audit.guard_placeholder_secret(refuse)


def refuse_placeholder_secret() -> None:
    """For the long-lived processes, which write audit entries all day: refuse to start."""
    from tracker.services import audit

    audit.refuse_if_placeholder_secret()


def say(text: str) -> None:
    """Print plain text (a path, a name) as it is: no markup, highlighting or wrapping."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def day_or_today(value: str | None, option: str) -> date:
    """The day given to `--option` as YYYY-MM-DD, or today in the site time zone if none."""
    if not value:
        return datetime.now(get_settings().zone).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--{option} must be a date as YYYY-MM-DD, not {value!r}", 2)


def read_password(password_stdin: bool) -> str:
    """The password from the first line of standard input; refuses unless asked to read it."""
    # Never an option's value: it would show in the process list and the shell's history.
    if not password_stdin:
        fail("pass --password-stdin and give the password on standard input", 2)
    return sys.stdin.readline().rstrip("\r\n")


def progress_bar() -> Progress:
    """A bar with a count and the time taken, gone from the screen when done."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=rich_console(),
        transient=True,
    )


def log_to_stderr() -> None:
    """Send the log to standard error for the long-running commands."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # APScheduler logs every run of every job at INFO: a line a minute nobody needs.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
