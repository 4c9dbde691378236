"""Each patient's evaluation: facts loaded in batches, the rules asked, the state stored."""

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from tracker.rules import (
    CourseFact,
    Evaluation,
    PatientFacts,
    RegimenFact,
    ScoreFact,
    SitePolicy,
    evaluate,
)
from tracker.services.errors import NotFound
from tracker.services.policy import load_policy
from tracker.store.models import (
    Assessment,
    Infusion,
    Patient,
    PatientState,
    RecommendationDecision,
    Regimen,
    Review,
    Weight,
)
from tracker.store.types import utcnow

SWEEP_BATCH = 500


def load_facts(session: Session, patients: Sequence[Patient]) -> dict[int, PatientFacts]:
    """The rules' facts for several patients, in one query per table."""
    ids = [p.id for p in patients]
    regimens: dict[int, list[RegimenFact]] = defaultdict(list)
    for row in session.exec(
        select(Regimen.patient_id, Regimen.id, Regimen.starts_on, Regimen.dose_g_per_kg,
               Regimen.interval_days).where(Regimen.patient_id.in_(ids))
    ):
        regimens[row[0]].append(RegimenFact(id=row[1], starts_on=row[2],
                                            dose_g_per_kg=row[3], interval_days=row[4]))
    courses: dict[int, list[CourseFact]] = defaultdict(list)
    for row in session.exec(
        select(Infusion.patient_id, Infusion.id, Infusion.scheduled_on, Infusion.status).where(
            Infusion.patient_id.in_(ids), Infusion.status.in_(("booked", "given"))
        )
    ):
        courses[row[0]].append(CourseFact(id=row[1], starts_on=row[2], status=row[3]))
    scores: dict[int, list[ScoreFact]] = defaultdict(list)
    for row in session.exec(
        select(Assessment.patient_id, Assessment.taken_on, Assessment.measure, Assessment.side,
               Assessment.value, Assessment.timing).where(Assessment.patient_id.in_(ids))
    ):
        scores[row[0]].append(ScoreFact(taken_on=row[1], measure=row[2], side=row[3],
                                        value=row[4], timing=row[5]))
    reviews: dict[int, list[date]] = defaultdict(list)
    for patient_id, day in session.exec(
        select(Review.patient_id, Review.reviewed_on).where(Review.patient_id.in_(ids))
    ):
        reviews[patient_id].append(day)
    latest_weight = dict(
        session.exec(
            select(Weight.patient_id, func.max(Weight.measured_on))
            .where(Weight.patient_id.in_(ids))
            .group_by(Weight.patient_id)
        ).all()
    )
    dismissed: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for patient_id, regimen_id, action in session.exec(
        select(RecommendationDecision.patient_id, RecommendationDecision.regimen_id,
               RecommendationDecision.action).where(
            RecommendationDecision.patient_id.in_(ids),
            RecommendationDecision.decision == "dismissed",
        )
    ):
        dismissed[patient_id].add((regimen_id, action))
    return {
        p.id: PatientFacts(
            status=p.status,
            regimens=tuple(regimens[p.id]),
            courses=tuple(sorted(courses[p.id], key=lambda c: (c.starts_on, c.id))),
            scores=tuple(scores[p.id]),
            review_dates=tuple(sorted(reviews[p.id])),
            latest_weight_on=latest_weight.get(p.id),
            min_interval_days=p.min_interval_days,
            max_interval_days=p.max_interval_days,
            dismissed=frozenset(dismissed[p.id]),
        )
        for p in patients
    }


def evaluate_patient(
    session: Session, *, patient_id: int, on: date, policy: SitePolicy | None = None
) -> Evaluation:
    """The rules' evaluation of one patient on day `on`."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"no patient with id {patient_id}")
    facts = load_facts(session, [patient])[patient_id]
    return evaluate(facts, on=on, policy=policy or load_policy(session))


def refresh_state(session: Session, *, patient_id: int, today: date) -> Evaluation:
    """Re-evaluate one patient for today and store the result (after any change to them)."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"no patient with id {patient_id}")
    facts = load_facts(session, [patient])[patient_id]
    evaluation = evaluate(facts, on=today, policy=load_policy(session))
    _store(session, patient_id, evaluation, facts)
    return evaluation


def refresh_all(
    session: Session,
    *,
    today: date,
    progress: Callable[[int], None] | None = None,
    batch_size: int = SWEEP_BATCH,
    on_evaluated: Callable[[Patient, Evaluation], None] | None = None,
) -> int:
    """Re-evaluate every patient for today, streamed in batches; the number evaluated."""
    policy = load_policy(session)
    done = 0
    last_id = 0
    while True:
        patients = session.exec(
            select(Patient).where(Patient.id > last_id).order_by(Patient.id).limit(batch_size)
        ).all()
        if not patients:
            return done
        facts = load_facts(session, patients)
        states = {
            s.patient_id: s
            for s in session.exec(
                select(PatientState).where(
                    PatientState.patient_id.in_([p.id for p in patients])
                )
            )
        }
        for patient in patients:
            evaluation = evaluate(facts[patient.id], on=today, policy=policy)
            _store(session, patient.id, evaluation, facts[patient.id], states.get(patient.id))
            if on_evaluated is not None:
                on_evaluated(patient, evaluation)
        done += len(patients)
        last_id = patients[-1].id
        session.flush()
        # Never hold every patient in memory: forget this batch before the next one.
        session.expunge_all()
        if progress is not None:
            progress(done)


def _store(
    session: Session,
    patient_id: int,
    ev: Evaluation,
    facts: PatientFacts,
    state: PatientState | None = None,
) -> PatientState:
    state = state or session.get(PatientState, patient_id)
    if state is None:
        state = PatientState(patient_id=patient_id, evaluated_on=ev.on)
        session.add(state)
    waning = next((f for f in ev.flags if f.code == "waning_response"), None)
    rec = ev.recommendation
    booked_days = [c.starts_on for c in facts.courses if c.status == "booked"]
    state.status = ev.status
    state.evaluated_on = ev.on
    state.evaluated_at = utcnow()
    state.regimen_id = ev.regimen_id
    state.due_on = ev.due_on
    state.window_start = ev.window_start
    state.window_end = ev.window_end
    state.next_booking_id = ev.next_booking.id if ev.next_booking else None
    state.next_booking_on = ev.next_booking.starts_on if ev.next_booking else None
    state.last_booking_on = max(booked_days) if booked_days else None
    state.needs_booking_from = ev.needs_booking_from
    state.overdue_from = ev.overdue_from
    state.review_due_from = ev.review_due_from
    state.next_review_on = ev.next_review_on
    state.weight_stale_from = ev.weight_stale_from
    state.waning_patterns = ",".join(waning.patterns) if waning else None
    state.waning_detail = waning.detail[:1000] if waning else None
    state.recommendation_action = rec.action if rec else None
    state.proposed_interval_days = rec.proposed_interval_days if rec else None
    state.proposed_dose_g_per_kg = rec.proposed_dose_g_per_kg if rec else None
    state.recommendation_reason = rec.reason[:1000] if rec else None
    return state

