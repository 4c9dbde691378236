"""The audit chain appended at real commits on PostgreSQL: its round trips, and a whole chain
when writers commit at once."""

import threading

from psycopg.pq import TransactionStatus
from sqlalchemy import text
from sqlmodel import Session, select

from tests.builders.rows import add_patient
from tests.protocol_trace import round_trips
from tracker.services import audit
from tracker.services.actors import SYSTEM
from tracker.store.models import AuditEvent, Patient


def _audited_change(session: Session, mrn: str) -> None:
    patient = add_patient(session, mrn)
    session.flush()
    audit.record(
        session, actor=SYSTEM, action="patient.create", entity="patient", patient_id=patient.id
    )


def test_an_audited_commit_is_two_round_trips_and_ends_its_transaction(postgres_database):
    # The lock with the chain's tail; the entries with the COMMIT and the wait for the WAL
    # flush, which runs as a transaction of its own after the COMMIT.
    _url, engine = postgres_database
    with Session(engine) as session:
        _audited_change(session, "TRIPS-1")
        raw = session.connection().connection.dbapi_connection
        assert round_trips(raw, session.commit) == 2
        assert raw.info.transaction_status == TransactionStatus.IDLE
        # The wait was a transaction of its own, after the write's: a newer transaction id.
        written = session.exec(select(text("xmin::text::bigint")).select_from(Patient)).one()
        waited = raw.execute("SELECT txid_current()").fetchone()[0]
        assert waited > written + 1
    with Session(engine) as session:
        entries = session.exec(select(AuditEvent)).all()
        assert [(e.action, e.entity_id) for e in entries] == [("patient.create", None)]
        assert audit.verify_chain(session) == []


def test_writers_committing_at_once_leave_one_whole_chain(postgres_database):
    _url, engine = postgres_database
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for k in range(15):
                with Session(engine) as session:
                    _audited_change(session, f"W{n}-{k}")
                    session.commit()
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with Session(engine) as session:
        ids = session.exec(select(AuditEvent.id).order_by(AuditEvent.id)).all()
        assert ids == list(range(1, 61))
        assert audit.verify_chain(session) == []
        # Each entry was committed with its change: the patients it names are there.
        assert len(session.exec(select(Patient.id)).all()) == 60
        named = set(session.exec(select(AuditEvent.patient_id)).all())
        assert named == set(session.exec(select(Patient.id)).all())


def test_the_chains_tail_is_read_by_a_plan_made_at_each_read(postgres_database):
    # A plan prepared while the table was short (a new database) would read and sort the
    # whole table at every append for the connection's life; the read is never prepared.
    _url, engine = postgres_database
    with Session(engine) as session:
        session.exec(text("ANALYZE audit_event"))
        session.commit()
        backend = session.exec(select(text("pg_backend_pid()"))).one()
        for k in range(8):  # psycopg prepares a statement at its fifth run
            _audited_change(session, f"TAIL-{k}")
            session.commit()
        assert session.exec(select(text("pg_backend_pid()"))).one() == backend  # one connection
        prepared = session.exec(
            text("SELECT statement FROM pg_prepared_statements WHERE statement LIKE :tail"),
            params={"tail": "%FROM audit_event ORDER BY id DESC%"},
        ).all()
        assert prepared == []
        # What else the append sends is prepared, as before.
        inserts = session.exec(
            text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :insert"),
            params={"insert": "INSERT INTO audit_event%"},
        ).one()
        assert inserts == (1,)
        assert audit.verify_chain(session) == []
