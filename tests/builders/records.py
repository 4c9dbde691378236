"""Rows written through the services, as the API would: checked, audited, evaluated."""

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlmodel import Session

from tests.opening_days import open_every_day
from tracker.schemas.authorizations import AuthorizationCreate
from tracker.schemas.diagnosis import DiagnosisCreate
from tracker.schemas.patients import PatientCreate, WeightCreate
from tracker.schemas.scores import AssessmentCreate, ReviewCreate
from tracker.schemas.treatment import InfusionCreate, LotInput, RegimenCreate
from tracker.services import (
    assessments,
    authorizations,
    diagnosis,
    infusions,
    patients,
    regimens,
    staff,
    staff_admin,
)
from tracker.services.actors import SYSTEM
from tracker.store.models import OutboxMessage


@dataclass
class History:
    """Ids of what was written."""

    patient_id: int
    regimen_ids: list[int]
    given_ids: list[int]
    booked_id: int
    cancelled_id: int
    missed_id: int


def patient_with_regimen(
    session: Session,
    *,
    today: date,
    starts_on: date,
    mrn: str = "SVC-1",
    weight_kg: float = 70,
    interval_days: int = 28,
    email: str | None = "ann@example.org",
) -> int:
    """A patient weighed the day before `starts_on` (or today, if earlier) with a 1 g/kg
    regimen from `starts_on`; the patient's id."""
    patient = patients.create_patient(
        session,
        actor=SYSTEM,
        today=today,
        data=PatientCreate(
            mrn=mrn,
            given_name="Ann",
            family_name="Lee",
            birth_date=date(1965, 2, 3),
            sex="male",
            height_cm=178,
            email=email,
            reminder_consent=email is not None,
        ),
    )
    patients.add_weight(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=WeightCreate(
            measured_on=min(starts_on, today) - timedelta(days=1), weight_kg=weight_kg
        ),
    )
    regimens.create_regimen(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=RegimenCreate(
            starts_on=starts_on,
            dose_g_per_kg=1.0,
            interval_days=interval_days,
            product_code="privigen",
            reason="maintenance",
        ),
    )
    return patient.id


def give(
    session: Session,
    patient_id: int,
    day: date,
    *,
    today: date,
    lots=None,
    dose_g: float = 70,
    reactions: str | None = None,
    chair: str | None = None,
    start: time | None = None,
    product_code: str | None = None,
) -> int:
    """A course recorded as given; its id."""
    lots = (
        lots
        if lots is not None
        else [LotInput(lot_number="P100", vials=7, size_g=10, expires_on=day + timedelta(days=300))]
    )
    return infusions.book_infusion(
        session,
        actor=SYSTEM,
        patient_id=patient_id,
        today=today,
        data=InfusionCreate(
            scheduled_on=day,
            status="given",
            dose_g=dose_g,
            lots=lots,
            reactions=reactions,
            chair=chair,
            start_time=start,
            product_code=product_code,
            confirm_lot_total=True,
        ),
    ).id


def score(
    session: Session,
    patient_id: int,
    day: date,
    measure: str,
    value: float,
    timing: str = "pre_infusion",
    side: str | None = None,
    *,
    today: date,
    infusion_id: int | None = None,
) -> int:
    """A recorded score; its id."""
    return assessments.record_assessment(
        session,
        actor=SYSTEM,
        patient_id=patient_id,
        today=today,
        data=AssessmentCreate(
            taken_on=day,
            measure=measure,
            side=side,
            value=value,
            timing=timing,
            infusion_id=infusion_id,
        ),
    ).id


def patient_with_history(
    session: Session,
    *,
    today: date,
    mrn: str = "INT-1",
    given_name: str = "Ann Marie",
    family_name: str = "Lee",
    email: str | None = "ann@example.org",
) -> History:
    """Four courses 28 days apart ending a week before `today`, scores of every kind, a
    booking in a chair, a cancelled and a missed course."""
    first = today - timedelta(days=7 + 28 * 3)
    patient = patients.create_patient(
        session,
        actor=SYSTEM,
        today=today,
        data=PatientCreate(
            mrn=mrn,
            given_name=given_name,
            family_name=family_name,
            birth_date=date(1961, 5, 6),
            sex="male",
            height_cm=178,
            email=email,
            reminder_consent=True,
        ),
    )
    pid = patient.id
    patients.add_weight(
        session,
        actor=SYSTEM,
        patient_id=pid,
        today=today,
        data=WeightCreate(measured_on=first - timedelta(days=30), weight_kg=70),
    )
    regimen = regimens.create_regimen(
        session,
        actor=SYSTEM,
        patient_id=pid,
        today=today,
        data=RegimenCreate(
            starts_on=first,
            dose_g_per_kg=1.0,
            interval_days=28,
            product_code="privigen",
            reason="maintenance",
        ),
    )
    given = [
        give(
            session,
            pid,
            first + timedelta(days=28 * k),
            today=today,
            reactions="headache" if k == 1 else None,
        )
        for k in range(4)
    ]
    score(
        session,
        pid,
        first - timedelta(days=20),
        "grip_vigorimeter",
        40,
        "clinic",
        "right",
        today=today,
    )
    score(
        session,
        pid,
        first,
        "grip_vigorimeter",
        42,
        "pre_infusion",
        "right",
        today=today,
        infusion_id=given[0],
    )
    score(
        session,
        pid,
        first + timedelta(days=56),
        "grip_vigorimeter",
        55,
        "pre_infusion",
        "right",
        today=today,
        infusion_id=given[2],
    )
    score(session, pid, first, "grip_dynamometer", 30, "pre_infusion", "left", today=today)
    score(session, pid, first, "grip_dynamometer", 25, "pre_infusion", "right", today=today)
    score(session, pid, first, "mrc_sum", 50, "clinic", today=today)
    score(session, pid, first, "rods", 60, "clinic", today=today)
    score(session, pid, first, "incat", 4, "clinic", today=today)
    score(session, pid, first + timedelta(days=84), "incat", 2, "clinic", today=today)
    score(session, pid, first, "onls", 5, "clinic", today=today)
    score(session, pid, first + timedelta(days=20), "wear_off_day", 21, "clinic", today=today)
    assessments.record_review(
        session,
        actor=SYSTEM,
        patient_id=pid,
        today=today,
        data=ReviewCreate(reviewed_on=first + timedelta(days=60), outcome="continue"),
    )
    open_every_day(session)  # the fixed days of these tests fall on weekends too
    booked = infusions.book_infusion(
        session,
        actor=SYSTEM,
        patient_id=pid,
        today=today,
        data=InfusionCreate(
            scheduled_on=today + timedelta(days=21), start_time=time(9, 30), chair="C1"
        ),
    )
    cancelled = infusions.book_infusion(
        session,
        actor=SYSTEM,
        patient_id=pid,
        today=today,
        data=InfusionCreate(
            scheduled_on=today + timedelta(days=2), start_time=time(13, 0), chair="C2"
        ),
    )
    infusions.cancel_infusion(
        session, actor=SYSTEM, infusion_id=cancelled.id, reason="patient unwell", today=today
    )
    missed = infusions.book_infusion(
        session,
        actor=SYSTEM,
        patient_id=pid,
        today=today,
        data=InfusionCreate(scheduled_on=today, chair="C3"),
    )
    infusions.cancel_infusion(
        session,
        actor=SYSTEM,
        infusion_id=missed.id,
        reason="did not attend",
        today=today,
        status="missed",
    )
    session.flush()
    return History(
        patient_id=pid,
        regimen_ids=[regimen.id],
        given_ids=given,
        booked_id=booked.id,
        cancelled_id=cancelled.id,
        missed_id=missed.id,
    )


@dataclass
class World:
    """Real rows for every kind of id a route takes."""

    patient_id: int
    infusion_id: int  # booked
    given_infusion_id: int
    message_id: int
    user_id: int
    token_id: int
    authorization_id: int = 0

    def ids(self) -> dict:
        """Path parameters by name."""
        return {
            "patient_id": self.patient_id,
            "infusion_id": self.infusion_id,
            "message_id": self.message_id,
            "user_id": self.user_id,
            "token_id": self.token_id,
            "authorization_id": self.authorization_id,
        }


def build_world(
    session, *, given_name="Ann", family_name="Lee", today: date | None = None
) -> World:
    """A patient with a weight, a regimen, a booked and a given course, a score, a review, a
    diagnostic assessment, a funding authorisation, an e-mail in the outbox, and a staff
    account with an integration token."""
    today = today or date.today()
    patient = patients.create_patient(
        session,
        actor=SYSTEM,
        today=today,
        data=PatientCreate(
            mrn="SEC-1",
            given_name=given_name,
            family_name=family_name,
            birth_date=date(1961, 5, 6),
            sex="female",
            height_cm=165,
            email="ann@example.org",
        ),
    )
    patients.add_weight(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=WeightCreate(measured_on=today - timedelta(days=40), weight_kg=70),
    )
    regimens.create_regimen(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=RegimenCreate(
            starts_on=today - timedelta(days=30),
            dose_g_per_kg=1,
            interval_days=28,
            product_code="privigen",
            reason="maintenance",
        ),
    )
    given = infusions.book_infusion(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=InfusionCreate(
            scheduled_on=today - timedelta(days=30),
            status="given",
            dose_g=70,
            product_code="privigen",
            lots=[LotInput(lot_number="P1", vials=2, size_g=40)],
            confirm_lot_total=True,
        ),
    )
    open_every_day(session)  # booked today, whatever day today is
    booked = infusions.book_infusion(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=InfusionCreate(scheduled_on=today),
    )
    assessments.record_assessment(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=AssessmentCreate(
            taken_on=today - timedelta(days=30),
            side="right",
            measure="grip_vigorimeter",
            value=70,
            timing="pre_infusion",
        ),
    )
    assessments.record_review(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=ReviewCreate(reviewed_on=today - timedelta(days=2), outcome="continue"),
    )
    diagnosis.record_diagnosis(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=DiagnosisCreate(
            assessed_on=today - timedelta(days=1),
            symptom_onset_on=today - timedelta(days=90),
            weak_nerves=2,
            notes="Wrist drop",
        ),
    )
    authorization = authorizations.create_authorization(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=AuthorizationCreate(
            payer="NHS England",
            reference="SEC-PA-1",
            starts_on=today - timedelta(days=60),
            ends_on=today + timedelta(days=300),
            approved_g=1000,
            approved_courses=12,
        ),
    )
    message = OutboxMessage(
        dedup_key="security-test",
        kind="infusion_reminder",
        patient_id=patient.id,
        to_address="ann@example.org",
        subject=f"Reminder for {given_name} {family_name}",
        body_text="Your infusion",
        status="pending",
    )
    session.add(message)
    account = staff.create_user(
        session,
        actor=SYSTEM,
        username="lab.system",
        role="viewer",
        password=staff_admin.new_random_password(),
    )
    _token, row = staff_admin.issue_integration_token(
        session, actor=SYSTEM, user_id=account.id, name="lab", days=30
    )
    session.commit()
    return World(
        patient_id=patient.id,
        infusion_id=booked.id,
        given_infusion_id=given.id,
        message_id=message.id,
        user_id=account.id,
        token_id=row.id,
        authorization_id=authorization.id,
    )


def home_visit(session: Session, *, today: date, nurse: str = "vera.visits") -> int:
    """A nurse account, a patient with a home address and a regimen, and a home visit of
    that nurse booked today at 09:00 (so this week's page shows one); the visit's id."""
    from tracker.store.models import StaffUser

    session.add(StaffUser(username=nurse, role="nurse", full_name="Vera Visits", password_hash="!"))
    patient = patients.create_patient(
        session,
        actor=SYSTEM,
        today=today,
        data=PatientCreate(
            mrn="HOME-1",
            given_name="Hana",
            family_name="Homeward",
            birth_date=date(1958, 3, 9),
            sex="female",
            height_cm=160,
            address_line1="12 Elm Street",
            address_line2="Flat 4, Riverside Court",
            postcode="AB1 2CD",
        ),
    )
    patients.add_weight(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=WeightCreate(measured_on=today - timedelta(days=40), weight_kg=62),
    )
    regimens.create_regimen(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=RegimenCreate(
            starts_on=today - timedelta(days=30),
            dose_g_per_kg=1,
            interval_days=28,
            product_code="privigen",
            reason="maintenance",
        ),
    )
    open_every_day(session)  # booked today, whatever day today is
    visit = infusions.book_infusion(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=InfusionCreate(
            scheduled_on=today, start_time=time(9, 0), site="home_nurse", nurse=nurse
        ),
    )
    session.flush()
    return visit.id
