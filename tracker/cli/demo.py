"""`tracker demo`: a synthetic cohort, and a demo admin whose login is kept in a file."""

import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tracker.cli.console import console, day_or_today, fail, rich_console
from tracker.settings import get_settings

if TYPE_CHECKING:
    from tracker.demo import DemoSummary

DEMO_ADMIN = "demo-admin"


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

    end = day_or_today(today, "today")
    with session_scope() as session:
        if once and has_demo(session):
            console.print("demo cohort already loaded")
        else:
            try:
                with Progress(console=rich_console(), transient=True) as progress:
                    task = progress.add_task("demo cohort", total=patients)
                    summary = load_demo(
                        session,
                        patients=patients,
                        seed=seed,
                        today=end,
                        progress=lambda done, total: progress.update(task, completed=done),
                    )
                # The worklist reads each patient's stored evaluation: make it now.
                refresh_all(session, today=end)
            except DemoRefused as exc:
                fail(str(exc))
            console.print(f"loaded {summary}")
            _print_diary_links(summary)
    if admin_login_file is not None:
        _ensure_demo_admin(admin_login_file)


def _print_diary_links(summary: "DemoSummary") -> None:
    """The demo diary keepers' links: shown once, as staff would hand them out (only their
    digests are stored; a new one can be issued from the patient's page)."""
    base = get_settings().base_url.rstrip("/")
    for mrn, token in summary.diary_tokens.items():
        why = " (home grips wear off)" if mrn == summary.wear_off_at_home else ""
        typer.echo(f"Demo diary link for {mrn}{why}: {base}/diary/{token}")


def _ensure_demo_admin(path: Path) -> None:
    """Make the demo admin, or give it a new password when its login file is gone; give the
    demo's nurses passwords too, kept in the same file (a line each); print every login."""
    from tracker.demo.homecare import NURSES
    from tracker.services import staff_admin
    from tracker.store.engine import session_scope

    kept = _read_logins(path)
    with session_scope() as session:
        if staff_admin.find_user(session, DEMO_ADMIN) is None:
            kept.pop(DEMO_ADMIN, None)
        if DEMO_ADMIN not in kept:
            kept = {DEMO_ADMIN: secrets.token_urlsafe(12)}  # a new file: new passwords
            staff_admin.put_demo_admin(session, username=DEMO_ADMIN, password=kept[DEMO_ADMIN])
        for username, _name in NURSES:
            if username in kept:
                continue
            password = secrets.token_urlsafe(12)
            if staff_admin.put_demo_password(session, username=username, password=password):
                kept[username] = password
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)  # before the passwords go in
    path.write_text("".join(f"{user} {password}\n" for user, password in kept.items()))
    base = get_settings().base_url
    for user, password in kept.items():
        typer.echo(f"Demo login for {base}: username {user}  password {password}")


def _read_logins(path: Path) -> dict[str, str]:
    """The logins kept in the file (username -> password), the admin's first."""
    if not path.exists():
        return {}
    logins = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            logins[parts[0]] = parts[1]
    return logins
