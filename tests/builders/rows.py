"""Rows written straight through the table models: quick, and no service checks in the way."""

from datetime import date, time

from sqlmodel import Session, select

from tracker.store.models import Chair, Infusion, Patient, Regimen, Weight


def add_patient(
    session: Session,
    mrn: str,
    *,
    given: str = "Ann",
    family: str = "Lee",
    email: str | None = "ann.lee@example.org",
    consent: bool = True,
    status: str = "active",
    regimen_from: date | None = None,
    interval_days: int = 28,
) -> Patient:
    """A patient (with a 1 g/kg regimen and a weight when `regimen_from` is given)."""
    patient = Patient(
        mrn=mrn,
        given_name=given,
        family_name=family,
        birth_date=date(1968, 4, 2),
        sex="female",
        height_cm=165,
        email=email,
        reminder_consent=consent,
        status=status,
    )
    session.add(patient)
    session.flush()
    if regimen_from is not None:
        session.add(Weight(patient_id=patient.id, measured_on=regimen_from, weight_kg=70))
        session.add(
            Regimen(
                patient_id=patient.id,
                starts_on=regimen_from,
                dose_g_per_kg=1.0,
                interval_days=interval_days,
                dose_g=70,
                dosing_weight_kg=70,
            )
        )
        session.flush()
    return patient


def chair(session: Session, code: str = "C1") -> Chair:
    """A seeded chair by code."""
    return session.exec(select(Chair).where(Chair.code == code)).one()


def book(
    session: Session,
    patient: Patient,
    day: date,
    *,
    start: time | None = time(9, 30),
    chair_code: str | None = "C1",
    minutes: int = 180,
    days: int = 1,
) -> Infusion:
    """A booked course."""
    infusion = Infusion(
        patient_id=patient.id,
        scheduled_on=day,
        start_time=start,
        chair_id=chair(session, chair_code).id if chair_code else None,
        chair_minutes=minutes,
        days=days,
        status="booked",
    )
    session.add(infusion)
    session.flush()
    return infusion


def give(session: Session, patient: Patient, day: date) -> Infusion:
    """A course given on `day`."""
    infusion = Infusion(patient_id=patient.id, scheduled_on=day, status="given", dose_g=70)
    session.add(infusion)
    session.flush()
    return infusion
