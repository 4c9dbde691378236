"""The demo's self-care (issue 19): patients on weekly SCIG they infuse themselves, and diary
keepers with home grip readings, one of whom wears off in those readings alone."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from tracker.demo import load_demo
from tracker.rules import evaluate
from tracker.rules.policy import SitePolicy
from tracker.rules.subcutaneous import convert_to_sc
from tracker.services.diary import open_link
from tracker.services.evaluation import load_facts, refresh_all
from tracker.services.policy import load_policy
from tracker.store.models import (
    Assessment,
    DiaryLink,
    DiaryNote,
    Infusion,
    InfusionLot,
    Patient,
    Regimen,
)

DAY = date(2026, 6, 10)


@pytest.fixture
def cohort(session):
    """The default demo cohort in the test's transaction, its states stored for the day."""
    summary = load_demo(session, patients=40, seed=1, today=DAY, zone="UTC")
    refresh_all(session, today=DAY)
    session.commit()
    ids = {p.mrn: p.id for p in session.exec(select(Patient))}
    return summary, ids


def test_the_cohort_holds_sc_and_diary_patients(cohort):
    summary, _ = cohort
    # Two of each are wanted at 40. On this day the stable patients left after the two SC
    # conversions include only one with three on-time cycles of their current regimen.
    assert summary.sc_patients == 2 and summary.diary_patients == 1
    # Every one of them has a live diary link.
    assert len(summary.diary_tokens) == summary.sc_patients + summary.diary_patients
    assert summary.wear_off_at_home in summary.diary_tokens
    assert f"{summary.sc_patients} infuse SCIG themselves" in str(summary)


def _sc_patients(session) -> list[int]:
    return sorted(set(session.exec(select(Regimen.patient_id).where(Regimen.route == "sc")).all()))


def test_an_sc_regimen_is_the_converters_answer_to_the_iv_one_before(cohort, session):
    for pid in _sc_patients(session):
        regimens = session.exec(
            select(Regimen).where(Regimen.patient_id == pid).order_by(Regimen.starts_on)
        ).all()
        sc, iv = regimens[-1], regimens[-2]
        assert sc.route == "sc" and iv.route == "iv" and sc.interval_days == 7
        last_iv = max(
            i.scheduled_on
            for i in session.exec(
                select(Infusion).where(Infusion.regimen_id == iv.id, Infusion.status == "given")
            )
        )
        conversion = convert_to_sc(
            iv_dose_g=iv.dose_g,
            iv_interval_days=iv.interval_days,
            sc_interval_days=7,
            on=sc.starts_on,
            last_given_on=last_iv,
            policy=SitePolicy().for_route("sc"),
        )
        # SC starts when the last IV course's interval has run (or later, on the day decided).
        assert sc.starts_on >= last_iv + timedelta(days=iv.interval_days)
        assert sc.dose_g == conversion.sc_dose_g and sc.starts_on == conversion.starts_on
        assert sc.reason.startswith("converted from IV: IV ")


def test_sc_courses_are_weekly_self_infused_with_a_lot_and_one_booked(cohort, session):
    for pid in _sc_patients(session):
        sc = session.exec(
            select(Regimen).where(Regimen.patient_id == pid, Regimen.route == "sc")
        ).one()
        courses = session.exec(
            select(Infusion).where(Infusion.patient_id == pid).order_by(Infusion.scheduled_on)
        ).all()
        # No IV course from the SC start on; every later course is the patient's own.
        assert all(c.scheduled_on < sc.starts_on for c in courses if c.regimen_id != sc.id)
        mine = [c for c in courses if c.regimen_id == sc.id]
        assert all(c.site == "self" and c.chair_id is None and c.nurse_id is None for c in mine)
        given = [c for c in mine if c.status == "given"]
        assert len(given) >= 3 and all(c.dose_g == sc.dose_g for c in given)
        gaps = {
            (b.scheduled_on - a.scheduled_on).days for a, b in zip(given, given[1:], strict=False)
        }
        assert gaps <= {7, 8}  # weekly, now and then a day late (tolerance 1)
        for course in given:
            lots = session.exec(
                select(InfusionLot).where(InfusionLot.infusion_id == course.id)
            ).all()
            assert lots and sum(lot.vials * lot.size_g for lot in lots) >= course.dose_g
        (booked,) = [c for c in mine if c.status == "booked"]
        assert booked.scheduled_on >= DAY


def test_sc_patients_are_due_weekly_without_waning(cohort, client, api_as, session):
    headers = api_as("viewer")
    for pid in _sc_patients(session):
        body = client.get(f"/api/v1/patients/{pid}/schedule?on={DAY}", headers=headers).json()
        assert body["due_on"] is not None
        assert DAY <= date.fromisoformat(body["due_on"]) <= DAY + timedelta(days=8)
        assert "waning_response" not in [f["code"] for f in body["flags"]]
        assert "overdue" not in [f["code"] for f in body["flags"]]


def test_diary_readings_are_home_grips_entered_by_the_patient(cohort, session):
    summary, ids = cohort
    for mrn in summary.diary_tokens:
        home = session.exec(
            select(Assessment).where(Assessment.patient_id == ids[mrn], Assessment.source == "home")
        ).all()
        assert len(home) >= 6
        assert {a.side for a in home} == {"left", "right"}
        for a in home:
            assert a.measure == "grip_dynamometer" and 5 <= a.value <= 90
            assert a.recorded_by_id is None and a.infusion_id is None and a.taken_on < DAY


def test_one_diary_keeper_wears_off_in_home_readings_alone(cohort, session):
    summary, ids = cohort
    pid = ids[summary.wear_off_at_home]
    policy = load_policy(session)
    facts = load_facts(session, [session.get(Patient, pid)])[pid]
    flags = {f.code: f for f in evaluate(facts, on=DAY, policy=policy).flags}
    assert flags["waning_response"].patterns == ("end_of_dose",)
    # Without the home readings the clinic's scores show a stable patient.
    clinic_only = replace(facts, scores=tuple(s for s in facts.scores if s.source == "clinic"))
    assert "waning_response" not in {
        f.code for f in evaluate(clinic_only, on=DAY, policy=policy).flags
    }
    note = session.exec(select(DiaryNote).where(DiaryNote.patient_id == pid)).one()
    assert "weak again" in note.text


def test_the_other_diary_keepers_show_no_wear_off(cohort, session):
    summary, ids = cohort
    policy = load_policy(session)
    for mrn in summary.diary_tokens:
        if mrn == summary.wear_off_at_home:
            continue
        pid = ids[mrn]
        facts = load_facts(session, [session.get(Patient, pid)])[pid]
        assert "waning_response" not in {
            f.code for f in evaluate(facts, on=DAY, policy=policy).flags
        }


def test_the_diary_links_open_and_only_their_digest_is_stored(cohort, session):
    summary, ids = cohort
    for mrn, token in summary.diary_tokens.items():
        opened = open_link(session, token=token, today=DAY, now=datetime.now(UTC), ip_address=None)
        link = opened.link
        assert link.patient_id == ids[mrn] and link.expires_on >= DAY + timedelta(days=7)
    stored = session.exec(select(DiaryLink.token_hash)).all()
    assert len(stored) == len(summary.diary_tokens)
    assert not set(stored) & set(summary.diary_tokens.values())


def test_without_self_care_nobody_is_on_sc_or_keeps_a_diary(session):
    summary = load_demo(session, patients=40, seed=1, today=DAY, zone="UTC", self_care=False)
    assert summary.sc_patients == summary.diary_patients == 0
    assert not _sc_patients(session)
    assert not session.exec(select(Assessment).where(Assessment.source == "home")).all()
    assert not session.exec(select(DiaryLink)).all()
