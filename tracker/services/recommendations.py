"""Accepting (a new regimen) or dismissing (remembered per regimen) the recommended action."""

from datetime import date

from sqlmodel import Session

from tracker.rules import Recommendation, RegimenFact
from tracker.rules.prescription import accepted_regimen, carried_override_reason
from tracker.rules.vocabulary import Action, Decision
from tracker.schemas.treatment import RegimenCreate
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.errors import Conflict
from tracker.services.evaluation import evaluate_patient, refresh_state
from tracker.services.patients import get_patient
from tracker.services.policy import load_policy
from tracker.services.regimens import create_regimen, get_regimen
from tracker.store.ids import stored_id
from tracker.store.models import Product, RecommendationDecision, Regimen


def _current(session: Session, *, patient_id: int, on: date) -> tuple[Recommendation, Regimen]:
    evaluation = evaluate_patient(session, patient_id=patient_id, on=on)
    if evaluation.recommendation is None or evaluation.regimen_id is None:
        raise Conflict("there is no recommended action for this patient", field="action")
    return evaluation.recommendation, get_regimen(session, evaluation.regimen_id)


def accept_recommendation(
    session: Session, *, actor: Actor, patient_id: int, on: date, today: date
) -> Regimen:
    """Accept the recommended action: a new regimen from `on` with the proposed values."""
    recommendation, regimen = _current(session, patient_id=patient_id, on=on)
    if recommendation.action == Action.MAX_DOSE_REACHED:
        raise Conflict(
            "max_dose_reached proposes no new regimen: dismiss it with a reason, or write a "
            "regimen with an override reason", field="action")
    if recommendation.action == Action.CONSIDER_TRIAL_OFF:
        raise Conflict(
            "consider_trial_off proposes no new regimen: a trial off treatment is decided at "
            "a review (record one with outcome stop, which puts the patient on hold), or "
            "dismiss it with a reason", field="action")
    product = session.get(Product, regimen.product_id) if regimen.product_id else None
    proposed = accepted_regimen(
        RegimenFact(stored_id(regimen), regimen.starts_on, regimen.dose_g_per_kg,
                    regimen.interval_days),
        recommendation, accepted_on=on)
    patient = get_patient(session, patient_id)
    policy = load_policy(session).with_patient_bounds(patient.min_interval_days,
                                                      patient.max_interval_days)
    data = RegimenCreate(
        starts_on=proposed.starts_on,
        dose_g_per_kg=proposed.dose_g_per_kg,
        interval_days=proposed.interval_days,
        days_per_course=regimen.days_per_course,
        product_code=product.code if product else None,
        weight_basis=regimen.weight_basis,
        reason=recommendation.reason[:500],
        override_reason=carried_override_reason(
            proposed, current_override_reason=regimen.override_reason, policy=policy),
    )
    new = create_regimen(session, actor=actor, patient_id=patient_id, data=data, today=today,
                         from_action=recommendation.action)
    session.add(RecommendationDecision(
        patient_id=patient_id, regimen_id=stored_id(regimen), action=recommendation.action,
        decision=Decision.ACCEPTED, reason=recommendation.reason[:1000], new_regimen_id=new.id,
        decided_by_id=actor.id,
    ))
    audit.record(session, actor=actor, action="recommendation.accept", entity="regimen",
                 entity_id=new.id, patient_id=patient_id,
                 changes={"action": recommendation.action, "from_regimen_id": regimen.id})
    session.flush()
    return new


def dismiss_recommendation(
    session: Session, *, actor: Actor, patient_id: int, reason: str, today: date
) -> RecommendationDecision:
    """Dismiss the recommended action; it is not raised again for the current regimen."""
    recommendation, regimen = _current(session, patient_id=patient_id, on=today)
    decision = RecommendationDecision(
        patient_id=patient_id, regimen_id=stored_id(regimen), action=recommendation.action,
        decision=Decision.DISMISSED, reason=reason, decided_by_id=actor.id,
    )
    session.add(decision)
    session.flush()
    audit.record(session, actor=actor, action="recommendation.dismiss",
                 entity="recommendation_decision", entity_id=decision.id,
                 patient_id=patient_id,
                 changes={"action": recommendation.action, "regimen_id": regimen.id,
                          "reason": reason})
    refresh_state(session, patient_id=patient_id, today=today)
    return decision
