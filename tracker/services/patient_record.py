"""Everything shown on a patient's page, read in a handful of queries."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from tracker.rules import Evaluation, evaluate
from tracker.services import assessments as assessment_service
from tracker.services import infusions as infusion_service
from tracker.services import patients as patient_service
from tracker.services import regimens as regimen_service
from tracker.services.evaluation import load_facts
from tracker.services.policy import load_policy
from tracker.store.models import Assessment, Patient, Product, Review, Weight


@dataclass
class PatientRecord:
    """A patient with their whole history and today's evaluation."""

    patient: Patient
    evaluation: Evaluation
    regimens: list[dict]
    current_regimen: dict | None
    courses: list[dict]
    scores: list[Assessment]
    reviews: list[Review]
    weights: list[Weight]
    products: dict[str, str]


def patient_record(session: Session, *, patient_id: int, today: date) -> PatientRecord:
    """A patient's record for their page."""
    patient = patient_service.get_patient(session, patient_id)
    facts = load_facts(session, [patient])[patient_id]
    evaluation = evaluate(facts, on=today, policy=load_policy(session))
    regimens = [regimen_service.regimen_view(session, r)
                for r in regimen_service.regimens(session, patient_id=patient_id)]
    current = next((r for r in regimens if r["id"] == evaluation.regimen_id), None)
    courses = infusion_service.infusion_views(
        session, infusion_service.infusions(session, patient_id=patient_id))
    return PatientRecord(
        patient=patient,
        evaluation=evaluation,
        regimens=regimens,
        current_regimen=current,
        courses=courses,
        scores=assessment_service.assessments(session, patient_id=patient_id),
        reviews=assessment_service.reviews(session, patient_id=patient_id),
        weights=patient_service.weights(session, patient_id=patient_id),
        products={p.code: p.name for p in session.exec(select(Product))},
    )
