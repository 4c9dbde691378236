"""Engine creation and the caller-owned session scope."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Connection, Engine, create_engine, event
from sqlmodel import Session

from tracker.settings import get_settings

SQLITE_BUSY_TIMEOUT_MS = 10_000


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

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A deferred transaction that reads and then writes fails at once (SQLITE_BUSY,
        # no waiting) when another writer committed in between; writers therefore begin
        # IMMEDIATE and queue on the busy timeout instead.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@lru_cache
def get_engine() -> Engine:
    """The process's engine for the configured database."""
    return make_engine(get_settings().database_url)


@contextmanager
def session_scope(
    bind: Engine | Connection | None = None, *, write: bool = True
) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, always close.

    Services never commit; whoever opens the scope (a request, a job, a CLI command) does.
    A Connection as `bind` joins its open transaction through a savepoint (the tests' way of
    rolling every test back).
    """
    bind = bind if bind is not None else get_engine()
    if isinstance(bind, Connection):
        session = Session(
            bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
    else:
        session = Session(bind, expire_on_commit=False)
        if write and bind.dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    with session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
