"""The sweep's fast path stores and reports what the full evaluation says, on both databases.

`refresh_all` reads each batch packed (arrays or strings, one row per patient) and asks
`evaluate_packed`; here every patient of the demo cohort, plus awkward extra scores, is
checked against `evaluate` on `load_facts` and against the state `_store` would write.
"""

import dataclasses
from datetime import date, timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from tests.builders.packed import as_swept, packed_of
from tests.builders.rows import add_patient
from tests.protocol_trace import round_trips, statements
from tracker.demo import load_demo
from tracker.rules import SitePolicy, evaluate_packed
from tracker.rules.expiry import patient_expires_on
from tracker.services.evaluation import evaluate_patient, load_facts, refresh_all, refresh_state
from tracker.services.packed_facts import load_one_packed, load_packed
from tracker.services.patient_states import COPY_FROM
from tracker.services.policy import load_policy
from tracker.services.state_rows import latest_expiry, state_values
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
from tracker.store.types import utcnow

TODAY = date(2026, 11, 21)


def _add_awkward_scores(session) -> None:
    # Same-day retests (the later recorded is the trough), a value that needs all 17 digits,
    # a measure the rules do not know, and a wear-off report: on the first few patients.
    for patient in session.exec(select(Patient).order_by(Patient.id).limit(6)):
        courses = session.exec(
            select(Infusion.scheduled_on)
            .where(Infusion.patient_id == patient.id, Infusion.status == "given")
            .order_by(Infusion.scheduled_on.desc())
            .limit(2)
        ).all()
        if len(courses) < 2:
            continue
        last, before = courses
        for value in (41.0, 12.0, 55.30000000000001):
            session.add(
                Assessment(
                    patient_id=patient.id,
                    taken_on=last,
                    measure="mrc_sum",
                    side=None,
                    value=value,
                    timing="pre_infusion",
                )
            )
        session.add(
            Assessment(
                patient_id=patient.id,
                taken_on=before,
                measure="mrc_sum",
                value=58.99999999999999,
                timing="post_infusion",
            )
        )
        session.add(
            Assessment(
                patient_id=patient.id,
                taken_on=last,
                measure="mystery",
                value=3,
                timing="pre_infusion",
            )
        )
        session.add(
            Assessment(
                patient_id=patient.id,
                taken_on=last - timedelta(days=1),
                measure="wear_off_day",
                value=9,
                timing="clinic",
            )
        )
        # Home readings (their own series) and, for every other patient, an SC regimen
        # from the course before the last (clinical rules 9 and 10).
        for day, value, timing in ((before, 61.0, "post_infusion"), (last, 44.0, "clinic")):
            session.add(
                Assessment(
                    patient_id=patient.id,
                    taken_on=day + timedelta(days=1),
                    measure="grip_vigorimeter",
                    side="right",
                    value=value,
                    timing=timing,
                    source="home",
                )
            )
        if patient.id % 2:
            session.add(
                Regimen(
                    patient_id=patient.id,
                    starts_on=before,
                    dose_g_per_kg=0.25,
                    interval_days=7,
                    route="sc",
                    dose_g=18,
                )
            )
    session.flush()


def test_the_sweep_stores_and_reports_what_the_full_evaluation_says(session):
    load_demo(session, patients=40, seed=3, today=TODAY, zone="UTC")
    _add_awkward_scores(session)
    done = refresh_all(session, today=TODAY, batch_size=7)
    patients = session.exec(select(Patient).order_by(Patient.id)).all()
    assert done == len(patients)
    facts = load_facts(session, patients)
    packed = packed_of(session, patients, TODAY)
    policy = load_policy(session)
    states = {s.patient_id: s for s in session.exec(select(PatientState))}
    for patient in patients:
        full = evaluate_patient(session, patient_id=patient.id, on=TODAY)
        swept = evaluate_packed(packed[patient.id], on=TODAY, policy=policy)
        assert swept == as_swept(full)
        stored = states[patient.id].model_dump(exclude={"evaluated_at"})
        # The expiry from the sweep's packed reading equals the one from the full facts.
        expiry = patient_expires_on(
            facts[patient.id], full, policy=policy, latest=latest_expiry(patient.id, TODAY)
        )
        assert stored == state_values(patient.id, full, facts[patient.id].courses, expiry)


def _stored_states(session) -> dict[int, dict]:
    """Every stored state as its values (not when it was evaluated), read afresh."""
    session.expunge_all()
    return {
        s.patient_id: s.model_dump(exclude={"evaluated_at"})
        for s in session.exec(select(PatientState))
    }


def _refreshed_one_at_a_time(session, patient_ids) -> dict[int, dict]:
    """The states `refresh_state` stores, patient by patient, with none stored before."""
    session.exec(delete(PatientState))
    for patient_id in patient_ids:
        refresh_state(session, patient_id=patient_id, today=TODAY)
    session.flush()
    return _stored_states(session)


def test_the_sweep_and_a_single_refresh_write_the_same_row(session):
    load_demo(session, patients=12, seed=5, today=TODAY, zone="UTC")
    refresh_all(session, today=TODAY)
    swept = _stored_states(session)
    assert _refreshed_one_at_a_time(session, swept) == swept
    # The states are written straight to the driver: instants still read back as UTC.
    stamps = session.exec(select(PatientState.evaluated_at)).all()
    assert all(s.tzinfo is not None and abs(utcnow() - s) < timedelta(hours=1) for s in stamps)


def test_a_batch_of_states_is_written_as_one_at_a_time_would_be(session):
    # From COPY_FROM rows a batch goes in through COPY on PostgreSQL: the stored rows are
    # those that single-row writes store.
    load_demo(session, patients=12, seed=5, today=TODAY, zone="UTC")
    for n in range(COPY_FROM):
        add_patient(session, f"BATCH-{n}", regimen_from=TODAY - timedelta(days=n % 60))
    session.flush()
    assert refresh_all(session, today=TODAY) >= COPY_FROM
    batch = _stored_states(session)
    assert _refreshed_one_at_a_time(session, batch) == batch
    assert sum(1 for s in batch.values() if s["due_on"] is not None) > COPY_FROM // 2


def test_same_day_scores_come_back_in_recorded_order(session):
    # The packed read must keep the order the rules break same-day ties with (by id).
    load_demo(session, patients=2, seed=2, today=TODAY, zone="UTC")
    pid = session.exec(select(Patient.id)).first()
    day = TODAY - timedelta(days=30)  # after the first day whose scores count
    ids = []
    for value in (30.0, 10.0, 20.0):
        score = Assessment(
            patient_id=pid, taken_on=day, measure="mrc_sum", value=value, timing="pre_infusion"
        )
        session.add(score)
        session.flush()
        ids.append(score.id)
    packed = load_packed(
        session.connection(), [(pid, "active", None, None)], today=TODAY, policy=SitePolicy()
    )[pid].scores
    same_day = [
        v
        for d, v in zip(packed.days, packed.values, strict=True)
        if d == day.toordinal() and v in (30.0, 10.0, 20.0)
    ]
    assert same_day == [30.0, 10.0, 20.0]


def test_one_patient_is_read_for_re_evaluation_in_one_round_trip(postgres_database):
    # Every write re-evaluates its patient: the regimens and the other facts go together.
    _url, engine = postgres_database
    with Session(engine) as session:
        patient = add_patient(session, "ONE-TRIP", regimen_from=TODAY - timedelta(days=90))
        session.add(
            Assessment(
                patient_id=patient.id, taken_on=TODAY, measure="mrc_sum", value=50, timing="clinic"
            )
        )
        session.commit()
        pid = stored_id(patient)
        policy = load_policy(session)
        connection = session.connection()
        raw = connection.connection.dbapi_connection
        row = (pid, "active", None, None, None)
        read = {}
        trips = round_trips(
            raw, lambda: read.update(load_packed(connection, [row], today=TODAY, policy=policy))
        )
        assert trips == 1
        assert len(read[pid].regimens) == 1 and len(read[pid].scores.days) == 1
        # In one statement: a statement each cost more than the rows they read.
        sent = statements(raw, lambda: load_one_packed(connection, pid, today=TODAY, policy=policy))
        assert sent == 1
        # A batch asks first which scores can matter (two round trips, whatever its size).
        other = add_patient(session, "TWO-TRIPS")
        session.flush()
        batch = [row, (stored_id(other), "active", None, None, None)]
        assert (
            round_trips(raw, lambda: load_packed(connection, batch, today=TODAY, policy=policy))
            == 2
        )


def _patient_with_every_fact(session) -> Patient:
    # One of each kind of row the packed read gathers, some kinds twice and in an order
    # other than the one the rules read them in.
    patient = add_patient(session, "EVERY-FACT", regimen_from=TODAY - timedelta(days=200))
    pid = patient.id
    sc = Regimen(patient_id=pid, starts_on=TODAY - timedelta(days=40), dose_g_per_kg=0.3,
                 interval_days=7, route="sc", dose_g=20)  # fmt: skip
    session.add(sc)
    for n, dose in enumerate((70.0, None, 68.5)):
        day = TODAY - timedelta(days=90 - 28 * n)
        session.add(Infusion(patient_id=pid, scheduled_on=day, status="given", dose_g=dose,
                             days=1 + n % 2))  # fmt: skip
    for days_ahead, planned in ((21, 71.0), (49, None)):
        session.add(Infusion(patient_id=pid, scheduled_on=TODAY + timedelta(days=days_ahead),
                             status="booked", planned_dose_g=planned))  # fmt: skip
    for value in (40.0, 12.0, 55.30000000000001):
        session.add(Assessment(patient_id=pid, taken_on=TODAY - timedelta(days=34),
                               measure="mrc_sum", value=value, timing="pre_infusion"))  # fmt: skip
    session.add(Review(patient_id=pid, reviewed_on=TODAY - timedelta(days=60), outcome="continue"))
    session.add(Weight(patient_id=pid, measured_on=TODAY - timedelta(days=10), weight_kg=71))
    session.add(Weight(patient_id=pid, measured_on=TODAY + timedelta(days=3), weight_kg=72))
    session.flush()
    session.add(RecommendationDecision(patient_id=pid, regimen_id=sc.id, action="taper_trial",
                                       decision="dismissed"))  # fmt: skip
    # The later authorisation recorded first: the read gives them by start day.
    for starts, grams in ((TODAY - timedelta(days=30), 400.0), (TODAY - timedelta(days=400), None)):
        session.add(FundingAuthorization(patient_id=pid, payer="NHS", reference=f"A{grams}",
                                         starts_on=starts, ends_on=starts + timedelta(days=365),
                                         approved_g=grams, approved_courses=12))  # fmt: skip
    session.flush()
    return patient


def test_one_patients_read_gives_what_a_batch_read_gives(session):
    # A write's re-evaluation reads its patient in one statement on PostgreSQL (every query
    # as arrays of columns), a batch in a statement each: the same facts, row for row.
    patient = _patient_with_every_fact(session)
    other = add_patient(session, "NEXT-ONE", regimen_from=TODAY - timedelta(days=30))
    policy = load_policy(session)
    connection = session.connection()
    one = load_one_packed(connection, patient.id, today=TODAY, policy=policy)
    batch = load_packed(
        connection,
        [(p.id, p.status, p.min_interval_days, p.max_interval_days, p.resumed_on)
         for p in (patient, other)],
        today=TODAY,
        policy=policy,
    )[patient.id]  # fmt: skip
    assert one is not None
    # A batch reads only the scores that can matter; the rest must be the same.
    assert dataclasses.replace(one, scores=batch.scores) == batch
    assert [a.starts_on for a in one.authorizations] == sorted(
        a.starts_on for a in one.authorizations
    )
    assert len(one.regimens) == 2 and len(one.bookings) == 2 and len(one.given_ids) == 3
    assert one.course_doses == batch.course_doses and len(one.course_doses) == 3
    assert one.next_weight_on == TODAY + timedelta(days=3) and one.dismissed
    assert list(one.scores.values[-3:]) == [40.0, 12.0, 55.30000000000001]
    # And what the full evaluation says (a given course of unknown grams is charged as
    # the full evaluation charges it: SQLite's read once made it 0 g).
    full = evaluate_patient(session, patient_id=patient.id, on=TODAY)
    assert evaluate_packed(one, on=TODAY, policy=policy) == as_swept(full)
    assert load_one_packed(connection, patient.id + other.id, today=TODAY, policy=policy) is None


def test_the_packed_read_gives_back_the_stored_doubles(session):
    # SQLite's packed read sends each value as text: a whole number as an integer, any other
    # with all 17 digits. Both must read back as the very double stored, on both databases.
    patient = add_patient(session, "EXACT", regimen_from=TODAY - timedelta(days=200))
    awkward = (40.0, 0.1 + 0.2, 1 / 3, 58.99999999999999, 2.0**60, 1e20, 0.0, 7.5)
    for n, value in enumerate(awkward):
        session.add(Assessment(patient_id=patient.id, taken_on=TODAY - timedelta(days=20 - n),
                               measure="mrc_sum", value=value, timing="pre_infusion"))  # fmt: skip
    courses = [
        Infusion(
            patient_id=patient.id,
            status="given",
            dose_g=dose,
            scheduled_on=TODAY - timedelta(days=150 - 28 * n),
        )
        for n, dose in enumerate((70.0, None, 0.1 + 0.2, 68.5, 2.0**60))
    ]
    session.add_all(courses)
    # Each course's grams are read where an authorisation charges them.
    session.add(
        FundingAuthorization(
            patient_id=patient.id,
            payer="NHS",
            reference="A1",
            starts_on=TODAY - timedelta(days=200),
            ends_on=TODAY + timedelta(days=165),
            approved_g=5000.0,
        )
    )
    session.flush()
    packed = load_packed(
        session.connection(),
        [(patient.id, "active", None, None, None)],
        today=TODAY,
        policy=load_policy(session),
    )[patient.id]
    assert list(packed.scores.values) == list(awkward)
    assert all(type(v) is float for v in packed.scores.values)
    assert packed.course_doses == {c.id: c.dose_g for c in courses if c.dose_g is not None}
    assert all(type(g) is float for g in packed.course_doses.values())
