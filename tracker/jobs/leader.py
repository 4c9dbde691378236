"""Only one scheduler acts at a time: a PostgreSQL advisory lock, or a lease row on SQLite.

Every scheduler process runs its timers; before a job acts it asks `ensure()`, and only the
holder gets True. A standby keeps asking, so it takes over soon after the holder dies:
at once on PostgreSQL (the server drops a dead session's locks), when the lease expires on
SQLite. The jobs are idempotent as well, so the lock is a guard against waste and noise,
not the only thing between a patient and a second e-mail.
"""

import logging
import threading
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, Engine

from tracker.services import leases
from tracker.store.engine import session_scope
from tracker.store.types import utcnow

log = logging.getLogger("tracker.jobs.leader")

LEASE_NAME = "scheduler"
# pg_try_advisory_lock takes a bigint; this one is ours alone ("IVIGSCHD" in ASCII).
ADVISORY_LOCK_KEY = 0x4956_4947_5343_4844


class Leadership(Protocol):
    """Who may act: `ensure()` takes or keeps the lock and says whether we hold it."""

    holder: str

    def ensure(self) -> bool:
        """Take or keep the lock; True while we hold it."""
        ...

    def held(self) -> bool:
        """True while we hold the lock, without asking the database."""
        ...

    def release(self) -> None:
        """Let the lock go so a standby can take over at once."""
        ...


class SqliteLease:
    """A lease row renewed by its holder; anyone may take it once it has expired."""

    def __init__(self, engine: Engine, holder: str, seconds: int, clock=utcnow) -> None:
        self.engine = engine
        self.holder = holder
        self.duration = timedelta(seconds=seconds)
        self.clock = clock
        self._valid_until: datetime | None = None
        self._mutex = threading.Lock()

    def ensure(self) -> bool:
        """Take or renew the lease if it is free, expired or ours."""
        with self._mutex:
            now = self.clock()
            try:
                with session_scope(self.engine) as session:
                    taken = leases.take_lease(
                        session,
                        name=LEASE_NAME,
                        holder=self.holder,
                        now=now,
                        duration=self.duration,
                    )
                if not taken:
                    self._valid_until = None
                    return False
            except Exception as exc:  # a busy database: we hold nothing we cannot prove
                log.warning("scheduler lease not renewed: %s", exc)
                return self._still_valid(now)
            if not self._still_valid(now):
                log.info("this process is now the active scheduler (%s)", self.holder)
            # Act only until a little before expiry, so a taker-over never overlaps us.
            self._valid_until = now + self.duration * 2 / 3
            return True

    def held(self) -> bool:
        """True while our last renewal is fresh (no database round trip)."""
        with self._mutex:
            return self._still_valid(self.clock())

    def _still_valid(self, now: datetime) -> bool:
        return self._valid_until is not None and now < self._valid_until

    def release(self) -> None:
        """Give the lease up at once (a clean shutdown), so a standby need not wait."""
        with self._mutex:
            if self._valid_until is None:
                return
            self._valid_until = None
            try:
                with session_scope(self.engine) as session:
                    leases.end_lease(
                        session,
                        name=LEASE_NAME,
                        holder=self.holder,
                        at=self.clock() - timedelta(seconds=1),
                    )
            except Exception as exc:
                log.warning("scheduler lease not released: %s", exc)


class PostgresAdvisoryLock:
    """A session-level advisory lock held on a connection kept for the process's life."""

    def __init__(self, engine: Engine, holder: str) -> None:
        self.engine = engine
        self.holder = holder
        self._connection: Connection | None = None
        self._held = False
        self._mutex = threading.Lock()

    def ensure(self) -> bool:
        """Check the lock is still ours, or try to take it."""
        with self._mutex:
            try:
                if self._connection is None:
                    self._connection = self.engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT"
                    )
                if self._held:
                    # A query on our own session: if it dropped, so did the lock.
                    leases.check_connection(self._connection)
                    return True
                self._held = leases.try_advisory_lock(self._connection, key=ADVISORY_LOCK_KEY)
                if self._held:
                    log.info("this process is now the active scheduler (%s)", self.holder)
                return self._held
            except Exception as exc:
                log.warning("scheduler lock lost: %s", exc)
                self._drop()
                return False

    def held(self) -> bool:
        """True while we hold the lock (as of the last check)."""
        with self._mutex:
            return self._held

    def release(self) -> None:
        """Unlock and close our connection."""
        with self._mutex:
            if self._connection is not None and self._held:
                try:
                    leases.advisory_unlock(self._connection, key=ADVISORY_LOCK_KEY)
                except Exception as exc:
                    log.warning("scheduler lock not released: %s", exc)
            self._drop()

    def _drop(self) -> None:
        self._held = False
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except Exception:  # the connection is already gone; nothing more to free
                pass
            self._connection = None


def leadership_for(engine: Engine, holder: str, lease_seconds: int) -> Leadership:
    """The right kind of lock for the database behind `engine`."""
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine, holder)
    return SqliteLease(engine, holder, lease_seconds)
