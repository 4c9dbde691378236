"""Accepting or dismissing the recommended action (services/recommendations.py)."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.records import give, patient_with_regimen, score
from tracker.services import recommendations
from tracker.services.actors import SYSTEM
from tracker.services.errors import Conflict
from tracker.services.evaluation import evaluate_patient
from tracker.store.models import RecommendationDecision, Regimen

TODAY = date(2026, 3, 2)


def _wearing_off(session, mrn="REC-1") -> int:
    """Four courses 28 days apart; right grip 80 kPa after each, 68 before the next: the
    end-of-dose pattern, for which the rules propose a 21-day interval."""
    first = TODAY - timedelta(days=90)
    pid = patient_with_regimen(session, today=TODAY, starts_on=first - timedelta(days=7), mrn=mrn)
    for k in range(4):
        day = first + timedelta(days=28 * k)
        give(session, pid, day, today=TODAY)
        if k:
            score(session, pid, day, "grip_vigorimeter", 68, "pre_infusion", "right", today=TODAY)
        score(
            session,
            pid,
            day + timedelta(days=3),
            "grip_vigorimeter",
            80,
            "post_infusion",
            "right",
            today=TODAY,
        )
    return pid


def test_accepting_writes_the_proposed_regimen_from_the_day_and_records_the_decision(session):
    pid = _wearing_off(session)
    before = evaluate_patient(session, patient_id=pid, on=TODAY)
    assert before.recommendation.action == "shorten_interval"

    new = recommendations.accept_recommendation(
        session, actor=SYSTEM, patient_id=pid, on=TODAY, today=TODAY
    )

    assert (new.starts_on, new.interval_days, new.dose_g_per_kg) == (TODAY, 21, 1.0)
    assert new.id != before.regimen_id and new.product_id is not None  # product carried over
    decision = session.exec(
        select(RecommendationDecision).where(RecommendationDecision.patient_id == pid)
    ).one()
    assert (decision.decision, decision.action, decision.regimen_id, decision.new_regimen_id) == (
        "accepted",
        "shorten_interval",
        before.regimen_id,
        new.id,
    )
    assert evaluate_patient(session, patient_id=pid, on=TODAY).recommendation is None
    with pytest.raises(Conflict):
        recommendations.accept_recommendation(
            session, actor=SYSTEM, patient_id=pid, on=TODAY, today=TODAY
        )


def test_a_dismissal_is_remembered_for_the_regimen_and_writes_none(session):
    pid = _wearing_off(session)
    regimens_before = session.exec(select(Regimen).where(Regimen.patient_id == pid)).all()

    decision = recommendations.dismiss_recommendation(
        session, actor=SYSTEM, patient_id=pid, reason="travelling; review at clinic", today=TODAY
    )

    assert (decision.decision, decision.reason) == ("dismissed", "travelling; review at clinic")
    after = evaluate_patient(session, patient_id=pid, on=TODAY)
    assert after.recommendation is None and after.has_flag("waning_response")
    assert session.exec(select(Regimen).where(Regimen.patient_id == pid)).all() == regimens_before
    with pytest.raises(Conflict):
        recommendations.dismiss_recommendation(
            session, actor=SYSTEM, patient_id=pid, reason="again", today=TODAY
        )


def test_with_nothing_recommended_both_are_refused(session):
    pid = patient_with_regimen(session, today=TODAY, starts_on=TODAY, mrn="REC-2")
    with pytest.raises(Conflict):
        recommendations.accept_recommendation(
            session, actor=SYSTEM, patient_id=pid, on=TODAY, today=TODAY
        )
    with pytest.raises(Conflict):
        recommendations.dismiss_recommendation(
            session, actor=SYSTEM, patient_id=pid, reason="no", today=TODAY
        )
