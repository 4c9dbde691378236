"""The worklist's tab counts, kept by each worker, are right at once after any committed
write, whichever worker (engine) made it, and never keep what a transaction saw of its own
uncommitted or rolled-back writes."""

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.builders.records import give, patient_with_regimen, score
from tests.services import reference_worklist
from tracker.demo import load_demo
from tracker.services import worklist
from tracker.services.evaluation import refresh_all
from tracker.store.engine import make_engine
from tracker.store.models import PatientState

TODAY = date(2026, 11, 21)


@pytest.fixture
def workers(committed_engine) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one database, as two gunicorn workers have: (mine, theirs)."""
    theirs = make_engine(committed_engine.url.render_as_string(hide_password=False))
    with Session(theirs) as session:
        load_demo(session, patients=25, seed=4, today=TODAY, zone="UTC", funding=False)
        refresh_all(session, today=TODAY)
        session.commit()
    yield committed_engine, theirs
    theirs.dispose()


@pytest.fixture
def counted(monkeypatch) -> list[date]:
    """The days the counts were really counted (not taken from what the worker kept)."""
    days: list[date] = []
    count = worklist._count_views

    def counting(session, on):
        days.append(on)
        return count(session, on)

    monkeypatch.setattr(worklist, "_count_views", counting)
    return days


def _toggled(overdue_from: date | None) -> date | None:
    """An overdue patient made not overdue today, or one not overdue made overdue."""
    return date.min if overdue_from is None or overdue_from > TODAY else None


def _shown(engine: Engine, day: date = TODAY) -> dict[str, int]:
    """What a new request in the engine's worker shows, checked against a fresh count."""
    with Session(engine) as session:
        shown = worklist.view_counts(session, on=day)
        assert shown == reference_worklist.view_counts(session, on=day)
        return shown


def test_kept_until_another_worker_writes(workers, counted):
    mine, theirs = workers
    before = _shown(mine)
    assert _shown(mine) == before
    assert counted == [TODAY]  # the second request used the kept counts

    with Session(theirs) as session:  # a course given, a score: the way the app writes
        pid = patient_with_regimen(
            session, today=TODAY, starts_on=TODAY - timedelta(days=60), mrn="CNT-1"
        )
        session.commit()
    after_patient = _shown(mine)
    assert after_patient != before
    assert len(counted) == 2
    with Session(theirs) as session:
        give(session, pid, TODAY, today=TODAY)
        session.commit()
    after_course = _shown(mine)
    assert after_course != after_patient
    with Session(theirs) as session:
        score(session, pid, TODAY, "mrc_sum", 50, today=TODAY)
        session.commit()
    _shown(mine)
    assert len(counted) == 4


def test_a_state_changed_through_the_orm_is_seen(workers):
    mine, theirs = workers
    before = _shown(mine)
    with Session(theirs) as session:
        state = session.exec(select(PatientState).where(PatientState.status == "active")).first()
        assert state is not None
        state.overdue_from = _toggled(state.overdue_from)
        session.commit()
    assert _shown(mine) != before


def test_each_day_counted_for_itself(workers, counted):
    mine, _theirs = workers
    for shift in (0, 9, -40, 0, 9):
        _shown(mine, TODAY + timedelta(days=shift))
    assert counted == [TODAY, TODAY + timedelta(days=9), TODAY - timedelta(days=40)]


def test_own_and_rolled_back_writes_are_never_kept(workers, counted):
    mine, theirs = workers
    before = _shown(mine)
    for engine in (mine, theirs):
        with Session(engine) as session:
            state = session.exec(
                select(PatientState).where(PatientState.status == "active")
            ).first()
            assert state is not None
            state.overdue_from = _toggled(state.overdue_from)
            session.flush()
            # The transaction sees its own change...
            own = worklist.view_counts(session, on=TODAY)
            assert own == reference_worklist.view_counts(session, on=TODAY) != before
            session.rollback()
        # ...which nobody sees once it is rolled back.
        assert _shown(mine) == before
    # And another worker's rolled-back sweep leaves the kept counts standing.
    with Session(theirs) as session:
        refresh_all(session, today=TODAY + timedelta(days=3))
        session.rollback()
    counted.clear()
    assert _shown(mine) == before
    assert counted == []
