"""`tracker audit verify` and the account commands an admin needs at the console."""

import sys

import typer
from rich.console import Console

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
console = Console(stderr=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every entry's HMAC and its link to the one before; exit 1 naming each broken one."""
    from tracker.services.audit import last_id, verify_chain
    from tracker.store.engine import session_scope
    from tracker.store.models import AuditEvent

    with session_scope(write=False) as session:
        problems = verify_chain(session)
        count = last_id(session)
        head = session.get(AuditEvent, count) if count else None
        head_hmac = head.hmac if head else ""
    if problems:
        for entry_id, problem in problems:
            typer.echo(f"audit entry {entry_id}: {problem}")
        console.print(f"[red]audit trail broken:[/red] {len(problems)} problem(s)")
        raise typer.Exit(1)
    # The newest HMAC, noted somewhere else now and then, also shows entries cut off the end.
    typer.echo(f"OK: {count} audit entries verified; newest #{count} {head_hmac}")


def users_disable(username: str) -> None:
    """Stop an account logging in; its sessions and login tokens end at once."""
    _set_active(username, active=False)


def users_enable(username: str) -> None:
    """Let a disabled account log in again."""
    _set_active(username, active=True)


def users_set_password(
    username: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password"),
) -> None:
    """Set an account's password from standard input (e.g. a locked-out last admin)."""
    from tracker.services import staff_admin
    from tracker.services.actors import SYSTEM
    from tracker.services.errors import ServiceError
    from tracker.store.engine import session_scope

    if not password_stdin:
        _fail("pass --password-stdin and give the password on standard input", 2)
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with session_scope() as session:
            user = _user(session, username)
            staff_admin.set_password(session, actor=SYSTEM, user=user, password=password)
    except ServiceError as exc:
        _fail(f"password: {exc.message}")
    console.print(f"password set for {username.strip().lower()}; its sessions have ended")


def _set_active(username: str, *, active: bool) -> None:
    from tracker.services import staff_admin
    from tracker.services.actors import SYSTEM
    from tracker.services.errors import ServiceError
    from tracker.store.engine import session_scope

    try:
        with session_scope() as session:
            user = _user(session, username)
            staff_admin.update_user(session, actor=SYSTEM, user_id=user.id,
                                    changes={"is_active": active})
    except ServiceError as exc:
        _fail(exc.message)
    console.print(f"{'enabled' if active else 'disabled'} {username.strip().lower()}")


def _user(session, username: str):
    from sqlmodel import select

    from tracker.store.models import StaffUser

    user = session.exec(
        select(StaffUser).where(StaffUser.username == username.strip().lower())
    ).first()
    if user is None:
        _fail(f"no account named {username!r}")
    return user


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def register(app: typer.Typer, users_app: typer.Typer) -> None:
    """Add `audit verify` and `users disable|enable|set-password` to the command line."""
    app.add_typer(audit_app, name="audit")
    users_app.command("disable")(users_disable)
    users_app.command("enable")(users_enable)
    users_app.command("set-password")(users_set_password)
