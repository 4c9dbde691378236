"""Engine creation and the caller-owned session scope."""

import random
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from tracker.settings import get_settings

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_BEGIN_POLL_MS = 1  # how long one BEGIN IMMEDIATE waits before it is tried again


# Dates handed straight to the sqlite3 driver (the sweep's state rows) are stored as
# SQLAlchemy stores them, ISO text; set here because Python 3.12 deprecates the driver's
# own default adapters.
sqlite3.register_adapter(date, date.isoformat)


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout, foreign keys and explicit BEGINs."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 10}, **kwargs
        )
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so that
        # a write scope can take the write lock up front with BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_writes(connection, _cursor, statement, *_args):
        # On the cursor, so that the audit trail's entries, written at commit with plain
        # SQL, are caught as well as the ORM's flushes (session_scope's refuse_writes).
        what = connection.get_execution_options().get("refuse_writes")
        if what and _WRITES.match(statement):
            shown = " ".join(statement.split())[:200]
            raise WriteInReadScope(f"{what} ran in a read-only scope but wrote: {shown}")

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A deferred transaction that reads and then writes fails at once (SQLITE_BUSY,
        # no waiting) when another writer committed in between; writers therefore begin
        # IMMEDIATE and queue on the busy timeout instead.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE":
            _begin_immediate(connection)
        else:
            connection.exec_driver_sql(f"BEGIN {mode}")


def _begin_immediate(connection: Connection) -> None:
    # SQLite's own busy handler backs off to sleeps of 25 to 100 ms, so writers queued
    # behind a lock held for a few milliseconds waited a third of a second or more (every
    # write, and every audited read: deps._db). Poll in steps of a millisecond or two
    # instead, within the same overall timeout; the statements after BEGIN keep it.
    connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BEGIN_POLL_MS}")
    try:
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as error:
                if "locked" not in str(error.orig) or time.monotonic() > deadline:
                    raise
            # Random, so that two waiting writers do not keep colliding.
            time.sleep(random.uniform(0.0005, 0.002))
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


@lru_cache
def get_engine() -> Engine:
    """The process's engine for the configured database."""
    return make_engine(get_settings().database_url)


@contextmanager
def session_scope(
    bind: Engine | Connection | None = None,
    *,
    write: bool = True,
    refuse_writes: str | None = None,
) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, always close.

    Services never commit; whoever opens the scope (a request, a job, a CLI command) does.
    A Connection as `bind` joins its open transaction through a savepoint (the tests' way of
    rolling every test back). `refuse_writes` (SQLite, a read scope) names what the scope
    serves, a request's route: any INSERT, UPDATE or DELETE it sends, at its commit too,
    raises WriteInReadScope naming it and the statement.
    """
    if write and refuse_writes:
        raise ValueError("a write scope cannot refuse writes")
    bind = bind if bind is not None else get_engine()
    if isinstance(bind, Connection):
        session = Session(
            bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
    elif write and bind.dialect.name == "sqlite":
        with _one_writer_at_a_time(bind):
            session = Session(bind, expire_on_commit=False)
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            with _committed(session) as session:
                yield session
        return
    else:
        session = Session(bind, expire_on_commit=False)
    with _committed(session, refuse_writes) as session:
        yield session


@contextmanager
def _committed(session: Session, refuse_writes: str | None = None) -> Iterator[Session]:
    with session:
        refusing = (
            session.connection(execution_options={"refuse_writes": refuse_writes})
            if refuse_writes
            else None
        )
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            if refusing is not None:
                # A test's connection serves every request in turn: it must not go on refusing.
                refusing.execution_options(refuse_writes=None)


class WriteInReadScope(RuntimeError):
    """A read scope (session_scope's refuse_writes) sent a statement that writes."""


# What writes: DML, and DDL for good measure (SAVEPOINT, RELEASE and PRAGMA do not).
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


_writer_locks: "WeakKeyDictionary[Engine, threading.Lock]" = WeakKeyDictionary()
_writer_locks_made = threading.Lock()


@contextmanager
def _one_writer_at_a_time(engine: Engine) -> Iterator[None]:
    # SQLite has one write lock for the whole database and a write scope holds it from
    # BEGIN IMMEDIATE to commit. This process's threads queue for it on a lock of their
    # own, in turn and without polling; only other processes' writers meet at SQLite's.
    # (A plain Lock: a request's scope may end on another thread than it began on.)
    with _writer_locks_made:
        lock = _writer_locks.setdefault(engine, threading.Lock())
    if not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
        raise OperationalError(
            "BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")
        )
    try:
        yield
    finally:
        lock.release()
