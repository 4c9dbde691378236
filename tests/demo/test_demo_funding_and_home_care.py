"""The demo's funding authorisations (issue 18) and home care (issue 19).

Every patient's courses lie in an authorisation; on the evaluation day a few active patients'
current one ends within the notice, runs out by the projection within it or has lapsed, and
the site requires authorisations, so that the worklist's funding tabs hold them. Two nurses
visit a few patients at home: past courses given there and visits to come, one nurse's
visits never overlapping (with the policy's buffer).
"""

from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlmodel import select

from tracker.demo import load_demo
from tracker.rules.chairs import spans_clash
from tracker.rules.policy import SitePolicy
from tracker.rules.visits import visit_span
from tracker.services import worklist
from tracker.services.authorizations import authorization_views
from tracker.services.evaluation import refresh_all
from tracker.services.policy import load_policy
from tracker.store.models import FundingAuthorization, Infusion, Patient, StaffUser

DAY = date(2026, 6, 10)
NOTICE = timedelta(days=30)


@pytest.fixture
def cohort(session):
    """The default demo cohort in the test's transaction, its states stored for the day."""
    summary = load_demo(session, patients=40, seed=1, today=DAY, zone="UTC")
    refresh_all(session, today=DAY)
    session.commit()
    return summary


def _states(session) -> dict[int, str]:
    """Each active patient's funding state on DAY, read from the authorisations' figures."""
    out = {}
    for pid, status in session.exec(select(Patient.id, Patient.status)).all():
        views = authorization_views(session, patient_id=pid, on=DAY)
        current = [v for v in views if v["starts_on"] <= DAY <= v["ends_on"]]
        if status != "active":
            continue
        if not current and any(v["starts_on"] > DAY for v in views):
            out[pid] = "ahead"  # the booked-ahead patient's starts with the induction
        elif not current:
            out[pid] = "missing"
        elif any(
            v["projected_exhausted_on"] and v["projected_exhausted_on"] <= DAY + NOTICE
            for v in current
        ):
            out[pid] = "exhausted"
        elif any(v["ends_on"] <= DAY + NOTICE for v in current):
            out[pid] = "ending"
        else:
            out[pid] = "fresh"
    return out


def test_the_site_requires_authorisations_and_every_state_is_there(cohort, session):
    assert load_policy(session).authorizations_required
    assert cohort.funding == {"fresh": 34, "ending": 2, "exhausted": 2, "missing": 2}
    rows = session.exec(select(FundingAuthorization)).all()
    assert len(rows) == cohort.authorizations
    assert {r.patient_id for r in rows} == set(session.exec(select(Patient.id)).all())
    states = _states(session)
    for state in ("ending", "exhausted", "missing"):
        assert list(states.values()).count(state) == 2, (state, states)
    assert list(states.values()).count("fresh") >= 30
    for pid, state in states.items():
        views = authorization_views(session, patient_id=pid, on=DAY)
        current = [v for v in views if v["starts_on"] <= DAY <= v["ends_on"]]
        if state == "fresh":  # plenty left, long before its end
            (v,) = current
            assert v["ends_on"] > DAY + NOTICE and v["projected_exhausted_on"] is None
            assert v["remaining_courses"] >= 3 and v["remaining_g"] > 0
        if state == "exhausted":
            (v,) = current
            assert v["ends_on"] > DAY + NOTICE and v["remaining_courses"] == 0


def test_the_funding_tabs_hold_the_flagged_patients(cohort, session):
    states = _states(session)
    ending = worklist.worklist(session, on=DAY, flag="authorization_ending", offset=0, limit=100)
    missing = worklist.worklist(session, on=DAY, flag="authorization_missing", offset=0, limit=100)
    assert ending[0] == 4 and missing[0] == 2
    assert {i["patient_id"] for i in ending[1]} == {
        p for p, s in states.items() if s in ("ending", "exhausted")
    }
    assert {i["patient_id"] for i in missing[1]} == {p for p, s in states.items() if s == "missing"}
    # Nobody else lacks funding: every course the demo gave or booked lies in one, but the
    # lapsed patients' bookings.
    lapsed = {p for p, s in states.items() if s == "missing"}
    for course in session.exec(select(Infusion).where(Infusion.status.in_(("given", "booked")))):
        covered = session.exec(
            select(FundingAuthorization.id).where(
                FundingAuthorization.patient_id == course.patient_id,
                FundingAuthorization.starts_on <= course.scheduled_on,
                FundingAuthorization.ends_on >= course.scheduled_on,
            )
        ).first()
        assert covered or course.patient_id in lapsed, course


def test_the_funding_figures_over_http(cohort, client, api_as, session):
    headers = api_as("viewer")
    states = _states(session)
    seen = set()
    for pid, state in states.items():
        body = client.get(f"/api/v1/patients/{pid}/authorizations?on={DAY}", headers=headers)
        assert body.status_code == 200
        current = [a for a in body.json() if a["starts_on"] <= str(DAY) <= a["ends_on"]]
        schedule = client.get(f"/api/v1/patients/{pid}/schedule?on={DAY}", headers=headers).json()
        codes = {f["code"] for f in schedule["flags"]}
        if state == "ahead":
            assert not codes & {"authorization_ending", "authorization_missing"}
            booked = client.get(f"/api/v1/patients/{pid}/infusions", headers=headers).json()
            assert all(b["scheduled_on"] >= body.json()[0]["starts_on"] for b in booked)
        elif state == "missing":
            assert not current and "authorization_missing" in codes
        elif state == "exhausted":
            assert current[0]["projected_exhausted_on"] <= str(DAY + NOTICE)
            assert "authorization_ending" in codes
        elif state == "ending":
            assert current[0]["ends_on"] <= str(DAY + NOTICE) and "authorization_ending" in codes
        else:
            assert not codes & {"authorization_ending", "authorization_missing"}
        seen.add(state)
    assert seen >= {"fresh", "ending", "exhausted", "missing"}
    for flag, total in (("authorization_ending", 4), ("authorization_missing", 2)):
        page = client.get(f"/api/v1/worklist?flag={flag}&on={DAY}", headers=headers).json()
        assert page["total"] == total


def test_two_nurses_visit_a_few_patients_at_home(cohort, session):
    nurses = session.exec(select(StaffUser).where(StaffUser.role == "nurse")).all()
    assert len(nurses) == cohort.nurses == 2
    assert all(n.full_name for n in nurses)
    ids = {n.id for n in nurses}
    home = session.exec(select(Infusion).where(Infusion.site == "home_nurse")).all()
    patients = {c.patient_id for c in home}
    assert len(patients) == cohort.home_patients == 4
    for patient in session.exec(select(Patient).where(Patient.id.in_(patients))):
        assert patient.address_line1 and patient.postcode and patient.status == "active"
    given = [c for c in home if c.status == "given"]
    booked = [c for c in home if c.status == "booked"]
    assert len(given) == cohort.home_given >= 8 and len(booked) == cohort.home_booked >= 4
    assert all(c.scheduled_on < DAY for c in given) and all(c.scheduled_on >= DAY for c in booked)
    assert {c.nurse_id for c in booked} == ids  # both nurses have visits to come
    for c in home:
        assert c.nurse_id in ids and c.chair_id is None and c.start_time and c.chair_minutes
        assert c.days == 1
        if c.status == "given":
            assert c.given_by_id == c.nurse_id and c.given_at.date() == c.scheduled_on
    # Addresses only for home patients.
    with_address = session.exec(select(Patient.id).where(Patient.address_line1.is_not(None)))
    assert set(with_address.all()) == patients


def test_one_nurses_visits_never_overlap(cohort, session):
    buffer = SitePolicy().home_visit_buffer_minutes
    visits = defaultdict(list)
    for c in session.exec(
        select(Infusion).where(
            Infusion.site == "home_nurse", Infusion.status.in_(("given", "booked"))
        )
    ):
        visits[(c.nurse_id, c.scheduled_on)].append(
            visit_span(c.start_time, c.chair_minutes, buffer)
        )
    assert visits
    for spans in visits.values():
        for n, a in enumerate(spans):
            assert not any(spans_clash(a, b) for b in spans[n + 1 :]), spans


def test_without_funding_and_home_care_the_demo_is_as_before(session):
    summary = load_demo(
        session,
        patients=20,
        seed=3,
        today=DAY,
        zone="UTC",
        funding=False,
        home_care=False,
        self_care=False,
    )
    assert summary.funding == {} and summary.nurses == 0 and summary.home_patients == 0
    assert not session.exec(select(FundingAuthorization)).all()
    assert not session.exec(select(Infusion).where(Infusion.site != "chair")).all()
    assert not load_policy(session).authorizations_required
