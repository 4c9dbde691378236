"""Managing staff accounts and integration tokens: what admins do, and changing one's password."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from tracker.services import audit
from tracker.services.actors import SYSTEM, Actor
from tracker.services.errors import Conflict, Invalid, NotFound
from tracker.services.login_throttle import LoginThrottled, seconds_to_wait
from tracker.services.passwords import hash_password, password_problem, verify_password
from tracker.services.staff import (
    check_password_rules,
    create_user,
    end_all_sessions,
    issue_api_token,
)
from tracker.store.ids import stored_id
from tracker.store.models import ROLES, ApiToken, StaffUser, WebSession
from tracker.store.types import utcnow

MAX_INTEGRATION_TOKEN_DAYS = 730


class WrongPassword(Invalid):
    """The current password given to change it was wrong (422)."""


@dataclass(frozen=True)
class StaffRow:
    """A staff account with how many live web sessions it has."""

    user: StaffUser
    live_sessions: int


def get_user(session: Session, user_id: int) -> StaffUser:
    """The staff account with this id, or NotFound."""
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(f"no staff account with id {user_id}")
    return user


def find_user(session: Session, username: str) -> StaffUser | None:
    """The account with this username (trimmed, any case), or None."""
    return session.exec(
        select(StaffUser).where(StaffUser.username == username.strip().lower())
    ).first()


def put_demo_admin(session: Session, *, username: str, password: str) -> None:
    """Make the demo cohort's admin with this password, or give the existing one it.

    Only for `tracker demo`: a new password for an existing demo admin is neither audited
    nor ends its sessions, since the demo's login file is the only place that knows it.
    """
    user = find_user(session, username)
    if user is None:
        create_user(
            session,
            actor=SYSTEM,
            username=username,
            role="admin",
            password=password,
            full_name="Demo Admin",
        )
    else:
        user.password_hash = hash_password(password)


def put_demo_password(session: Session, *, username: str, password: str) -> bool:
    """Give an existing demo account (a demo nurse) this password; False when it is missing.

    Only for `tracker demo`, as `put_demo_admin`: its login file is the only place that
    knows the password.
    """
    user = find_user(session, username)
    if user is None:
        return False
    user.password_hash = hash_password(password)
    return True


def list_users(
    session: Session, *, idle_minutes: int, now: datetime | None = None
) -> list[StaffRow]:
    """Every staff account by username, with its count of live web sessions: not ended, not
    expired, and used within the last `idle_minutes` (an idle one is refused at its next
    request, which cannot mark it ended: that request's transaction rolls back)."""
    now = now or utcnow()
    live: dict[int | None, int] = dict(
        session.exec(
            select(WebSession.user_id, func.count())
            .where(
                col(WebSession.ended_at).is_(None),
                WebSession.expires_at > now,
                WebSession.last_seen_at > now - timedelta(minutes=idle_minutes),
            )
            .group_by(WebSession.user_id)
        ).all()
    )
    users = session.exec(select(StaffUser).order_by(StaffUser.username)).all()
    return [StaffRow(user=u, live_sessions=live.get(u.id, 0)) for u in users]


def _active_admins(session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == "admin", col(StaffUser.is_active).is_(True))
    ).one()


def update_user(
    session: Session, *, actor: Actor, user_id: int, changes: dict[str, Any]
) -> StaffUser:
    """Change an account's role, name, e-mail or whether it may log in (`is_active`).

    Disabling ends its sessions at once; the last active admin cannot be disabled or demoted,
    and nobody changes their own role or disables their own account (another admin must), so
    that an admin, or a tool with an admin's token, cannot lock themselves out.
    """
    user = get_user(session, user_id)
    unknown = set(changes) - {"role", "is_active", "full_name", "email"}
    if unknown:
        raise Invalid(f"these cannot be changed here: {', '.join(sorted(unknown))}")
    if "role" in changes and changes["role"] not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", field="role")
    for name in ("role", "is_active", "full_name"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be emptied", field=name)
    changes = {k: v for k, v in changes.items() if getattr(user, k) != v}
    loses_admin = (
        user.role == "admin"
        and user.is_active
        and (changes.get("role", "admin") != "admin" or changes.get("is_active") is False)
    )
    if loses_admin and _active_admins(session) <= 1:
        raise Conflict(
            "this is the last active admin: make another admin first",
            field="role" if "role" in changes else "is_active",
        )
    if actor.id is not None and actor.id == user.id:
        if "role" in changes:
            raise Conflict("you cannot change your own role: another admin must", field="role")
        if changes.get("is_active") is False:
            raise Conflict(
                "you cannot disable your own account: another admin must", field="is_active"
            )
    before = {k: getattr(user, k) for k in changes}
    for name, value in changes.items():
        setattr(user, name, value)
    if not changes:
        return user
    if changes.get("is_active") is False:
        # Its integration tokens too: refused while the account is disabled, they came back
        # to life when it was enabled again (a new token is issued if it is still wanted).
        end_all_sessions(session, user_id=stored_id(user), integration=True)
        action = "user.disable"
    elif changes.get("is_active") is True:
        action = "user.enable"
    else:
        action = "user.update"
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="staff_user",
        entity_id=user.id,
        changes=audit.diff(before, changes),
    )
    return user


def end_sessions(session: Session, *, actor: Actor, user_id: int) -> int:
    """End every live web session and login token of an account; how many were ended."""
    user = get_user(session, user_id)
    ended = end_all_sessions(session, user_id=stored_id(user))
    audit.record(
        session,
        actor=actor,
        action="user.sessions_end",
        entity="staff_user",
        entity_id=user.id,
        changes={"ended": ended},
    )
    return ended


def new_random_password() -> str:
    """A random password that meets the rules, for an admin to hand over once."""
    while True:
        password = secrets.token_urlsafe(15)  # 20 characters, 120 bits
        if password_problem(password) is None:
            return password


def reset_password(session: Session, *, actor: Actor, user_id: int) -> str:
    """Give an account a new random password (returned once) and end its sessions."""
    password = new_random_password()
    set_password(session, actor=actor, user=get_user(session, user_id), password=password)
    return password


def set_password(session: Session, *, actor: Actor, user: StaffUser, password: str) -> None:
    """Set an account's password for it (an admin's reset); its sessions end."""
    check_password_rules(password, username=user.username)
    _set_password(user, password)
    end_all_sessions(session, user_id=stored_id(user))
    audit.record(
        session, actor=actor, action="user.password_reset", entity="staff_user", entity_id=user.id
    )


def change_own_password(
    session: Session, *, actor: Actor, user: StaffUser, current: str, new: str
) -> None:
    """Change one's own password (the current one is asked for); every session ends.

    A wrong current password raises WrongPassword: the caller rolls back, then keeps the
    failure with `staff.record_failed_login`, so that guessing through this form is throttled
    like guessing at the login.
    """
    wait = seconds_to_wait(
        session, username=user.username, ip_address=actor.ip_address, now=utcnow()
    )
    if wait:
        raise LoginThrottled(wait)
    if not verify_password(user.password_hash, current):
        raise WrongPassword("the current password is wrong", field="current_password")
    if new == current:
        raise Invalid("the new password must differ from the current one", field="new_password")
    check_password_rules(new, username=user.username, field="new_password")
    _set_password(user, new)
    end_all_sessions(session, user_id=stored_id(user))
    audit.record(
        session, actor=actor, action="user.password_change", entity="staff_user", entity_id=user.id
    )


def _set_password(user: StaffUser, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()


def integration_tokens(session: Session) -> list[tuple[ApiToken, str]]:
    """Every integration token, newest first, with its account's username."""
    rows = session.exec(
        select(ApiToken, StaffUser.username)
        .join(StaffUser, StaffUser.id == ApiToken.user_id)
        .where(ApiToken.kind == "integration")
        .order_by(col(ApiToken.id).desc())
    ).all()
    return [(token, username) for token, username in rows]


def issue_integration_token(
    session: Session, *, actor: Actor, user_id: int, name: str, days: int
) -> tuple[str, ApiToken]:
    """A long-lived bearer token acting as this account; the token is shown only now."""
    user = get_user(session, user_id)
    if not user.is_active:
        raise Conflict("the account is disabled: enable it first", field="user_id")
    name = name.strip()
    if not 1 <= len(name) <= 120:
        raise Invalid("name the integration (1 to 120 characters)", field="name")
    if not 1 <= days <= MAX_INTEGRATION_TOKEN_DAYS:
        raise Invalid(f"days must be 1 to {MAX_INTEGRATION_TOKEN_DAYS}", field="days")
    token, row = issue_api_token(session, user=user, hours=days * 24, kind="integration", name=name)
    audit.record(
        session,
        actor=actor,
        action="token.issue",
        entity="api_token",
        entity_id=row.id,
        changes={"name": name, "user": user.username, "expires_at": row.expires_at},
    )
    return token, row


def revoke_token(
    session: Session, *, actor: Actor, token_id: int, in_use: int | None = None
) -> ApiToken:
    """Revoke a bearer token at once (revoking twice changes nothing).

    `in_use` is the token the request came with: it is not revoked by itself (the caller
    would lose its access in the middle of its work); another session or token must.
    """
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no API token with id {token_id}")
    if token_id == in_use:
        raise Conflict(
            "this is the token this request was made with: revoke it with another one or "
            "from the admin pages",
            field="token_id",
        )
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="token.revoke",
            entity="api_token",
            entity_id=row.id,
            changes={"name": row.name},
        )
    return row


def token_status(token: ApiToken, now: datetime | None = None) -> str:
    """'revoked', 'expired' or 'live'."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "live"
