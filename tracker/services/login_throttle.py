"""Login throttling: at most so many failed logins per account and per address in a window."""

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, text
from sqlmodel import Session, col, select

from tracker.services.errors import ServiceError
from tracker.store.models import LoginAttempt

FAILURE_LIMIT = 10
WINDOW = timedelta(minutes=15)
_LOCK_SPACE = 0x10_617  # "login"


class LoginThrottled(ServiceError):
    """Too many failed logins for this account or address lately (429)."""

    status_code = 429

    def __init__(self, retry_after_seconds: int):
        minutes = max(1, math.ceil(retry_after_seconds / 60))
        super().__init__(
            f"Too many failed attempts; try again in {minutes} minute{'s' if minutes > 1 else ''}."
        )
        self.retry_after_seconds = retry_after_seconds
        self.minutes = minutes


def seconds_to_wait(
    session: Session, *, username: str, ip_address: str | None, now: datetime
) -> int:
    """How long this account or address must wait before the next try; 0 when it may try.

    Holds the account's and the address's lock to the end of the transaction, so that tries
    sent all at once are counted one after the other, not all against the same past.
    """
    _serialise(session, f"user:{username}")
    if ip_address:
        _serialise(session, f"ip:{ip_address}")
    waits = [_wait(session, LoginAttempt.username == username, now)]
    if ip_address:
        waits.append(_wait(session, LoginAttempt.ip_address == ip_address, now))
    return max(waits)


def _wait(session: Session, which: ColumnElement[bool], now: datetime) -> int:
    # Tries are allowed again once the limit-th most recent failure leaves the window; a
    # refused try is not a failure, so waiting it out always works.
    since = now - WINDOW
    failures = session.exec(
        select(LoginAttempt.attempted_at)
        .where(which, col(LoginAttempt.succeeded).is_(False), LoginAttempt.attempted_at > since)
        .order_by(col(LoginAttempt.attempted_at).desc())
        .limit(FAILURE_LIMIT)
    ).all()
    if len(failures) < FAILURE_LIMIT:
        return 0
    return max(1, math.ceil((failures[-1] + WINDOW - now).total_seconds()))


def _serialise(session: Session, key: str) -> None:
    # SQLite's writers already run one at a time (BEGIN IMMEDIATE); PostgreSQL needs a lock.
    # The two-key form keeps these apart from the audit chain's one-key lock.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
            {"space": _LOCK_SPACE, "key": key},
        )


def wait_for(session: Session, which: ColumnElement[bool], now: datetime) -> int:
    """How long tries matching `which` must wait (0: they may try); for other guessed
    secrets, such as diary links, counted in the same table."""
    return _wait(session, which, now)


def serialise(session: Session, key: str) -> None:
    """Hold a lock on `key` to the end of the transaction (PostgreSQL), so that tries sent
    all at once are counted one after the other."""
    _serialise(session, key)
