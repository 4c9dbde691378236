"""The caseload import's reads and bulk writes (COPY on PostgreSQL, executemany on SQLite)."""

from datetime import date, time, timedelta

from sqlmodel import select

from tests.builders.records import patient_with_history
from tracker.services import imports
from tracker.store.models import Weight
from tracker.store.types import utcnow

TODAY = date(2026, 3, 1)


def test_rows_written_in_bulk_take_the_ids_handed_out_and_read_back(session):
    history = patient_with_history(session, today=TODAY, mrn="IMP-1")
    rows = [
        {
            "patient_id": history.patient_id,
            "measured_on": TODAY - timedelta(days=n),
            "weight_kg": 70 + n,
            "recorded_by_id": None,
            "recorded_at": utcnow(),
        }
        for n in range(3)
    ]
    ids = imports.insert_rows_with_ids(session, Weight, rows)
    assert len(ids) == 3 and ids == sorted(ids) and len(set(ids)) == 3
    written = session.exec(select(Weight).where(Weight.id.in_(ids))).all()
    assert sorted(w.weight_kg for w in written) == [70, 71, 72]
    assert imports.insert_rows_with_ids(session, Weight, []) == []
    imports.insert_rows(session, Weight, [])  # nothing to write is not an error


def test_stored_reads_of_one_patient(session):
    history = patient_with_history(session, today=TODAY, mrn="IMP-2")
    assert imports.stored_mrns(session)["imp2"] == history.patient_id  # by MRN key
    assert imports.stored_patient(session, history.patient_id).mrn == "IMP-2"
    assert [day for day, _ in imports.stored_weights(session, history.patient_id)]
    assert [
        r.id for r in imports.stored_regimens(session, history.patient_id)
    ] == history.regimen_ids
    statuses = {
        course_id: status
        for course_id, _, status, _days in imports.stored_courses(session, history.patient_id)
    }
    assert statuses[history.booked_id] == "booked"
    assert statuses[history.cancelled_id] == "cancelled"


def test_live_chair_starts_are_timed_bookings_on_a_chair(session):
    history = patient_with_history(session, today=TODAY, mrn="IMP-3")
    starts = imports.live_chair_starts(session)
    assert any(
        day == TODAY + timedelta(days=21) and start == time(9, 30) for _, day, start in starts
    )
    # The cancelled booking (13:00, two days on) is not live.
    assert not any(day == TODAY + timedelta(days=2) for _, day, _ in starts)
    holding = {c.id for c in imports.courses_holding_chairs(session, since=TODAY)}
    assert history.booked_id in holding and history.cancelled_id not in holding
