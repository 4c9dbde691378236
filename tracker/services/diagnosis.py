"""Diagnostic assessments: recording one, and reading the latest classified on a day."""

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, literal
from sqlmodel import Session, select

from tracker.rules.diagnosis import (
    FINDINGS,
    IMPROVEMENT_TO_DAYS,
    Diagnosis,
    Findings,
    ScoreReading,
    diagnose,
)
from tracker.rules.facts import GIVEN
from tracker.rules.plausibility import ImplausibleEntry, Life, check_day_in_life
from tracker.rules.wording import date_text
from tracker.schemas.diagnosis import DiagnosisCreate
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.errors import Invalid
from tracker.services.patients import get_patient
from tracker.store.models import Assessment, DiagnosticAssessment, Infusion, StaffUser

# Scores from home (clinical rules 10) are their own series; until the assessment table has a
# source column, every score is a clinic one.
_SCORE_SOURCE = getattr(Assessment, "source", None)


def record_diagnosis(
    session: Session, *, actor: Actor, patient_id: int, data: DiagnosisCreate, today: date
) -> DiagnosticAssessment:
    """Record a diagnostic assessment: its days within the patient's life, the onset on or
    before the assessment and the first course given."""
    patient = get_patient(session, patient_id)
    life = Life(born_on=patient.birth_date, today=today)
    try:
        check_day_in_life(data.assessed_on, life=life, field="assessed_on")
        if data.diagnosis_on is not None:
            check_day_in_life(data.diagnosis_on, life=life, field="diagnosis_on")
        if data.symptom_onset_on is not None:
            check_day_in_life(data.symptom_onset_on, life=life, field="symptom_onset_on")
    except ImplausibleEntry as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    if data.symptom_onset_on is not None:
        if data.symptom_onset_on > data.assessed_on:
            raise Invalid("symptom_onset_on is after assessed_on", field="symptom_onset_on")
        first_course_on = _first_course_on(session, patient_id)
        # The delay from onset to the first IVIG is shown (clinical rules 7): an onset after
        # treatment began would show a negative delay and derive the duration of weakness
        # from the wrong day.
        if first_course_on is not None and data.symptom_onset_on > first_course_on:
            raise Invalid(
                f"symptom_onset_on {date_text(data.symptom_onset_on)} is after the first "
                f"IVIG course, given on {date_text(first_course_on)}: the symptoms began "
                "before treatment",
                field="symptom_onset_on",
            )
    row = DiagnosticAssessment(patient_id=patient_id, assessed_by_id=actor.id, **data.model_dump())
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="diagnosis.create",
        entity="diagnostic_assessment",
        entity_id=row.id,
        patient_id=patient_id,
        changes=data.model_dump(),
    )
    return row


def latest_assessment(session: Session, *, patient_id: int) -> DiagnosticAssessment | None:
    """The patient's latest diagnostic assessment (by day, then as recorded), or None."""
    return session.exec(
        select(DiagnosticAssessment)
        .where(DiagnosticAssessment.patient_id == patient_id)
        .order_by(DiagnosticAssessment.assessed_on.desc(), DiagnosticAssessment.id.desc())
        .limit(1)
    ).first()


def _first_course_on(session: Session, patient_id: int) -> date | None:
    return session.exec(
        select(func.min(Infusion.scheduled_on)).where(
            Infusion.patient_id == patient_id, Infusion.status == GIVEN
        )
    ).one()


def classify(session: Session, row: DiagnosticAssessment, *, on: date) -> Diagnosis:
    """The assessment classified on `on`: improvement after IVIG derived from scores to then."""
    first_course_on = _first_course_on(session, row.patient_id)
    scores: list[ScoreReading] = []
    if first_course_on is not None and first_course_on <= on:
        # Only scores up to 6 weeks after the first course can take part.
        last = min(on, first_course_on + timedelta(days=IMPROVEMENT_TO_DAYS))
        source = _SCORE_SOURCE if _SCORE_SOURCE is not None else literal("clinic")
        rows = session.exec(
            select(  # type: ignore[call-overload]  # SQLModel's select() is typed for 4 columns
                Assessment.taken_on, Assessment.measure, Assessment.side, Assessment.value, source
            )
            .where(Assessment.patient_id == row.patient_id, Assessment.taken_on <= last)
            .order_by(Assessment.taken_on, Assessment.id)
        ).all()
        scores = [ScoreReading(*r) for r in rows]
    return diagnose(
        recorded_findings(row),
        assessed_on=row.assessed_on,
        symptom_onset_on=row.symptom_onset_on,
        first_course_on=first_course_on,
        scores=scores,
        on=on,
    )


def recorded_findings(row: DiagnosticAssessment) -> Findings:
    """The findings as a person recorded them."""
    return Findings(**{name: getattr(row, name) for name in FINDINGS})


def diagnosis_view(session: Session, row: DiagnosticAssessment, *, on: date) -> dict[str, Any]:
    """The assessment and its classification on `on`, in the API's shape."""
    result = classify(session, row, on=on)
    staff = session.get(StaffUser, row.assessed_by_id) if row.assessed_by_id else None
    return {
        "id": row.id,
        "patient_id": row.patient_id,
        "on": on,
        "assessed_on": row.assessed_on,
        "assessed_by": {"id": staff.id, "username": staff.username, "full_name": staff.full_name}
        if staff
        else None,
        "symptom_onset_on": row.symptom_onset_on,
        "diagnosis_on": row.diagnosis_on,
        "notes": row.notes,
        "created_at": row.created_at,
        "classification": result.classification,
        "possible": list(result.possible),
        "unknown": list(result.unknown),
        "improved_after_ivig_source": result.improved_after_ivig_source,
        "weakness_over_1_month_source": result.weakness_over_1_month_source,
        "findings": asdict(recorded_findings(row)),
        "findings_used": asdict(result.findings),
        "derived": {
            "weakness_over_1_month": result.derived_weakness_over_1_month,
            "improved_after_ivig": result.derived_improved_after_ivig,
        },
        "first_course_on": result.first_course_on,
        "onset_to_first_course_days": result.onset_to_first_course_days,
        "criteria": [asdict(c) for c in result.criteria],
    }


def latest_diagnosis(session: Session, *, patient_id: int, on: date) -> dict[str, Any] | None:
    """The latest assessment classified on `on`, or None when there is none."""
    row = latest_assessment(session, patient_id=patient_id)
    return diagnosis_view(session, row, on=on) if row is not None else None
