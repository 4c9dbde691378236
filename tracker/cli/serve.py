"""`tracker serve` and `tracker scheduler`: the long-lived processes."""

import typer

from tracker.cli.console import log_to_stderr, refuse_placeholder_secret
from tracker.settings import get_settings


def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    scheduler: bool | None = typer.Option(
        None,
        "--scheduler/--no-scheduler",
        help="run the scheduler in this process (default: on with SQLite, off otherwise)",
    ),
) -> None:
    """Run the web app (and, by default on SQLite, the scheduler in the same process)."""
    import uvicorn

    from tracker.web.app import create_app
    from tracker.web.serving import UVICORN_OPTIONS

    settings = get_settings()
    refuse_placeholder_secret()
    lifespan = None
    if settings.is_sqlite if scheduler is None else scheduler:
        from tracker.jobs.scheduler import scheduler_lifespan

        log_to_stderr()
        lifespan = scheduler_lifespan(settings)
    uvicorn.run(
        create_app(settings, lifespan=lifespan),
        host=host,
        port=port,
        log_level="info",
        **UVICORN_OPTIONS,
    )


def scheduler_command() -> None:
    """Run the scheduler as its own long-lived process (daily sweep, outbox every minute)."""
    import signal
    import threading

    from tracker.jobs.scheduler import run_until_stopped
    from tracker.store.engine import get_engine

    refuse_placeholder_secret()
    log_to_stderr()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_until_stopped(get_settings(), get_engine(), stop)
