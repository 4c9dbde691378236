"""The engine's SQLite tuning, UTC instants and the caller-owned session scope."""

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlmodel import select

from tracker.store import migrate
from tracker.store.engine import make_engine, session_scope
from tracker.store.models import Patient


def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_instants_come_back_aware_in_utc(session):
    local = datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    patient = Patient(
        mrn="UTC-1", given_name="A", family_name="B", birth_date=date(1970, 1, 1), created_at=local
    )
    session.add(patient)
    session.commit()
    session.expire_all()
    stored = session.exec(select(Patient).where(Patient.mrn == "UTC-1")).one()
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.created_at == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def test_naive_instants_are_refused(session):
    session.add(
        Patient(
            mrn="NAIVE",
            given_name="A",
            family_name="B",
            birth_date=date(1970, 1, 1),
            created_at=datetime(2026, 1, 1),
        )
    )
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_session_scope_rolls_back_everything_on_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'scope.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(
            Patient(mrn="HALF", given_name="A", family_name="B", birth_date=date(1970, 1, 1))
        )
        session.flush()
        raise RuntimeError("crash after the first write")
    with session_scope(engine, write=False) as session:
        assert session.exec(select(Patient).where(Patient.mrn == "HALF")).first() is None
    with session_scope(engine) as session:
        session.add(
            Patient(mrn="WHOLE", given_name="A", family_name="B", birth_date=date(1970, 1, 1))
        )
    with session_scope(engine, write=False) as session:
        assert session.exec(select(Patient).where(Patient.mrn == "WHOLE")).first() is not None
    engine.dispose()


def test_sqlite_writers_of_one_process_take_turns(tmp_path):
    # Two threads' write scopes: the second starts while the first holds the write lock,
    # waits for its commit (it reads what the first wrote) and then writes itself.
    import threading

    url = f"sqlite:///{tmp_path / 'turns.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    first_in, seen = threading.Event(), []

    def second() -> None:
        first_in.wait()
        with session_scope(engine) as session:
            seen.append(session.exec(select(Patient.mrn)).all())
            session.add(_patient("SECOND"))

    thread = threading.Thread(target=second)
    thread.start()
    with session_scope(engine) as session:
        session.add(_patient("FIRST"))
        session.flush()
        first_in.set()
        thread.join(timeout=0.2)
        assert thread.is_alive()  # queued behind this scope, not writing alongside it
    thread.join(timeout=10)
    assert seen == [["FIRST"]]
    with session_scope(engine, write=False) as session:
        assert sorted(session.exec(select(Patient.mrn)).all()) == ["FIRST", "SECOND"]
    engine.dispose()


def test_a_sqlite_writer_waits_out_another_process_lock_and_keeps_the_busy_timeout(tmp_path):
    # Another engine (as another process's would) holds SQLite's write lock for a moment:
    # this writer polls for it and gets in once the other commits.
    import threading
    import time

    url = f"sqlite:///{tmp_path / 'other.db'}"
    migrate.upgrade(url)
    engine, other_engine = make_engine(url), make_engine(url)
    holding = threading.Event()

    def other() -> None:
        with session_scope(other_engine) as session:
            session.add(_patient("OTHER"))
            session.flush()
            holding.set()
            time.sleep(0.3)

    thread = threading.Thread(target=other)
    thread.start()
    holding.wait(timeout=10)
    with session_scope(engine) as session:
        assert session.exec(select(Patient.mrn)).all() == ["OTHER"]  # in after its commit
        timeout = session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert timeout == 10_000  # the short wait was for BEGIN only
    thread.join(timeout=10)
    engine.dispose()
    other_engine.dispose()


def _patient(mrn: str) -> Patient:
    return Patient(mrn=mrn, given_name="A", family_name="B", birth_date=date(1970, 1, 1))


def test_a_pooled_connection_the_server_ended_is_replaced_without_an_error(postgres_database):
    # No ping per checkout (a round trip per request): the pool drops a connection whose
    # socket the server closed. Without that, the next statement fails on the dead one.
    url, engine = postgres_database
    with engine.connect() as connection:
        ended = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    assert engine.pool.checkedin() == 1  # idle in the pool, as between two requests
    admin = make_engine(url)
    try:
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": ended})
            deadline = time.monotonic() + 10
            # Each look in a transaction of its own: PostgreSQL keeps what pg_stat_activity
            # showed first for the rest of a transaction, so a backend still ending at the
            # first look would seem to live on.
            while other.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": ended}
            ).scalar():
                assert time.monotonic() < deadline, "the backend did not end"
                other.commit()
                time.sleep(0.02)
    finally:
        admin.dispose()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != ended
