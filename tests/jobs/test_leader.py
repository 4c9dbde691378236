"""One scheduler at a time: the SQLite lease and the PostgreSQL advisory lock."""

from datetime import timedelta

from tests.conftest_mail import wait_until
from tracker.jobs.leader import PostgresAdvisoryLock, SqliteLease, leadership_for
from tracker.store.types import utcnow


class Clock:
    """A hand-moved clock for lease expiry."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now


def test_only_one_holds_the_lock_until_it_lets_go(committed_engine):
    first = leadership_for(committed_engine, "first", 90)
    second = leadership_for(committed_engine, "second", 90)
    expected = (
        PostgresAdvisoryLock if committed_engine.dialect.name == "postgresql" else SqliteLease
    )
    assert isinstance(first, expected)
    try:
        assert first.ensure() and first.held()
        assert not second.ensure() and not second.held()
        assert first.ensure()  # renewing is fine
        first.release()
        assert not first.held()
        assert second.ensure() and second.held()
        assert not first.ensure()
    finally:
        first.release()
        second.release()


def test_an_expired_lease_is_taken_over_and_the_old_holder_stops_acting(sqlite_database):
    # SQLite's lease row only: PostgreSQL frees a dead session's lock itself (next test).
    committed_engine = sqlite_database[1]
    clock = Clock()
    first = SqliteLease(committed_engine, "first", 90, clock=clock)
    second = SqliteLease(committed_engine, "second", 90, clock=clock)
    assert first.ensure()
    clock.now += timedelta(seconds=59)
    assert first.held()  # acts for two thirds of the lease after renewing
    clock.now += timedelta(seconds=2)
    assert not first.held()  # it has not renewed: it stops acting before the expiry
    assert not second.ensure()  # but nobody else may take it yet
    clock.now += timedelta(seconds=30)
    assert second.ensure()
    assert not first.ensure()  # the old holder, back from a pause, finds it taken


def test_a_dead_postgres_session_frees_the_lock(postgres_database):
    committed_engine = postgres_database[1]
    first = PostgresAdvisoryLock(committed_engine, "first")
    second = PostgresAdvisoryLock(committed_engine, "second")
    try:
        assert first.ensure()
        assert not second.ensure()
        first._connection.invalidate()  # the process died: its connection is gone
        assert not first.ensure()  # and it knows it no longer holds the lock
        # The server frees the lock once it has seen the session end: a standby retries.
        wait_until(second.ensure, 10, "the standby never got the lock")
    finally:
        first.release()
        second.release()
