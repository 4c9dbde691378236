"""Engine creation and the caller-owned session scope."""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from tracker.settings import get_settings
from tracker.store.connect import SQLITE_BUSY_TIMEOUT_MS, WriteInReadScope, make_engine

__all__ = ["WriteInReadScope", "get_engine", "make_engine", "session_scope"]


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
