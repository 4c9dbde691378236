"""Accepting (a new regimen) or dismissing (remembered per regimen) the recommended action."""

from datetime import date
from typing import Any

from sqlmodel import Session

from tracker.rules import (
    DosingError,
    Recommendation,
    RegimenFact,
    intensity_g_per_kg_28d,
    vial_plan,
)
from tracker.rules.prescription import accepted_regimen, carried_override_reason
from tracker.rules.vocabulary import Action, Decision
from tracker.rules.window import due_window, last_course_for_window
from tracker.schemas.treatment import RegimenCreate
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.errors import Conflict
from tracker.services.evaluation import evaluate_patient, refresh_state
from tracker.services.infusions import last_given_on
from tracker.services.patients import get_patient
from tracker.services.policy import load_policy
from tracker.services.regimens import (
    calculate_for,
    create_regimen,
    get_regimen,
    product_by_code,
)
from tracker.store.ids import stored_id
from tracker.store.models import Product, RecommendationDecision, Regimen


def _current(session: Session, *, patient_id: int, on: date) -> tuple[Recommendation, Regimen]:
    evaluation = evaluate_patient(session, patient_id=patient_id, on=on)
    if evaluation.recommendation is None or evaluation.regimen_id is None:
        raise Conflict("there is no recommended action for this patient", field="action")
    return evaluation.recommendation, get_regimen(session, evaluation.regimen_id)


def _proposal(
    session: Session, *, patient_id: int, on: date
) -> tuple[Recommendation, Regimen, RegimenCreate]:
    """The recommended action, the regimen it changes, and the regimen accepting it writes."""
    recommendation, regimen = _current(session, patient_id=patient_id, on=on)
    if recommendation.action == Action.MAX_DOSE_REACHED:
        raise Conflict(
            "max_dose_reached proposes no new regimen: dismiss it with a reason, or write a "
            "regimen with an override reason",
            field="action",
        )
    if recommendation.action == Action.CONSIDER_TRIAL_OFF:
        raise Conflict(
            "consider_trial_off proposes no new regimen: a trial off treatment is decided at "
            "a review (record one with outcome stop, which puts the patient on hold), or "
            "dismiss it with a reason",
            field="action",
        )
    product = session.get(Product, regimen.product_id) if regimen.product_id else None
    proposed = accepted_regimen(
        RegimenFact(
            stored_id(regimen),
            regimen.starts_on,
            regimen.dose_g_per_kg,
            regimen.interval_days,
            route=regimen.route,
        ),
        recommendation,
        accepted_on=on,
    )
    patient = get_patient(session, patient_id)
    policy = load_policy(session).with_patient_bounds(
        patient.min_interval_days, patient.max_interval_days
    )
    data = RegimenCreate(
        starts_on=proposed.starts_on,
        dose_g_per_kg=proposed.dose_g_per_kg,
        interval_days=proposed.interval_days,
        days_per_course=regimen.days_per_course,
        product_code=product.code if product else None,
        weight_basis=regimen.weight_basis,
        route=regimen.route,
        reason=recommendation.reason[:500],
        override_reason=carried_override_reason(
            proposed, current_override_reason=regimen.override_reason, policy=policy
        ),
    )
    return recommendation, regimen, data


def acceptance_preview(session: Session, *, patient_id: int, on: date) -> dict[str, Any]:
    """What accepting would write, shown before it is saved: the regimen, its dose in grams
    on the current weight, the vials, the intensity and the next due day."""
    recommendation, _regimen, data = _proposal(session, patient_id=patient_id, on=on)
    patient = get_patient(session, patient_id)
    policy = load_policy(session).with_patient_bounds(
        patient.min_interval_days, patient.max_interval_days
    )
    calc = calculate_for(
        session,
        patient=patient,
        dose_g_per_kg=data.dose_g_per_kg,
        days_per_course=data.days_per_course,
        weight_basis=data.weight_basis,
        day=on,
        policy=policy,
    )
    product = product_by_code(session, data.product_code)
    try:
        plan = vial_plan(calc.dose_g, product.vial_sizes) if product else None
    except DosingError:
        plan = None
    fact = RegimenFact(0, data.starts_on, data.dose_g_per_kg, data.interval_days)
    last = last_course_for_window(
        regimen=fact,
        last_given_on=last_given_on(session, patient_id=patient_id, on=on),
        resumed_on=patient.resumed_on,
        on=on,
    )
    due = due_window(regimen=fact, last_given_on=last, policy=policy)
    return {
        "action": recommendation.action,
        "reason": recommendation.reason,
        "data": data,
        "calc": calc,
        "product": product,
        "plan": plan,
        "intensity": intensity_g_per_kg_28d(data.dose_g_per_kg, data.interval_days),
        "due": due,
    }


def accept_recommendation(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    on: date,
    today: date,
    expected: tuple[float, int] | None = None,
) -> Regimen:
    """Accept the recommended action: a new regimen from `on` with the proposed values.

    `expected` is the (g/kg, interval) the person saw in the preview: if the proposal has
    changed since, nothing is saved (Conflict) and the new proposal must be looked at.
    """
    recommendation, regimen, data = _proposal(session, patient_id=patient_id, on=on)
    if expected is not None and (
        abs(expected[0] - data.dose_g_per_kg) > 1e-9 or expected[1] != data.interval_days
    ):
        raise Conflict(
            "the recommendation changed since it was shown: look at the new "
            "regimen and confirm again",
            field="action",
        )
    new = create_regimen(
        session,
        actor=actor,
        patient_id=patient_id,
        data=data,
        today=today,
        from_action=recommendation.action,
    )
    session.add(
        RecommendationDecision(
            patient_id=patient_id,
            regimen_id=stored_id(regimen),
            action=recommendation.action,
            decision=Decision.ACCEPTED,
            reason=recommendation.reason[:1000],
            new_regimen_id=new.id,
            decided_by_id=actor.id,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="recommendation.accept",
        entity="regimen",
        entity_id=new.id,
        patient_id=patient_id,
        changes={"action": recommendation.action, "from_regimen_id": regimen.id},
    )
    session.flush()
    return new


def dismiss_recommendation(
    session: Session, *, actor: Actor, patient_id: int, reason: str, today: date
) -> RecommendationDecision:
    """Dismiss the recommended action; it is not raised again for the current regimen."""
    recommendation, regimen = _current(session, patient_id=patient_id, on=today)
    decision = RecommendationDecision(
        patient_id=patient_id,
        regimen_id=stored_id(regimen),
        action=recommendation.action,
        decision=Decision.DISMISSED,
        reason=reason,
        decided_by_id=actor.id,
    )
    session.add(decision)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="recommendation.dismiss",
        entity="recommendation_decision",
        entity_id=decision.id,
        patient_id=patient_id,
        changes={"action": recommendation.action, "regimen_id": regimen.id, "reason": reason},
    )
    refresh_state(session, patient_id=patient_id, today=today)
    return decision
