"""The review report: baseline and latest scores against their MCIDs, doses, reactions and how
many courses were given inside their window."""

from datetime import date, timedelta

from sqlmodel import select

from tests.builders.pages import log_in
from tests.builders.records import give, patient_with_history, score
from tracker.schemas.patients import PatientCreate, WeightCreate
from tracker.schemas.treatment import LotInput, RegimenCreate
from tracker.services import patients, regimens
from tracker.services.actors import SYSTEM
from tracker.services.review_report import review_report
from tracker.store.models import AuditEvent

TODAY = date(2026, 3, 1)


def _late_patient(session):
    """Courses on days 0, 28, 63 (a week late) and 91; from day 70 every 21 days."""
    start = TODAY - timedelta(days=120)
    pid = patients.create_patient(
        session,
        actor=SYSTEM,
        today=TODAY,
        data=PatientCreate(
            mrn="RR-1",
            given_name="Ida",
            family_name="Moss",
            birth_date=date(1970, 2, 2),
            sex="female",
            height_cm=160,
        ),
    ).id
    patients.add_weight(
        session,
        actor=SYSTEM,
        patient_id=pid,
        today=TODAY,
        data=WeightCreate(measured_on=start, weight_kg=60),
    )
    for starts_on, interval in ((start, 28), (start + timedelta(days=70), 21)):
        regimens.create_regimen(
            session,
            actor=SYSTEM,
            patient_id=pid,
            today=TODAY,
            data=RegimenCreate(
                starts_on=starts_on,
                dose_g_per_kg=1,
                interval_days=interval,
                reason=f"every {interval} days",
            ),
        )
    for n, offset in enumerate((0, 28, 63, 84)):
        give(
            session,
            pid,
            start + timedelta(days=offset),
            today=TODAY,
            dose_g=60,
            reactions="rash" if n == 2 else None,
            lots=[LotInput(lot_number=f"R{n}", vials=6, size_g=10)],
        )
    score(session, pid, start, "incat", 2, "clinic", today=TODAY)
    score(session, pid, start + timedelta(days=100), "incat", 4, "clinic", today=TODAY)
    score(session, pid, start + timedelta(days=1), "rods", 50, "clinic", today=TODAY)
    score(session, pid, start + timedelta(days=60), "rods", 52, "clinic", today=TODAY)
    return pid, start


def test_baseline_is_the_last_score_before_treatment_and_change_is_direction_aware(session):
    history = patient_with_history(session, today=TODAY)
    report = review_report(session, patient_id=history.patient_id, end=TODAY, months=6)
    scores = {s.label: s for s in report.scores}
    right = scores["right grip (Vigorimeter)"]
    # The clinic score 20 days before and the pre-infusion score on day 1: the latter.
    assert (right.baseline.value, right.baseline.timing) == (42, "pre_infusion")
    assert (right.latest.value, right.change, right.mcid, right.verdict) == (55, 13, 8, "improved")
    incat = scores["INCAT"]  # lower is better: 4 -> 2 is an improvement of 2
    assert (incat.baseline.value, incat.latest.value, incat.change, incat.verdict) == (
        4,
        2,
        2,
        "improved",
    )
    assert scores["ONLS"].latest is None and scores["ONLS"].verdict == ""
    assert scores["wear-off day"].mcid is None
    # Series in the measures' order, then by side.
    assert list(scores) == [
        "right grip (Vigorimeter)",
        "left grip (dynamometer)",
        "right grip (dynamometer)",
        "MRC sum",
        "RODS",
        "INCAT",
        "ONLS",
        "wear-off day",
    ]


def test_worse_and_within_mcid_and_courses_in_their_window(session):
    pid, start = _late_patient(session)
    report = review_report(session, patient_id=pid, end=TODAY, months=6)
    scores = {s.label: s for s in report.scores}
    assert (scores["INCAT"].change, scores["INCAT"].verdict) == (-2, "worse")
    # RODS baseline: no score before the first course's infusion, so its first score.
    assert (scores["RODS"].baseline.value, scores["RODS"].change, scores["RODS"].verdict) == (
        50,
        2,
        "within MCID",
    )
    timings = [(c.given_on - start).days for c in report.courses if c.timing.in_window]
    assert timings == [0, 28, 84]
    late = next(c for c in report.courses if not c.timing.in_window)
    assert late.timing.days_outside == 4  # due day 56, window to day 59, given day 63
    assert (report.in_window, report.given) == (3, 4)
    assert report.grams_given == 240
    assert [c.reactions for c in report.reactions] == ["rash"]
    assert [r["interval_days"] for r in report.regimens] == [28, 21]
    assert [round(r["intensity_g_per_kg_28d"], 2) for r in report.regimens] == [1.0, 1.33]


def test_the_period_chooses_what_is_counted(session):
    pid, start = _late_patient(session)
    # Ending the day before the last course: days 0, 28 and 63, two of them in window.
    end = start + timedelta(days=83)
    short = review_report(session, patient_id=pid, end=end, months=6)
    assert short.start == end - timedelta(days=181)
    assert (short.in_window, short.given) == (2, 3)
    assert [r["interval_days"] for r in short.regimens] == [28, 21]
    later = review_report(session, patient_id=pid, end=start + timedelta(days=69), months=6)
    assert [r["interval_days"] for r in later.regimens] == [28]


def test_the_printable_page_for_a_yearly_review(client, make_user, session):
    history = patient_with_history(session, today=date.today())
    session.commit()
    log_in(client, make_user, "viewer")
    page = client.get(f"/patients/{history.patient_id}/review-report", params={"months": 12})
    assert page.status_code == 200
    assert "(12 months)" in page.text
    assert "4 of 4 inside their window" in page.text
    assert "right grip (Vigorimeter)" in page.text and "improved" in page.text
    assert "headache" in page.text
    entry = session.exec(
        select(AuditEvent).where(AuditEvent.action == "patient.view").order_by(AuditEvent.id.desc())
    ).first()
    assert entry.changes == {"viewed": "review report, 12 months"}
    assert client.get("/patients/999999/review-report").status_code == 404
