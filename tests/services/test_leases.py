"""The scheduler's lock statements: a lease row, and a PostgreSQL advisory lock."""

from datetime import timedelta

from tracker.services import leases
from tracker.store.models import Lease
from tracker.store.types import utcnow

MINUTE = timedelta(minutes=1)


def test_a_free_lease_is_taken_and_renewed_by_its_holder_only(session):
    now = utcnow()
    assert leases.take_lease(session, name="t", holder="a", now=now, duration=MINUTE)
    assert not leases.take_lease(session, name="t", holder="b", now=now, duration=MINUTE)
    assert leases.take_lease(session, name="t", holder="a", now=now + MINUTE / 2, duration=MINUTE)
    assert session.get(Lease, "t").expires_at == now + MINUTE * 3 / 2


def test_an_expired_lease_is_anyones(session):
    now = utcnow()
    leases.take_lease(session, name="t", holder="a", now=now, duration=MINUTE)
    assert leases.take_lease(session, name="t", holder="b", now=now + MINUTE, duration=MINUTE)
    assert session.get(Lease, "t").holder == "b"


def test_ending_a_lease_touches_only_the_holders(session):
    now = utcnow()
    leases.take_lease(session, name="t", holder="a", now=now, duration=MINUTE)
    leases.end_lease(session, name="t", holder="b", at=now)
    session.expire_all()
    assert not leases.take_lease(session, name="t", holder="b", now=now, duration=MINUTE)
    leases.end_lease(session, name="t", holder="a", at=now - timedelta(seconds=1))
    session.expire_all()
    assert leases.take_lease(session, name="t", holder="b", now=now, duration=MINUTE)


def test_an_advisory_lock_is_taken_checked_and_let_go(postgres_database):
    # Advisory locks are PostgreSQL's: this test builds that database alone.
    _url, engine = postgres_database
    key = 0x7E57_1EA5
    with engine.connect() as mine, engine.connect() as theirs:
        mine = mine.execution_options(isolation_level="AUTOCOMMIT")
        theirs = theirs.execution_options(isolation_level="AUTOCOMMIT")
        assert leases.try_advisory_lock(mine, key=key)
        leases.check_connection(mine)
        assert not leases.try_advisory_lock(theirs, key=key)
        leases.advisory_unlock(mine, key=key)
        assert leases.try_advisory_lock(theirs, key=key)
        leases.advisory_unlock(theirs, key=key)
