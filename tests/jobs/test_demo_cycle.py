"""`tracker demo`, `tracker sweep`, `tracker outbox send`: the expected mail, then none."""

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import and_
from sqlmodel import select

from tests.builders.settings import PHARMACY
from tests.jobs.processes import run_tracker, tracker_env
from tracker.services.worklist import flag_conditions
from tracker.store.engine import session_scope
from tracker.store.models import Infusion, OutboxMessage, Patient, PatientState

DAY = date(2026, 6, 10)


def _expected_recipients(engine, day: date) -> Counter:
    """Who should hear from us, worked out from the patients, courses and their states."""
    reachable = and_(
        Patient.status == "active", Patient.reminder_consent, Patient.email.is_not(None)
    )
    with session_scope(engine, write=False) as session:
        reminders = session.exec(
            select(Patient.email)
            .join(Infusion, Infusion.patient_id == Patient.id)
            .where(
                reachable,
                Infusion.status == "booked",
                Infusion.scheduled_on > day,
                Infusion.scheduled_on <= day + timedelta(days=3),
            )
        ).all()
        flags = flag_conditions(day)
        window_open = session.exec(
            select(Patient.email)
            .join(PatientState, PatientState.patient_id == Patient.id)
            .where(
                reachable,
                flags["needs_booking"],
                PatientState.window_start <= day,
                PatientState.window_end >= day,
            )
        ).all()
        active = PatientState.status == "active"
        waning = session.exec(
            select(PatientState.patient_id).where(active, PatientState.waning_patterns.is_not(None))
        ).all()
        max_dose = session.exec(
            select(PatientState.patient_id).where(
                active, PatientState.recommendation_action == "max_dose_reached"
            )
        ).all()
        to_report = session.exec(
            select(PatientState.patient_id).where(
                flags["overdue"] | flags["needs_booking"] | flags["booking_outside_window"]
            )
        ).all()
    expected = Counter(reminders) + Counter(window_open)
    expected[PHARMACY] = len(waning) + len(max_dose) + (1 if to_report or waning else 0)
    return expected


def test_demo_sweep_and_send_deliver_the_expected_mail_and_repeating_delivers_none(
    committed_engine,
    database_url,
    smtp_server,
    tmp_path,
):
    env = tracker_env(database_url, smtp_server.port, pharmacy_email=PHARMACY)
    log = tmp_path / "commands.log"
    run_tracker(["demo", "--patients", "40", "--seed", "11", "--today", DAY.isoformat()], env, log)
    run_tracker(["sweep", "--on", DAY.isoformat()], env, log)
    expected = _expected_recipients(committed_engine, DAY)
    # A cohort that exercises every kind of patient mail and the pharmacy's.
    assert sum(expected.values()) - expected[PHARMACY] >= 1 and expected[PHARMACY] >= 2

    run_tracker(["outbox", "send"], env, log)
    received = smtp_server.collector.messages()
    assert Counter(r.rcpt_tos[0] for r in received) == expected
    assert len({r.message_id for r in received}) == len(received)

    run_tracker(["sweep", "--on", DAY.isoformat()], env, log)
    run_tracker(["outbox", "send"], env, log)
    assert smtp_server.collector.count() == len(received)
    with session_scope(committed_engine, write=False) as session:
        statuses = Counter(session.exec(select(OutboxMessage.status)).all())
    assert statuses == {"sent": len(received)}
