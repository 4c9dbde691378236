"""`tracker sweep` and `tracker outbox send`: a scheduled job run once from the console."""

import typer

from tracker.cli.console import console, day_or_today, log_to_stderr

outbox_app = typer.Typer(help="The e-mail outbox.", no_args_is_help=True)


def sweep(
    on: str | None = typer.Option(None, help="the day to sweep for, YYYY-MM-DD (default today)"),
    full: bool = typer.Option(
        False, "--full", help="re-evaluate every patient, not only those whose state expired"
    ),
    verify: bool = typer.Option(
        False,
        "--verify",
        help="sweep nothing: compare stored states with a fresh full evaluation "
        "(exit 1 when any differ)",
    ),
    sample: int = typer.Option(
        2000, "--sample", min=1, help="--verify: how many patients, at random"
    ),
    check_all: bool = typer.Option(False, "--all", help="--verify: every patient"),
) -> None:
    """Run the daily sweep once (statuses, flags, reminders into the outbox) and exit."""
    day = day_or_today(on, "on")
    if verify:
        from tracker.services.state_check import check_states
        from tracker.store.engine import session_scope

        with session_scope(write=False) as session:
            check = check_states(session, on=day, sample=None if check_all else sample)
        console.print(check.describe(), highlight=False)
        raise typer.Exit(1 if check.differences else 0)
    from tracker.jobs.sweep import run_sweep

    result = run_sweep(on=day, full=full)
    console.print(result.describe())


@outbox_app.command("send")
def outbox_send() -> None:
    """Deliver what is pending in the e-mail outbox once and exit."""
    from tracker.jobs.dispatch import run_dispatch

    log_to_stderr()
    result = run_dispatch()
    console.print(f"outbox: {result.describe()}")
