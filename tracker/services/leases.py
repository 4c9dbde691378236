"""The scheduler's lock in the database: a lease row (SQLite) or an advisory lock (PostgreSQL).

`jobs/leader.py` decides when to take, keep and give up the lock; these functions are the
statements it runs. The lease functions take a session that the caller commits; the advisory
lock functions take the one connection the lock lives on (in autocommit), because a
PostgreSQL session-level lock belongs to a connection, not to a transaction.
"""

from datetime import datetime, timedelta

from sqlalchemy import Connection, text, update
from sqlmodel import Session, select

from tracker.store.models import Lease


def take_lease(
    session: Session, *, name: str, holder: str, now: datetime, duration: timedelta
) -> bool:
    """Take or renew the lease if it is free, expired or ours; False while another holds it."""
    lease = session.exec(select(Lease).where(Lease.name == name)).first()
    if lease is None:
        session.add(Lease(name=name, holder=holder, expires_at=now + duration))
    elif lease.holder == holder or lease.expires_at <= now:
        lease.holder = holder
        lease.expires_at = now + duration
    else:
        return False
    return True


def end_lease(session: Session, *, name: str, holder: str, at: datetime) -> None:
    """Make our lease expire at `at`, if we still hold it, so a standby may take it."""
    session.execute(
        update(Lease).where(Lease.name == name, Lease.holder == holder).values(expires_at=at)
    )


def try_advisory_lock(connection: Connection, *, key: int) -> bool:
    """Take the advisory lock `key` on this connection without waiting; True if taken."""
    return bool(
        connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
    )


def check_connection(connection: Connection) -> None:
    """A trivial query on the lock's own connection: it raises if the connection dropped."""
    connection.execute(text("SELECT 1"))


def advisory_unlock(connection: Connection, *, key: int) -> None:
    """Let the advisory lock `key` go on this connection."""
    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
