"""Each patient's evaluation: facts loaded in batches, the rules asked, the state stored."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, or_
from sqlmodel import Session, col, select

from tracker.rules import (
    AuthorizationFact,
    CourseFact,
    Evaluation,
    PackedFacts,
    PatientFacts,
    RegimenFact,
    ScoreFact,
    SitePolicy,
    evaluate,
)
from tracker.rules.expiry import patient_expires_on
from tracker.rules.vocabulary import CourseStatus, Decision
from tracker.services.errors import NotFound
from tracker.services.packed_facts import load_one_packed, load_packed
from tracker.services.patient_states import write_states
from tracker.services.policy import load_policy
from tracker.services.score_packs import store_packs
from tracker.services.state_rows import latest_expiry, packed_state, packed_states, state_values
from tracker.services.sweep_pool import WorkerPool, processes_for, rare_collections, shareable
from tracker.store.ids import stored_id
from tracker.store.models import (
    Assessment,
    FundingAuthorization,
    Infusion,
    Patient,
    PatientState,
    RecommendationDecision,
    Regimen,
    Review,
    Weight,
)

SWEEP_BATCH = 500
# The courses the rules read: booked and given (cancelled and missed ones say nothing).
COUNTED_STATUSES = (CourseStatus.BOOKED, CourseStatus.GIVEN)


def build_facts(
    patient: Patient,
    *,
    regimens: Iterable[Any],
    courses: Iterable[Any],
    scores: Iterable[Any],
    review_dates: Iterable[date],
    weight_dates: Iterable[date],
    dismissed: Iterable[tuple[int, str]],
    authorizations: Iterable[Any] = (),
) -> PatientFacts:
    """The rules' facts from a patient's rows (anything with the tables' column names, as
    attributes; courses as mappings or objects), however the caller read them."""
    courses = [c for c in courses if _get(c, "status") in COUNTED_STATUSES]
    return PatientFacts(
        status=patient.status,
        regimens=tuple(
            RegimenFact(r.id, r.starts_on, r.dose_g_per_kg, r.interval_days, r.dose_g, r.route)
            for r in regimens
        ),
        courses=tuple(
            sorted(
                (
                    CourseFact(
                        _get(c, "id"),
                        _get(c, "scheduled_on"),
                        _get(c, "status"),
                        _get(c, "days") or 1,
                    )
                    for c in courses
                ),
                key=lambda c: (c.starts_on, c.id),
            )
        ),
        # Same-day scores in the order they were recorded (the rules' tie-break).
        scores=tuple(
            ScoreFact(s.taken_on, s.measure, s.side, s.value, s.timing, s.source) for s in scores
        ),
        review_dates=tuple(sorted(review_dates)),
        weight_dates=tuple(sorted(weight_dates)),
        min_interval_days=patient.min_interval_days,
        max_interval_days=patient.max_interval_days,
        dismissed=frozenset(dismissed),
        resumed_on=patient.resumed_on,
        authorizations=tuple(authorization_fact(a) for a in authorizations),
        course_doses=tuple(
            (_get(c, "id"), dose) for c in courses if (dose := course_dose(c)) is not None
        ),
    )


def course_dose(course: Any) -> float | None:
    """A course's own grams as the rules charge it: the dose given, or a booking's planned
    dose (None: its regimen's dose is used)."""
    given = _get(course, "status") == CourseStatus.GIVEN
    grams = _get(course, "dose_g" if given else "planned_dose_g")
    return None if grams is None else float(grams)


def authorization_fact(row: Any) -> AuthorizationFact:
    """A funding authorisation row as the rules read it."""
    return AuthorizationFact(
        row.id,
        row.starts_on,
        row.ends_on,
        row.approved_g,
        row.approved_courses,
        row.reference,
        row.payer,
    )


def authorizations_of(
    session: Session, patient_ids: Sequence[int]
) -> dict[int, list[FundingAuthorization]]:
    """These patients' funding authorisations, by start day then id."""
    found: dict[int, list[FundingAuthorization]] = defaultdict(list)
    for row in session.exec(
        select(FundingAuthorization)
        .where(FundingAuthorization.patient_id.in_(patient_ids))
        .order_by(FundingAuthorization.starts_on, FundingAuthorization.id)
    ):
        found[row.patient_id].append(row)
    return found


def dismissed_actions(
    session: Session, patient_ids: Sequence[int]
) -> dict[int, set[tuple[int, str]]]:
    """Each patient's dismissed (regimen id, action) pairs."""
    dismissed: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for patient_id, regimen_id, action in session.exec(
        select(
            RecommendationDecision.patient_id,
            RecommendationDecision.regimen_id,
            RecommendationDecision.action,
        ).where(
            RecommendationDecision.patient_id.in_(patient_ids),
            RecommendationDecision.decision == Decision.DISMISSED,
        )
    ):
        dismissed[patient_id].add((regimen_id, action))
    return dismissed


def load_facts(session: Session, patients: Sequence[Patient]) -> dict[int, PatientFacts]:
    """The rules' facts for several patients, in one query per table."""
    ids = [stored_id(p) for p in patients]

    def by_patient(
        *columns: Any, where: Iterable[ColumnElement[bool]] = (), order: Iterable[Any] = ()
    ) -> dict[int, list[Any]]:
        rows: dict[int, list[Any]] = defaultdict(list)
        model = columns[0].class_
        for row in session.exec(
            select(model.patient_id, *columns)
            .where(model.patient_id.in_(ids), *where)
            .order_by(*order)
        ):
            rows[row[0]].append(row)
        return rows

    regimens = by_patient(
        Regimen.id,
        Regimen.starts_on,
        Regimen.dose_g_per_kg,
        Regimen.interval_days,
        Regimen.dose_g,
        Regimen.route,
    )
    courses = by_patient(
        Infusion.id,
        Infusion.scheduled_on,
        Infusion.status,
        Infusion.days,
        Infusion.dose_g,
        Infusion.planned_dose_g,
        where=(Infusion.status.in_(COUNTED_STATUSES),),
    )
    scores = by_patient(
        Assessment.taken_on,
        Assessment.measure,
        Assessment.side,
        Assessment.value,
        Assessment.timing,
        Assessment.source,
        order=(Assessment.patient_id, Assessment.taken_on, Assessment.id),
    )
    reviews = by_patient(Review.reviewed_on)
    weights = by_patient(Weight.measured_on)
    dismissed = dismissed_actions(session, ids)
    authorizations = authorizations_of(session, ids)
    return {
        pid: build_facts(
            p,
            regimens=regimens[pid],
            courses=courses[pid],
            scores=scores[pid],
            review_dates=(r.reviewed_on for r in reviews[pid]),
            weight_dates=(w.measured_on for w in weights[pid]),
            dismissed=dismissed[pid],
            authorizations=authorizations[pid],
        )
        for pid, p in zip(ids, patients, strict=True)
    }


def _get(row: Any, name: str) -> Any:
    # Courses come as mappings from the patient page and as rows from load_facts.
    return row[name] if isinstance(row, Mapping) else getattr(row, name)


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
    policy = policy or load_policy(session)
    facts = read_packed(session, patient_id=patient_id, today=today, policy=policy)
    return store_state(session, patient_id=patient_id, facts=facts, today=today, policy=policy)


def read_packed(
    session: Session, *, patient_id: int, today: date, policy: SitePolicy
) -> PackedFacts:
    """One patient's packed facts as this transaction sees them (its changes flushed first),
    in one round trip: what refresh_state evaluates, and a write may check before storing."""
    session.flush()  # read with plain SQL below: let it see this unit of work's changes
    facts = load_one_packed(session.connection(), patient_id, today=today, policy=policy)
    if facts is None:
        raise NotFound(f"no patient with id {patient_id}")
    return facts


def store_state(
    session: Session, *, patient_id: int, facts: PackedFacts, today: date, policy: SitePolicy
) -> Evaluation:
    """Evaluate a patient's packed facts (read_packed) for today and store the state."""
    evaluation, row = packed_state(patient_id, facts, today=today, policy=policy)
    write_states(session, [row])
    # A state already loaded in this session is now behind the row: read it again if used.
    stale = session.identity_map.get(session.identity_key(PatientState, patient_id))
    if stale is not None:
        session.expire(stale)
    return evaluation


def refresh_states(session: Session, patient_ids: Sequence[int], *, today: date) -> None:
    """Evaluate these patients for today and store the results, a batch at a time (after a
    write that touched many patients at once, such as an import)."""
    policy = load_policy(session)
    ids = sorted(set(patient_ids))
    for start in range(0, len(ids), SWEEP_BATCH):
        patients = session.exec(
            select(Patient).where(Patient.id.in_(ids[start : start + SWEEP_BATCH]))
        ).all()
        facts = load_facts(session, patients)
        rows = []
        for pid in map(stored_id, patients):
            evaluation = evaluate(facts[pid], on=today, policy=policy)
            expiry = patient_expires_on(
                facts[pid], evaluation, policy=policy, latest=latest_expiry(pid, today)
            )
            rows.append(state_values(pid, evaluation, facts[pid].courses, expiry))
        write_states(session, rows)
        session.expunge_all()


def refresh_all(
    session: Session,
    *,
    today: date,
    progress: Callable[[int], None] | None = None,
    batch_size: int = SWEEP_BATCH,
    expired_only: bool = False,
    processes: int = 1,
) -> int:
    """Re-evaluate every patient for today, streamed in batches; the number evaluated.

    `expired_only` (the daily sweep): only the patients with no state, or whose state
    expires on or before today (rules.expiry), or was evaluated for a later day.
    `processes`: how many processes read and evaluate (0: one per core). Worker processes
    read on connections of their own, which see only what is committed: a caller that has
    changed facts in this transaction keeps the default, 1 (see services.sweep_pool), or
    the states, and on SQLite the score packs kept from those reads, would miss them.

    The sweep evaluates packed facts (`evaluate_packed`): building every cycle of every
    patient was most of its time, and only the flags, schedule and recommendation are stored.
    """
    policy = load_policy(session)
    session.flush()  # the batches are read with plain SQL: let it see pending changes
    connection = session.connection()
    done = 0

    def write(rows: list[dict[str, Any]], packs: dict[int, bytes]) -> None:
        nonlocal done
        write_states(session, rows)
        store_packs(session, packs)
        done += len(rows)
        if progress is not None:
            progress(done)

    page = partial(patient_page, connection, size=batch_size, today=today,
                   expired_only=expired_only)  # fmt: skip
    with rare_collections():
        _evaluate_all(
            connection,
            page,
            today=today,
            policy=policy,
            processes=processes,
            batch_size=batch_size,
            write=write,
        )
    # Never hold every patient in memory: nothing read here stays in the session.
    session.expunge_all()
    return done


def _evaluate_all(
    connection: Connection,
    page: Callable[[int], Sequence[Row[Any]]],
    *,
    today: date,
    policy: SitePolicy,
    processes: int,
    batch_size: int,
    write: Callable[[list[dict[str, Any]], dict[int, bytes]], None],
) -> None:
    # Across processes when asked and there is more than one batch, else here.
    first = page(0)
    workers = processes_for(processes)
    engine = connection.engine
    if workers > 1 and shareable(engine) and len(first) == batch_size:
        url = engine.url.render_as_string(hide_password=False)
        with WorkerPool(workers, url=url, today=today, policy=policy) as pool:
            patients = first
            while patients:
                for rows, packs in pool.submit([tuple(p) for p in patients]):
                    write(rows, packs)
                patients = page(patients[-1][0])
            for rows, packs in pool.drain():
                write(rows, packs)
    else:
        _evaluate_here(connection, first, page, today=today, policy=policy, write=write)


# A batch read: its patients, their facts and the score packs the read made.
Read = tuple[Sequence[Row[Any]], dict[int, PackedFacts], dict[int, bytes]]


def _evaluate_here(
    connection: Connection,
    first: Sequence[Row[Any]],
    page: Callable[[int], Sequence[Row[Any]]],
    *,
    today: date,
    policy: SitePolicy,
    write: Callable[[list[dict[str, Any]], dict[int, bytes]], None],
) -> None:
    # While one batch is evaluated, a thread reads the next one: the database's work (or
    # SQLite's, which runs without the GIL) then overlaps Python's. Only one of the two
    # threads uses the connection at any time: the rows are written once the read is done.
    def read(patients: Sequence[Row[Any]]) -> Read:
        packs: dict[int, bytes] = {}
        facts = load_packed(connection, patients, today=today, policy=policy, fresh_packs=packs)
        return patients, facts, packs

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sweep-read") as reader:
        patients, facts, packs = read(first)
        while patients:
            upcoming = reader.submit(lambda after: read(page(after)), patients[-1][0])
            rows = packed_states([(pid, facts[pid]) for pid, *_ in patients], today, policy)
            written_packs = packs
            patients, facts, packs = upcoming.result()
            write(rows, written_packs)


def patient_page(
    connection: Connection, after_id: int, size: int, *, today: date, expired_only: bool = False
) -> Sequence[Row[Any]]:
    """The next `size` patients after `after_id` as (id, status, min and max interval days,
    resumed_on) (`expired_only`: those whose state is missing or expired, see refresh_all)."""
    query = select(  # type: ignore[call-overload]  # SQLModel's select() is typed for 4 columns
        Patient.id,
        Patient.status,
        Patient.min_interval_days,
        Patient.max_interval_days,
        Patient.resumed_on,
    ).where(Patient.id > after_id)
    if expired_only:
        query = query.outerjoin(PatientState, PatientState.patient_id == Patient.id).where(
            or_(
                col(PatientState.patient_id).is_(None),
                col(PatientState.expires_on).is_(None),
                col(PatientState.expires_on) <= today,
                col(PatientState.evaluated_on) > today,
            )
        )
    return connection.execute(query.order_by(Patient.id).limit(size)).all()
