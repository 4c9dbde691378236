"""`tracker users create|disable|enable|set-password`: staff accounts at the console."""

import typer

from tracker.cli.console import console, fail, read_password

users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)


@users_app.command("create")
def users_create(
    username: str,
    role: str = typer.Option(..., help="admin, pharmacist, nurse or viewer"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password"),
    email: str | None = typer.Option(None, help="e-mail address"),
    full_name: str = typer.Option("", help="name shown in the app"),
) -> None:
    """Make a staff account; the password is read from standard input."""
    from pydantic import ValidationError

    from tracker.schemas.staff import StaffUserCreate
    from tracker.services import staff
    from tracker.services.actors import SYSTEM
    from tracker.services.errors import ServiceError
    from tracker.store.engine import session_scope

    password = read_password(password_stdin)
    try:
        # The API's own checks (POST /api/v1/admin/users), so that the console cannot make
        # an account the API would refuse (an e-mail address that is not one, say).
        data = StaffUserCreate(
            username=username, role=role, password=password, email=email, full_name=full_name
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"{'.'.join(str(p) for p in first['loc']) or 'user'}: {first['msg']}")
    try:
        with session_scope() as session:
            user = staff.create_user(
                session,
                actor=SYSTEM,
                username=data.username,
                role=data.role,
                password=password,
                email=data.email,
                full_name=data.full_name,
            )
    except ServiceError as exc:
        fail(f"{exc.field or 'user'}: {exc.message}")
    console.print(f"created {user.role} {user.username}")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Stop an account logging in; its sessions and tokens (login and integration) end at
    once."""
    _set_active(username, active=False)


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Let a disabled account log in again."""
    _set_active(username, active=True)


@users_app.command("set-password")
def users_set_password(
    username: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password"),
) -> None:
    """Set an account's password from standard input (e.g. a locked-out last admin)."""
    from tracker.services import staff_admin
    from tracker.services.actors import SYSTEM
    from tracker.services.errors import ServiceError
    from tracker.store.engine import session_scope

    password = read_password(password_stdin)
    try:
        with session_scope() as session:
            user = _user(session, username)
            staff_admin.set_password(session, actor=SYSTEM, user=user, password=password)
    except ServiceError as exc:
        fail(f"password: {exc.message}")
    console.print(f"password set for {username.strip().lower()}; its sessions have ended")


def _set_active(username: str, *, active: bool) -> None:
    from tracker.services import staff_admin
    from tracker.services.actors import SYSTEM
    from tracker.services.errors import ServiceError
    from tracker.store.engine import session_scope

    try:
        with session_scope() as session:
            user = _user(session, username)
            staff_admin.update_user(
                session, actor=SYSTEM, user_id=user.id, changes={"is_active": active}
            )
    except ServiceError as exc:
        fail(exc.message)
    console.print(f"{'enabled' if active else 'disabled'} {username.strip().lower()}")


def _user(session, username: str):
    from tracker.services import staff_admin

    user = staff_admin.find_user(session, username)
    if user is None:
        fail(f"no account named {username!r}")
    return user
