"""Staff accounts, logins, web sessions and API tokens."""

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from tracker.services import audit, plain_sql
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, Invalid
from tracker.services.login_throttle import LoginThrottled, seconds_to_wait
from tracker.services.passwords import (
    DUMMY_HASH,
    MAX_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from tracker.store.ids import stored_id
from tracker.store.models import ROLES, ApiToken, LoginAttempt, StaffUser, WebSession
from tracker.store.types import utcnow

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")


def token_digest(token: str) -> str:
    """The SHA-256 under which a session or API token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh 256-bit random token, URL-safe."""
    return secrets.token_urlsafe(32)


def actor_for(user: StaffUser, ip_address: str | None = None) -> Actor:
    """The audit identity of a logged-in user."""
    return Actor(id=user.id, username=user.username, role=user.role, ip_address=ip_address)


def check_password_rules(password: str, *, username: str = "", field: str = "password") -> None:
    """Refuse passwords that are too short, too long, common or about the account."""
    problem = password_problem(password, username=username)
    if problem:
        raise Invalid(problem, field=field)


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: str,
    password: str,
    email: str | None = None,
    full_name: str = "",
) -> StaffUser:
    """Make a staff account with an argon2id password hash."""
    username = username.strip().lower()
    if not username or len(username) > 64 or not set(username) <= USERNAME_CHARS:
        raise Invalid(
            "the username must be 1 to 64 of a-z, 0-9, '.', '_', '-', '@'", field="username"
        )
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", field="role")
    check_password_rules(password, username=username)
    if session.exec(select(StaffUser.id).where(StaffUser.username == username)).first():
        raise Conflict(f"the username {username!r} is taken", field="username")
    user = StaffUser(
        username=username,
        role=role,
        email=email,
        full_name=full_name,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        entity="staff_user",
        entity_id=user.id,
        changes={"username": username, "role": role, "email": email},
    )
    return user


def authenticate(
    session: Session, *, username: str, password: str, ip_address: str | None
) -> StaffUser | None:
    """The active user with this username and password, else None; every try is recorded.

    Raises LoginThrottled, without looking at the password, after too many failures for the
    account or the address (the caller must commit to keep its audit entry).
    """
    username = username.strip().lower()[:64]
    user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
    who = Actor(
        id=user.id if user else None, username=username, role="viewer", ip_address=ip_address
    )
    wait = seconds_to_wait(session, username=username, ip_address=ip_address, now=utcnow())
    if wait:
        audit.record(
            session,
            actor=who,
            action="login.throttled",
            entity="staff_user",
            entity_id=user.id if user else None,
            changes={"retry_after_seconds": wait},
        )
        raise LoginThrottled(wait)
    # Longer than any allowed password can be refused unread: argon2 of megabytes is a DoS.
    ok = len(password) <= MAX_PASSWORD_LENGTH and verify_password(
        user.password_hash if user else DUMMY_HASH, password
    )
    ok = ok and user is not None and user.is_active
    if not ok or user is None:  # (ok implies a user; said again for the type checker)
        record_failed_login(
            session, username=username, user_id=user.id if user else None, ip_address=ip_address
        )
        return None
    session.add(LoginAttempt(username=username, ip_address=ip_address, succeeded=True))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(session, actor=who, action="login", entity="staff_user", entity_id=user.id)
    return user


def record_failed_login(
    session: Session,
    *,
    username: str,
    user_id: int | None,
    ip_address: str | None,
    during: str = "",
) -> None:
    """Keep a failed password check: it counts towards throttling and is audited."""
    session.add(LoginAttempt(username=username, ip_address=ip_address, succeeded=False))
    who = Actor(id=user_id, username=username, role="viewer", ip_address=ip_address)
    audit.record(
        session,
        actor=who,
        action="login.failed",
        entity="staff_user",
        entity_id=user_id,
        changes={"during": during} if during else None,
    )


def start_web_session(
    session: Session,
    *,
    user: StaffUser,
    max_hours: int,
    ip_address: str | None,
    user_agent: str | None,
) -> tuple[str, WebSession]:
    """A new server-side session for the user: the cookie token and its row."""
    token = new_token()
    now = utcnow()
    row = WebSession(
        token_hash=token_digest(token),
        user_id=stored_id(user),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=max_hours),
        ip_address=ip_address,
        user_agent=(user_agent or "")[:300],
    )
    session.add(row)
    session.flush()
    return token, row


# A write saved apart from the session that read: given the session to save it in.
Touch = Callable[[Session], None]
# How often a session's or token's last use is noted: a page view need not always write.
TOUCH_EVERY = timedelta(minutes=1)


def _touch(
    row: WebSession,
    field: str,
    at: datetime,
    save_touch: Callable[[Touch], None] | None,
) -> None:
    # save_touch: the caller's session must not write (a SQLite read, web/deps.py), so the
    # touch is handed over as an UPDATE to run in a scope of its own; the row already read
    # shows the new time without being marked changed.
    if save_touch is None:
        setattr(row, field, at)
        return
    save_touch(_touch_update(WebSession, stored_id(row), field, at))
    set_committed_value(row, field, at)


def _touch_update(
    model: type[WebSession] | type[ApiToken], row_id: int, field: str, at: datetime
) -> Touch:
    # The UPDATE that notes a session's or token's last use, to run in the session given.
    def touch(writer: Session) -> None:
        writer.execute(update(model).where(col(model.id) == row_id).values({field: at}))

    return touch


# The login checks every page and API call makes first, built once and bound at each call
# (docs/write-profile.md, round four).
_WEB_SESSION_AND_USER = (
    select(WebSession, StaffUser)
    .join(StaffUser, StaffUser.id == WebSession.user_id)
    .where(WebSession.token_hash == bindparam("digest"))
)
_API_TOKEN_AND_USER = (
    "SELECT t.id, t.kind, t.expires_at, t.revoked_at, t.last_used_at, "
    f"{plain_sql.columns_sql(StaffUser, 'u')} FROM api_token t "
    "JOIN staff_user u ON u.id = t.user_id WHERE t.token_hash = :digest"
)


def resume_web_session(
    session: Session,
    *,
    token: str,
    idle_minutes: int,
    save_touch: Callable[[Touch], None] | None = None,
) -> tuple[WebSession, StaffUser] | None:
    """The live session and its user for a cookie token, touching its last-seen time."""
    # The session and its user in one statement: every page asks this first.
    found = session.exec(_WEB_SESSION_AND_USER, params={"digest": token_digest(token)}).first()
    now = utcnow()
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > timedelta(minutes=idle_minutes):
        row.ended_at = now
        return None
    if not user.is_active:
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        _touch(row, "last_seen_at", now, save_touch)
    return row, user


def end_web_session(session: Session, *, token: str, actor: Actor, action: str = "logout") -> None:
    """Log out: end the session that this cookie token names."""
    row = session.exec(
        select(WebSession).where(WebSession.token_hash == token_digest(token))
    ).first()
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        audit.record(
            session, actor=actor, action=action, entity="staff_user", entity_id=row.user_id
        )


def issue_api_token(
    session: Session, *, user: StaffUser, hours: int | None, kind: str = "login", name: str = ""
) -> tuple[str, ApiToken]:
    """A new bearer token for the user; `hours=None` never expires (integration tokens)."""
    token = new_token()
    now = utcnow()
    row = ApiToken(
        token_hash=token_digest(token),
        user_id=stored_id(user),
        kind=kind,
        name=name,
        created_at=now,
        expires_at=None if hours is None else now + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return token, row


class TokenInUse(NamedTuple):
    """A live bearer token, as a request knows it."""

    id: int
    kind: str


def api_token_login(
    session: Session, *, token: str, save_touch: Callable[[Touch], None] | None = None
) -> tuple[TokenInUse, StaffUser] | None:
    """The live bearer token and the active user behind it, else None."""
    # The token and its user in one plain statement: every API call asks this first. On
    # PostgreSQL, first in a request, it is a transaction of its own (plain_sql `alone`).
    found = plain_sql.first(
        session,
        _API_TOKEN_AND_USER,
        {"digest": token_digest(token)},
        instants=(2, 3, 4),
        alone=True,
    )
    now = utcnow()
    if found is None:
        return None
    token_id, kind, expires_at, revoked_at, last_used_at, *user_values = found
    if revoked_at is not None:
        return None
    if expires_at is not None and expires_at <= now:
        return None
    user = plain_sql.loaded(session, StaffUser, user_values)
    if not user.is_active:
        return None
    # Admins see stale integration tokens without a write per call.
    if last_used_at is None or now - last_used_at > TOUCH_EVERY:
        _touch_token(session, token_id, now, save_touch)
    return TokenInUse(token_id, kind), user


def _touch_token(
    session: Session, token_id: int, at: datetime, save_touch: Callable[[Touch], None] | None
) -> None:
    # As _touch, for a token read as values: the UPDATE now, or handed over (save_touch).
    touch = _touch_update(ApiToken, token_id, "last_used_at", at)
    if save_touch is None:
        touch(session)
    else:
        save_touch(touch)


def user_for_api_token(session: Session, *, token: str) -> StaffUser | None:
    """The active user behind a live bearer token, else None."""
    found = api_token_login(session, token=token)
    return found[1] if found else None


def end_all_sessions(
    session: Session, *, user_id: int, at: datetime | None = None, integration: bool = False
) -> int:
    """End every live web session and login token of a user (and, with `integration`, their
    integration tokens too); the number ended."""
    at = at or utcnow()
    ended = 0
    for row in session.exec(
        select(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
    ):
        row.ended_at = at
        ended += 1
    kinds = ("login", "integration") if integration else ("login",)
    for token in session.exec(
        select(ApiToken).where(
            ApiToken.user_id == user_id,
            col(ApiToken.kind).in_(kinds),
            ApiToken.revoked_at.is_(None),
        )
    ):
        token.revoked_at = at
        ended += 1
    return ended
