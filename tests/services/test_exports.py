"""The exports' reads: every patient in id order a batch at a time, and their history."""

from datetime import date, timedelta

from sqlalchemy import inspect

from tests.builders.records import patient_with_history
from tracker.services.catalogue import every_chair, every_product
from tracker.services.exports import (
    caseload_rows,
    patient_batches,
    patient_count,
    treatment_histories,
)

TODAY = date(2026, 3, 1)


def test_batches_cover_every_patient_once_in_id_order_and_are_forgotten(session):
    # A day apart, so that their bookings do not share a chair.
    ids = [
        patient_with_history(session, today=TODAY + timedelta(days=n), mrn=f"EXP-{n}").patient_id
        for n in range(3)
    ]
    seen, earlier = [], []
    for batch in patient_batches(session, 2):
        # The batch before this one is no longer held by the session: memory stays flat.
        assert all(inspect(p).detached for p in earlier)
        seen += [p.id for p in batch]
        earlier = list(batch)
    assert [i for i in seen if i in ids] == ids
    assert seen == sorted(seen)
    assert patient_count(session) == len(seen)


def test_caseload_rows_are_the_named_patients_rows_in_file_order(session):
    wanted = patient_with_history(session, today=TODAY, mrn="EXP-A")
    patient_with_history(session, today=TODAY + timedelta(days=1), mrn="EXP-B")
    rows = caseload_rows(session, [wanted.patient_id])
    for kind in (rows.weights, rows.regimens, rows.courses, rows.scores):
        assert kind and {r.patient_id for r in kind} == {wanted.patient_id}
    assert [c.scheduled_on for c in rows.courses] == sorted(c.scheduled_on for c in rows.courses)
    assert {lot.infusion_id for lot in rows.lots} == set(wanted.given_ids)


def test_treatment_histories_by_patient_with_lots_by_course(session):
    history = patient_with_history(session, today=TODAY, mrn="EXP-H")
    histories, lots = treatment_histories(session, [history.patient_id])
    mine = histories[history.patient_id]
    assert [r.id for r in mine.regimens] == history.regimen_ids
    assert {i.id for i in mine.infusions} >= set(history.given_ids)
    assert mine.assessments
    assert set(lots) == set(history.given_ids)
    assert histories[-1].infusions == []  # a patient with no rows has an empty history


def test_catalogue_lists_retired_products_and_chairs_too(session):
    chair = every_chair(session)[0]
    chair.active = False
    session.flush()
    assert chair in every_chair(session)
    assert {p.code for p in every_product(session)} >= {"privigen"}
