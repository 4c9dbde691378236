"""Each patient's evaluation: facts loaded in batches, the rules asked, the state stored."""

from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
    evaluate_packed,
)
from tracker.services.errors import NotFound
from tracker.services.packed_facts import load_packed
from tracker.services.patient_states import state_values, write_states
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
        # Same-day scores in the order they were recorded (the rules' tie-break).
        .order_by(Assessment.patient_id, Assessment.taken_on, Assessment.id)
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


def refresh_state(
    session: Session, *, patient_id: int, today: date, policy: SitePolicy | None = None
) -> Evaluation:
    """Re-evaluate one patient for today and store the result (after any change to them).

    Returns the evaluation stored; like the sweep's, it carries no cycle-by-cycle
    `response` (evaluate_patient gives that): every write of a course, score, weight or
    regimen ends here, so it is read packed and stored in one statement. A caller that
    read the policy already passes it (`policy`), saving a round trip.
    """
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"no patient with id {patient_id}")
    session.flush()  # read with plain SQL below: let it see this unit of work's changes
    policy = policy or load_policy(session)
    facts = load_packed(session.connection(), [(patient.id, patient.status,
                                                patient.min_interval_days,
                                                patient.max_interval_days)],
                        today=today, policy=policy)[patient_id]
    evaluation = evaluate_packed(facts, on=today, policy=policy)
    write_states(session, [state_values(patient_id, evaluation, facts.bookings)])
    # A state already loaded in this session is now behind the row: read it again if used.
    stale = session.identity_map.get(session.identity_key(PatientState, patient_id))
    if stale is not None:
        session.expire(stale)
    return evaluation


def refresh_all(
    session: Session,
    *,
    today: date,
    progress: Callable[[int], None] | None = None,
    batch_size: int = SWEEP_BATCH,
    on_evaluated: Callable[[Patient, Evaluation], None] | None = None,
) -> int:
    """Re-evaluate every patient for today, streamed in batches; the number evaluated.

    The evaluations given to `on_evaluated` are those of `evaluate`, except that they carry
    no cycle-by-cycle `response` (None): building every cycle of every patient was most of
    the sweep's time, and only the flags, schedule and recommendation are stored or mailed.
    """
    policy = load_policy(session)
    session.flush()  # the batches are read with plain SQL: let it see pending changes
    connection = session.connection()
    done = 0
    # While one batch is evaluated, a thread reads the next one: the database's work (or
    # SQLite's, which runs without the GIL) then overlaps Python's. Only one of the two
    # threads uses the connection at any time.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sweep-read") as reader:
        batch = read_batch(connection, 0, batch_size, today=today, policy=policy)
        while batch:
            patients, facts = batch
            upcoming = reader.submit(read_batch, connection, patients[-1][0], batch_size,
                                     today=today, policy=policy)
            evaluations = [evaluate_packed(facts[pid], on=today, policy=policy)
                           for pid, *_ in patients]
            batch = upcoming.result()
            write_states(session, [
                state_values(pid, evaluation, facts[pid].bookings)
                for (pid, *_), evaluation in zip(patients, evaluations, strict=True)])
            if on_evaluated is not None:
                entities = _entities(session, patients)
                for (pid, *_), evaluation in zip(patients, evaluations, strict=True):
                    on_evaluated(entities[pid], evaluation)
            session.flush()
            done += len(patients)
            # Never hold every patient in memory: forget this batch before the next one.
            session.expunge_all()
            if progress is not None:
                progress(done)
    return done


def read_batch(connection, after_id: int, size: int, *, today: date, policy: SitePolicy):
    """The next `size` patients after `after_id` and their facts for `today`, or None."""
    patients = connection.execute(
        select(Patient.id, Patient.status, Patient.min_interval_days,
               Patient.max_interval_days)
        .where(Patient.id > after_id).order_by(Patient.id).limit(size)
    ).all()
    if not patients:
        return None
    return patients, load_packed(connection, patients, today=today, policy=policy)


def _entities(session: Session, patients) -> dict[int, Patient]:
    return {p.id: p for p in session.exec(
        select(Patient).where(Patient.id.between(patients[0][0], patients[-1][0])))}


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
    for name, value in state_values(patient_id, ev, facts.courses).items():
        setattr(state, name, value)
    state.evaluated_at = utcnow()
    return state
