"""The demo cohort: deterministic, refuses real data, covers every archetype, plausible rows."""

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from statistics import mean

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from tracker.demo import (
    ARCHETYPES,
    DemoRefused,
    archetype_counts,
    ensure_demo_allowed,
    has_demo,
    load_demo,
)
from tracker.rules.dosing import calculate_dose
from tracker.rules.measures import validate_score
from tracker.rules.policy import SitePolicy
from tracker.store.engine import make_engine, session_scope
from tracker.store.migrate import upgrade
from tracker.store.models import (
    Assessment,
    Infusion,
    InfusionLot,
    Patient,
    Regimen,
    Review,
    Weight,
)

# In the past, so that any timestamp left to a utcnow() default would stand out.
TODAY = date(2025, 9, 15)
ZONE = "Europe/Amsterdam"
DEMO_TABLES = ("patient", "weight", "regimen", "infusion", "infusion_lot", "assessment", "review")
PLAUSIBLE = {
    "grip_vigorimeter": (3, 160),
    "mrc_sum": (30, 60),
    "incat": (0, 10),
    "onls": (0, 12),
    "wear_off_day": (1, 42),
    "grip_dynamometer": (5, 90),  # kg, the diary keepers' home device
}


def new_engine(tmp_path, name: str) -> Engine:
    """A fresh SQLite file migrated to head (products and chairs seeded)."""
    url = f"sqlite:///{tmp_path / name}"
    upgrade(url)
    return make_engine(url)


def load(engine: Engine, **kwargs):
    """Load the demo in its own committed unit of work."""
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("zone", ZONE)
    with session_scope(engine) as session:
        return load_demo(session, **kwargs)


def dump(engine: Engine) -> dict[str, list]:
    """Every row of every table the demo writes, ids included, as stored."""
    with engine.connect() as connection:
        return {
            t: connection.execute(text(f"SELECT * FROM {t} ORDER BY id")).all() for t in DEMO_TABLES
        }


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """The default cohort (40 patients, seed 1): its engine and summary."""
    engine = new_engine(tmp_path_factory.mktemp("demo"), "default.db")
    progress = []
    summary = load(engine, progress=lambda done, total: progress.append((done, total)))
    yield engine, summary, progress
    engine.dispose()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A cohort of 10 patients."""
    engine = new_engine(tmp_path_factory.mktemp("demo"), "small.db")
    summary = load(engine, patients=10)
    yield engine, summary
    engine.dispose()


@pytest.fixture(params=["default", "small"])
def any_cohort(request, cohort, small):
    """Each of the two cohorts in turn: (engine, summary)."""
    return cohort[:2] if request.param == "default" else small


# --- determinism and safety ---------------------------------------------------------------


def test_same_seed_gives_identical_rows(cohort, tmp_path):
    engine, summary, _ = cohort
    again = new_engine(tmp_path, "again.db")
    second = load(again)
    first_rows, second_rows = dump(engine), dump(again)
    assert all(first_rows[t] for t in DEMO_TABLES)
    for table in DEMO_TABLES:
        assert first_rows[table] == second_rows[table], table
    assert second == summary


def test_other_seed_gives_other_data(cohort, tmp_path):
    engine, _, _ = cohort
    other = new_engine(tmp_path, "other.db")
    load(other, seed=2)
    first_rows, other_rows = dump(engine), dump(other)
    for table in ("patient", "infusion", "assessment"):
        assert first_rows[table] != other_rows[table], table


def test_refuses_a_database_with_a_real_patient_and_writes_nothing(tmp_path):
    engine = new_engine(tmp_path, "real.db")
    with session_scope(engine) as session:
        session.add(
            Patient(
                mrn="H123", given_name="Real", family_name="Person", birth_date=date(1970, 1, 1)
            )
        )
    with session_scope(engine) as session:
        with pytest.raises(DemoRefused, match="real"):
            ensure_demo_allowed(session)
        with pytest.raises(DemoRefused, match="1 real"):
            load_demo(session, today=TODAY)
        assert not has_demo(session)
    rows = dump(engine)
    assert len(rows["patient"]) == 1
    assert all(not rows[t] for t in DEMO_TABLES if t != "patient")


def test_loads_only_once(cohort):
    engine, _, _ = cohort
    with Session(engine) as session:
        assert has_demo(session)
        ensure_demo_allowed(session)  # demo patients only: allowed
        with pytest.raises(DemoRefused, match="already loaded"):
            load_demo(session, patients=10, today=TODAY)
        session.rollback()


def test_empty_database_has_no_demo_and_the_caller_owns_the_commit(tmp_path):
    engine = new_engine(tmp_path, "rollback.db")
    with Session(engine) as session:
        assert not has_demo(session)
        summary = load_demo(session, patients=10, today=TODAY, zone=ZONE)
        assert summary.patients == 10
        assert has_demo(session)
        session.rollback()
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Patient)).scalar_one() == 0


def test_progress_reports_up_to_the_total(cohort):
    _, _, progress = cohort
    done = [d for d, _ in progress]
    assert done == sorted(done) and done[-1] == 40
    assert {total for _, total in progress} == {40}


def test_needs_at_least_one_patient(tmp_path):
    engine = new_engine(tmp_path, "none.db")
    with Session(engine) as session, pytest.raises(ValueError):
        load_demo(session, patients=0, today=TODAY)


# --- the cohort ---------------------------------------------------------------------------


def test_every_archetype_is_present(any_cohort):
    engine, summary = any_cohort
    assert set(summary.by_archetype) == set(ARCHETYPES)
    assert all(n >= 1 for n in summary.by_archetype.values()), summary.by_archetype
    for kind in ("dose_cap", "on_hold", "booked_ahead", "no_response", "refractory"):
        assert summary.by_archetype[kind] == 1, kind
    assert sum(summary.by_archetype.values()) == summary.patients
    assert Counter(summary.archetype_of.values()) == summary.by_archetype
    with Session(engine) as session:
        patients = session.execute(select(Patient)).scalars().all()
        assert {p.mrn for p in patients} == set(summary.archetype_of)
        on_hold = [p.mrn for p in patients if p.status == "on_hold"]
        assert [summary.archetype_of[m] for m in on_hold] == ["on_hold"]


def test_archetype_counts_add_up_and_keep_one_of_the_rare_kinds():
    for n in range(1, 301):
        counts = archetype_counts(n)
        assert set(counts) == set(ARCHETYPES) and sum(counts.values()) == n, n
        if n >= len(ARCHETYPES):
            assert all(v >= 1 for v in counts.values()), (n, counts)
            for kind in ("dose_cap", "booked_ahead", "on_hold", "no_response", "refractory"):
                assert counts[kind] == 1, (n, kind)
        else:  # the commoner kinds first; the rare ones only once there is room
            assert all(v <= 1 for v in counts.values())
            assert counts["stable"] == 1
            assert counts["refractory"] == 0
    assert archetype_counts(10) == dict.fromkeys(ARCHETYPES, 1)


def test_default_mix(cohort):
    _, summary, _ = cohort
    mix = summary.by_archetype
    assert 14 <= mix["stable"] <= 20
    assert mix["wear_off"] == 8 and mix["progressive"] == 6
    assert mix["new_start"] + mix["booked_ahead"] >= 3
    assert mix["long_stable"] == 2
    assert mix["no_response"] == mix["refractory"] == mix["dose_cap"] == 1


def test_new_starts_and_the_booked_ahead_patient(any_cohort):
    engine, summary = any_cohort
    with Session(engine) as session:
        for mrn, kind in summary.archetype_of.items():
            if kind not in ("new_start", "booked_ahead"):
                continue
            patient = session.execute(select(Patient).where(Patient.mrn == mrn)).scalar_one()
            regimens = _regimens(session, patient.id)
            courses = _infusions(session, patient.id)
            induction = regimens[0]
            assert induction.dose_g_per_kg == 2.0 and 2 <= induction.days_per_course <= 5
            if kind == "booked_ahead":
                assert len(regimens) == 1 and induction.starts_on > TODAY
                assert [c.status for c in courses] == ["booked"]
                assert courses[0].scheduled_on == induction.starts_on
            else:
                weeks_ago = (TODAY - induction.starts_on).days / 7
                assert 2 <= weeks_ago <= 8
                assert regimens[1].dose_g_per_kg < 2.0
                assert any(c.status == "booked" for c in courses)


def test_patients_are_synthetic_and_varied(cohort):
    engine, _, _ = cohort
    with Session(engine) as session:
        patients = session.execute(select(Patient).order_by(Patient.id)).scalars().all()
    assert all(p.is_demo for p in patients)
    assert [p.mrn for p in patients] == [f"DEMO-{n:05d}" for n in range(1, 41)]
    sexes = Counter(p.sex for p in patients)
    assert sexes["male"] > sexes["female"] > 0
    for p in patients:
        age = (TODAY - p.birth_date).days / 365.25
        assert 25 <= age <= 81
        assert 145 <= p.height_cm <= 200
        assert p.email is None or p.email.endswith("@example.org")
        assert p.reminder_consent <= (p.email is not None)
    with_email = sum(p.email is not None for p in patients)
    assert 0 < with_email < len(patients)
    assert len({(p.given_name, p.family_name) for p in patients}) >= 35


def test_regimens_are_within_bounds_with_a_dose_snapshot(any_cohort):
    engine, summary = any_cohort
    with Session(engine) as session:
        regimens = session.execute(select(Regimen)).scalars().all()
        weights = _weights_by_patient(session)
        patients = {p.id: p for p in session.execute(select(Patient)).scalars()}
    above_cap = []
    # SC regimens come from the converter (tests/demo/test_demo_self_care.py).
    for r in (r for r in regimens if r.route == "iv"):
        assert 0.4 <= r.dose_g_per_kg <= 2.0 and 14 <= r.interval_days <= 42
        # Above the cap only with an override reason (the refractory patient's last regimen).
        if r.dose_g_per_kg * 28 / r.interval_days > 2.4 + 1e-9:
            assert r.override_reason
            above_cap.append(r.patient_id)
        else:
            assert r.override_reason is None
        assert r.weight_basis == "auto" and r.reason and r.product_id
        p = patients[r.patient_id]
        calc = calculate_dose(
            sex=p.sex,
            height_cm=p.height_cm,
            weight_kg=_weight_on(weights[p.id], min(r.starts_on, TODAY)),
            dose_g_per_kg=r.dose_g_per_kg,
            days_per_course=r.days_per_course,
            policy=SitePolicy(),
        )
        assert (r.dose_g, r.dosing_weight_kg, r.weight_basis_used) == (
            calc.dose_g,
            calc.dosing_weight_kg,
            calc.weight_basis_used,
        )
    refractory = [p.id for p in patients.values() if summary.archetype_of[p.mrn] == "refractory"]
    assert above_cap == refractory


def test_given_doses_follow_the_latest_weight(cohort):
    engine, _, _ = cohort
    with Session(engine) as session:
        regimens = {r.id: r for r in session.execute(select(Regimen)).scalars()}
        patients = {p.id: p for p in session.execute(select(Patient)).scalars()}
        weights = _weights_by_patient(session)
        given = session.execute(
            select(Infusion).where(Infusion.status == "given", Infusion.site != "self")
        ).scalars()
        for course in given:
            p, r = patients[course.patient_id], regimens[course.regimen_id]
            calc = calculate_dose(
                sex=p.sex,
                height_cm=p.height_cm,
                weight_kg=_weight_on(weights[p.id], course.scheduled_on),
                dose_g_per_kg=r.dose_g_per_kg,
                policy=SitePolicy(),
            )
            assert course.dose_g == calc.dose_g
            assert course.days == r.days_per_course and course.product_id == r.product_id
            assert course.scheduled_on >= r.starts_on and course.scheduled_on < TODAY


def test_every_given_course_has_lots_covering_the_dose(any_cohort):
    engine, _ = any_cohort
    with Session(engine) as session:
        lots = defaultdict(list)
        for lot in session.execute(select(InfusionLot)).scalars():
            lots[lot.infusion_id].append(lot)
        infusions = session.execute(select(Infusion)).scalars().all()
    for course in infusions:
        if course.status != "given":
            assert not lots[course.id]
            continue
        used = lots[course.id]
        assert 1 <= len(used) <= 4  # one lot per vial size; a few doses need four sizes
        assert sum(lot.vials * lot.size_g for lot in used) >= course.dose_g
        for lot in used:
            assert re.fullmatch(r"[A-Z0-9]{6,12}", lot.lot_number)
            assert 180 <= (lot.expires_on - course.scheduled_on).days <= 730


def test_courses_look_like_a_clinic_day(cohort):
    engine, _, _ = cohort
    with Session(engine) as session:
        # Self-infused SC courses are given at home, any day (test_demo_self_care.py).
        infusions = session.execute(select(Infusion).where(Infusion.site != "self")).scalars().all()
    statuses = Counter(i.status for i in infusions)
    assert statuses["given"] > 1000 and statuses["booked"] > 10
    assert statuses["cancelled"] > 0 and statuses["missed"] > 0
    for i in infusions:
        assert i.scheduled_on.weekday() < 5
        assert i.start_time.minute % 15 == 0 and 8 <= i.start_time.hour <= 13
        assert (i.status == "booked") == (i.scheduled_on >= TODAY) or i.status == "cancelled"
    assert any(i.reactions for i in infusions)
    # A chair's or a nurse's live bookings never share a start (home visits hold no chair).
    booked = [
        (i.chair_id, i.nurse_id, i.scheduled_on, i.start_time)
        for i in infusions
        if i.status == "booked"
    ]
    assert len(booked) == len(set(booked))


def test_about_seventy_percent_of_active_patients_are_booked(cohort):
    engine, _, _ = cohort
    with Session(engine) as session:
        active = session.execute(
            select(func.count()).select_from(Patient).where(Patient.status == "active")
        ).scalar_one()
        booked = session.execute(
            select(func.count(func.distinct(Infusion.patient_id))).where(
                Infusion.status == "booked"
            )
        ).scalar_one()
    assert 0.6 <= booked / active <= 0.8


def test_assessment_values_are_plausible(any_cohort):
    engine, _ = any_cohort
    with Session(engine) as session:
        scores = session.execute(select(Assessment)).scalars().all()
        course_day = {i.id: i.scheduled_on for i in session.execute(select(Infusion)).scalars()}
    assert {s.measure for s in scores} >= {"grip_vigorimeter", "mrc_sum", "wear_off_day"}
    assert {s.timing for s in scores} == {"pre_infusion", "post_infusion", "clinic"}
    for s in scores:
        validate_score(s.measure, s.side, s.value)
        low, high = PLAUSIBLE[s.measure]
        assert low <= s.value <= high, (s.measure, s.value)
        assert s.taken_on <= TODAY
        if s.source == "home":  # the patient's own, tied to no course
            assert s.infusion_id is None and s.measure == "grip_dynamometer"
            continue
        if s.timing == "pre_infusion":
            assert s.taken_on == course_day[s.infusion_id]
        if s.timing == "post_infusion":
            assert 2 <= (s.taken_on - course_day[s.infusion_id]).days <= 11


def test_grips_are_asymmetric(any_cohort):
    engine, _ = any_cohort
    with Session(engine) as session:
        grips = defaultdict(list)
        for s in session.execute(
            select(Assessment).where(Assessment.measure == "grip_vigorimeter")
        ).scalars():
            grips[(s.patient_id, s.side)].append(s.value)
    patients = {pid for pid, _ in grips}
    assert patients
    for pid in patients:
        left, right = mean(grips[(pid, "left")]), mean(grips[(pid, "right")])
        assert abs(left - right) >= 15, (pid, left, right)


def test_weights_and_reviews(cohort):
    engine, summary, _ = cohort
    with Session(engine) as session:
        weights = _weights_by_patient(session)
        reviews = session.execute(select(Review)).scalars().all()
    stale = [pid for pid, ws in weights.items() if (TODAY - ws[-1][0]).days > 180]
    assert 1 <= len(stale) <= 2
    assert all(0 < kg < 250 for ws in weights.values() for _, kg in ws)
    assert {r.outcome for r in reviews} == {"continue", "change"}
    assert all(r.reviewed_on < TODAY and r.notes for r in reviews)


def test_timestamps_are_set_from_the_clinical_days(any_cohort):
    engine, _ = any_cohort
    end_of_today = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    with Session(engine) as session:
        rows = [
            *(p.created_at for p in session.execute(select(Patient)).scalars()),
            *(w.recorded_at for w in session.execute(select(Weight)).scalars()),
            *(r.created_at for r in session.execute(select(Regimen)).scalars()),
            *(r.created_at for r in session.execute(select(Review)).scalars()),
            *(a.recorded_at for a in session.execute(select(Assessment)).scalars()),
        ]
        for i in session.execute(select(Infusion)).scalars():
            rows += [i.created_at, i.updated_at]
            if i.status == "given":
                assert i.given_at is not None and i.given_at.date() == i.scheduled_on
            if i.status == "cancelled":
                assert i.cancelled_at is not None and i.cancel_reason
    assert all(t.tzinfo is not None and t < end_of_today for t in rows)


# --- helpers ------------------------------------------------------------------------------


def _regimens(session: Session, patient_id: int) -> list[Regimen]:
    return (
        session.execute(
            select(Regimen)
            .where(Regimen.patient_id == patient_id)
            .order_by(Regimen.starts_on, Regimen.id)
        )
        .scalars()
        .all()
    )


def _infusions(session: Session, patient_id: int) -> list[Infusion]:
    return (
        session.execute(
            select(Infusion)
            .where(Infusion.patient_id == patient_id)
            .order_by(Infusion.scheduled_on, Infusion.id)
        )
        .scalars()
        .all()
    )


def _weights_by_patient(session: Session) -> dict[int, list[tuple[date, float]]]:
    out = defaultdict(list)
    for w in session.execute(select(Weight).order_by(Weight.measured_on, Weight.id)).scalars():
        out[w.patient_id].append((w.measured_on, w.weight_kg))
    return out


def _weight_on(weights: list[tuple[date, float]], day: date) -> float:
    index = bisect_right([d for d, _ in weights], day)
    return weights[max(0, index - 1)][1]
