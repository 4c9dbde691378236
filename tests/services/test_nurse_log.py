"""The nurse's day list and log (services/nurse_log.py)."""

from datetime import date, time, timedelta

import pytest
from sqlmodel import select

from tests.builders import rows
from tests.builders.records import patient_with_regimen
from tracker.schemas.scores import AssessmentCreate
from tracker.schemas.treatment import InfusionAdminister, InfusionCreate, LotInput
from tracker.services import infusions, nurse_log
from tracker.services.actors import SYSTEM
from tracker.services.errors import Invalid
from tracker.store.models import Assessment, Infusion

TODAY = date(2026, 3, 2)


def test_the_day_list_holds_the_days_booked_and_given_courses_by_time_then_chair(session):
    ann, bo, cy = (
        rows.add_patient(session, mrn, given=name)
        for mrn, name in (("N-1", "Ann"), ("N-2", "Bo"), ("N-3", "Cy"))
    )
    late = rows.book(session, ann, TODAY, start=time(13, 0), chair_code="C1")
    early_c2 = rows.book(session, bo, TODAY, start=time(9, 0), chair_code="C2")
    early_c1 = rows.book(session, cy, TODAY, start=time(9, 0), chair_code="C1")
    given = rows.give(session, bo, TODAY)  # given, no chair or time recorded
    cancelled = rows.book(session, cy, TODAY, start=time(11, 0), chair_code="C3")
    cancelled.status = "cancelled"
    rows.book(session, ann, TODAY + timedelta(days=1))  # another day
    session.flush()

    listed = nurse_log.day_list(session, day=TODAY)

    # (A course without a time sorts first on SQLite and last on PostgreSQL: NULLs.)
    timed = [item["infusion"].id for item in listed if item["infusion"].start_time is not None]
    assert timed == [early_c1.id, early_c2.id, late.id]
    assert {item["infusion"].id for item in listed} == {early_c1.id, early_c2.id, late.id, given.id}
    by_id = {item["infusion"].id: item for item in listed}
    assert by_id[late.id]["patient"].given_name == "Ann" and by_id[late.id]["chair"] == "C1"
    assert by_id[given.id]["chair"] is None


def _booked_course(session) -> Infusion:
    pid = patient_with_regimen(session, today=TODAY, starts_on=TODAY - timedelta(days=28))
    return infusions.book_infusion(
        session,
        actor=SYSTEM,
        patient_id=pid,
        today=TODAY,
        data=InfusionCreate(scheduled_on=TODAY, start_time=time(9, 30), chair="C1"),
    )


def test_the_log_form_starts_from_the_regimens_dose_product_and_vial_plan(session):
    course = _booked_course(session)
    filled = nurse_log.prefill(session, infusion=course)
    assert filled["dose_g"] == 70 and filled["product_code"] == "privigen"
    assert filled["lots"] and sum(lot["vials"] * lot["size_g"] for lot in filled["lots"]) >= 70


def test_a_course_with_no_regimen_or_product_starts_the_form_blank(session):
    course = rows.book(session, rows.add_patient(session, "N-9"), TODAY)
    assert nurse_log.prefill(session, infusion=course) == {
        "dose_g": None,
        "product_code": "",
        "lots": [],
    }


def test_logging_records_the_course_given_and_its_scores_linked_to_it(session):
    course = _booked_course(session)
    score = AssessmentCreate(
        taken_on=TODAY, measure="grip_vigorimeter", side="right", value=62, timing="pre_infusion"
    )
    logged = nurse_log.log_course(
        session,
        actor=SYSTEM,
        infusion_id=course.id,
        today=TODAY,
        given=InfusionAdminister(dose_g=70, lots=[LotInput(lot_number="P7", vials=7, size_g=10)]),
        scores=[("grip_right", score)],
    )
    session.expire_all()
    assert session.get(Infusion, logged.id).status == "given"
    recorded = session.exec(select(Assessment).where(Assessment.infusion_id == course.id)).all()
    assert [(a.measure, a.side, a.value) for a in recorded] == [("grip_vigorimeter", "right", 62)]


def test_a_refused_score_names_the_form_field_it_came_from(session):
    course = _booked_course(session)
    too_strong = AssessmentCreate(
        taken_on=TODAY, measure="grip_vigorimeter", side="left", value=999, timing="pre_infusion"
    )
    with pytest.raises(Invalid) as refused:
        nurse_log.log_course(
            session,
            actor=SYSTEM,
            infusion_id=course.id,
            today=TODAY,
            given=InfusionAdminister(
                dose_g=70,
                confirm_lot_total=True,
                lots=[LotInput(lot_number="P1", vials=2, size_g=40)],
            ),
            scores=[("grip_left", too_strong)],
        )
    assert refused.value.field == "grip_left"
