"""Engines: how each database is connected to and tuned (no sessions, no settings).

Kept apart from tracker.store.engine so that the sweep's worker processes, which only
connect and read, do not import the ORM and the settings (see tracker.services.sweep_pool).
"""

import random
import re
import select
import sqlite3
import time
from datetime import date

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError, OperationalError

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
    engine = create_engine(url, **kwargs)
    _drop_connections_the_server_ended(engine)
    return engine


def _drop_connections_the_server_ended(engine: Engine) -> None:
    # In place of a ping (pool_pre_ping: a round trip on every checkout, one in fifteen of
    # a write's): a server that ended an idle connection (a restart, pg_terminate_backend,
    # an idle timeout) has sent its last message and closed the socket, so the socket has
    # something to read. A live idle connection has nothing to read: the server speaks only
    # when asked. Raising DisconnectionError on checkout makes the pool discard the
    # connection and hand out a new one (it tries three times).
    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, _record, _proxy):
        if server_ended(dbapi_connection):
            raise DisconnectionError("the database server ended this pooled connection")


def server_ended(dbapi_connection) -> bool:
    """Whether an idle psycopg connection was closed or has been ended by the server."""
    if dbapi_connection.closed:
        return True
    # Anything to read on an idle connection is the server's farewell (or, rarely, a
    # notice of a changed setting: a reconnect costs no more than the ping did).
    # poll, not select: select refuses descriptors past 1,024.
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


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


class WriteInReadScope(RuntimeError):
    """A read scope (session_scope's refuse_writes) sent a statement that writes."""


# What writes: DML, and DDL for good measure (SAVEPOINT, RELEASE and PRAGMA do not).
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
