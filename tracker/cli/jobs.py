"""`tracker sweep` and `tracker outbox send`: a scheduled job run once from the console."""

import typer

from tracker.cli.console import console, day_or_today, log_to_stderr

outbox_app = typer.Typer(help="The e-mail outbox.", no_args_is_help=True)


def sweep(
    on: str | None = typer.Option(None, help="the day to sweep for, YYYY-MM-DD (default today)"),
) -> None:
    """Run the daily sweep once (statuses, flags, reminders into the outbox) and exit."""
    from tracker.jobs.sweep import run_sweep

    result = run_sweep(on=day_or_today(on, "on"))
    console.print(result.describe())


@outbox_app.command("send")
def outbox_send() -> None:
    """Deliver what is pending in the e-mail outbox once and exit."""
    from tracker.jobs.dispatch import run_dispatch

    log_to_stderr()
    result = run_dispatch()
    console.print(f"outbox: {result.describe()}")
