"""Scores and reviews."""

from datetime import date
from typing import Any

from sqlmodel import Session, select

from tracker.rules import MEASURES, ScoreError, validate_score
from tracker.rules.plausibility import ImplausibleEntry, Life, check_day_in_life
from tracker.schemas.scores import AssessmentCreate, ReviewCreate
from tracker.services import audit, plain_sql
from tracker.services.actors import Actor
from tracker.services.errors import Invalid
from tracker.services.evaluation import refresh_state
from tracker.services.patients import get_patient, life_of, put_on_hold_after_review
from tracker.store.models import Assessment, Infusion, Review


def record_assessment(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    data: AssessmentCreate,
    today: date,
    refresh: bool = True,
) -> Assessment:
    """Record one score, checked against its measure's unit, range and side rules, on a
    day within the patient's life."""
    life = life_of(session, patient_id, today=today)
    try:
        validate_score(data.measure, data.side, data.value)
        check_day_in_life(data.taken_on, life=life, field="taken_on")
    except ScoreError as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    except ImplausibleEntry as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    if data.infusion_id is not None:
        infusion = session.get(Infusion, data.infusion_id)
        if infusion is None or infusion.patient_id != patient_id:
            raise Invalid("no such infusion for this patient", field="infusion_id")
    row = Assessment(patient_id=patient_id, recorded_by_id=actor.id, **data.model_dump())
    plain_sql.insert(session, row)  # the unit of work's flush cost more than the INSERT
    audit.record(
        session,
        actor=actor,
        action="assessment.create",
        entity="assessment",
        entity_id=row.id,
        patient_id=patient_id,
        changes=data.model_dump(),
    )
    if refresh:
        refresh_state(session, patient_id=patient_id, today=today)
    return row


def assessment_view(row: Assessment) -> dict[str, Any]:
    """A score with its unit."""
    measure = MEASURES.get(row.measure)
    return {
        **row.model_dump(
            include={
                "id",
                "patient_id",
                "taken_on",
                "measure",
                "side",
                "value",
                "timing",
                "infusion_id",
                "source",
            }
        ),
        "unit": measure.unit if measure else "",
    }


def assessments(session: Session, *, patient_id: int) -> list[Assessment]:
    """A patient's scores, oldest first."""
    return list(
        session.exec(
            select(Assessment)
            .where(Assessment.patient_id == patient_id)
            .order_by(Assessment.taken_on, Assessment.id)
        ).all()
    )


def record_review(
    session: Session, *, actor: Actor, patient_id: int, data: ReviewCreate, today: date
) -> Review:
    """Record a formal review of the treatment, on a day within the patient's life."""
    patient = get_patient(session, patient_id)
    try:
        check_day_in_life(
            data.reviewed_on,
            life=Life(born_on=patient.birth_date, today=today),
            field="reviewed_on",
        )
    except ImplausibleEntry as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    row = Review(patient_id=patient_id, reviewed_by_id=actor.id, **data.model_dump())
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="review.create",
        entity="review",
        entity_id=row.id,
        patient_id=patient_id,
        changes=data.model_dump(),
    )
    put_on_hold_after_review(
        session, actor=actor, patient_id=patient_id, outcome=data.outcome, today=today
    )
    refresh_state(session, patient_id=patient_id, today=today)
    return row


def reviews(session: Session, *, patient_id: int) -> list[Review]:
    """A patient's reviews, oldest first."""
    return list(
        session.exec(
            select(Review)
            .where(Review.patient_id == patient_id)
            .order_by(Review.reviewed_on, Review.id)
        ).all()
    )
