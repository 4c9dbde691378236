"""The dispatcher against a real SMTP server: delivered once, retried, never lost."""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
from sqlmodel import select

from tests.builders.rows import add_patient, book, give
from tests.builders.settings import PHARMACY, mail_settings
from tests.conftest_mail import SmtpServer, free_port
from tracker.jobs.dispatch import run_dispatch
from tracker.jobs.sweep import run_sweep
from tracker.services import outbox
from tracker.store.engine import session_scope
from tracker.store.models import Infusion, OutboxMessage
from tracker.store.types import utcnow

LONDON = ZoneInfo("Europe/London")
D = date(2026, 10, 22)  # the Sunday after is the end of British Summer Time


def _rows(engine) -> list[OutboxMessage]:
    with session_scope(engine, write=False) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def _queue(engine, count: int, prefix: str = "m") -> None:
    with session_scope(engine) as session:
        for i in range(count):
            outbox.enqueue(
                session,
                dedup_key=f"{prefix}-{i}",
                kind=outbox.ALERT,
                to_address=f"{prefix}{i}@example.org",
                subject=f"Message {i}",
                body_text=f"body {i}",
            )


def test_reminders_arrive_with_recipients_content_and_a_valid_ics(committed_engine, smtp_server):
    settings = mail_settings(smtp_server.port)
    with session_scope(committed_engine) as session:
        timed = add_patient(
            session,
            "RM-1",
            given="Beatrix",
            family="Quimby",
            email="beatrix@example.org",
            regimen_from=D - timedelta(days=40),
        )
        # Booked for Monday 26 October, the day after the clocks go back: 09:30 GMT.
        course = book(
            session, timed, date(2026, 10, 26), start=time(9, 30), chair_code="C2", minutes=195
        )
        whole_day = add_patient(
            session,
            "RM-2",
            given="Cyril",
            email="cyril@example.org",
            regimen_from=D - timedelta(days=40),
        )
        for patient in (timed, whole_day):
            give(session, patient, D - timedelta(days=24))  # window D+1 to D+7
        book(session, whole_day, date(2026, 10, 24), start=None, chair_code=None, days=2)
        overdue = add_patient(session, "RM-3", email=None, regimen_from=D - timedelta(days=90))
        give(session, overdue, D - timedelta(days=50))
    sweep = run_sweep(committed_engine, on=D + timedelta(days=1), settings=settings)
    assert sweep.queued == {
        outbox.REMINDER: 2,
        outbox.SC_REMINDER: 0,
        outbox.DIGEST: 1,
        outbox.WINDOW_OPEN: 0,
        outbox.ALERT: 0,
    }

    result = run_dispatch(committed_engine, settings=settings)
    assert (result.sent, result.retrying, result.failed) == (3, 0, 0)
    received = {r.rcpt_tos: r for r in smtp_server.collector.messages()}
    assert set(received) == {("beatrix@example.org",), ("cyril@example.org",), (PHARMACY,)}
    rows = {r.to_address: r for r in _rows(committed_engine)}
    assert all(r.status == "sent" and r.sent_at is not None for r in rows.values())

    mail = received[("beatrix@example.org",)]
    assert mail.mail_from == "infusions@hospital.example"
    assert mail.message["From"] == "Infusion Suite <infusions@hospital.example>"
    assert mail.message["Subject"] == "Reminder: your appointment on Monday 26 October 2026"
    assert mail.message_id == rows["beatrix@example.org"].message_id  # recorded at claim
    assert mail.message["Auto-Submitted"] == "auto-generated"
    text = mail.message.get_body(("plain",)).get_content()
    html = mail.message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Beatrix" in body and "Quimby" not in body
        assert "Monday 26 October 2026" in body and "09:30" in body
        assert "Chair 2" in body and "0161 555 0100" in body
    (attachment,) = list(mail.message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "appointment.ics"
    (event,) = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2026, 10, 26, 9, 30, tzinfo=LONDON)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=195)
    assert str(event["UID"]) == f"infusion-{course.id}@hospital.example"
    assert str(event["LOCATION"]) == "Northside Infusion Suite, Chair 2"

    (cal,) = list(received[("cyril@example.org",)].message.iter_attachments())
    (event,) = icalendar.Calendar.from_ical(cal.get_content()).walk("VEVENT")
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (
        date(2026, 10, 24),
        date(2026, 10, 26),
    )
    digest = received[(PHARMACY,)].message.get_body(("plain",)).get_content()
    assert "Overdue (1)" in digest and "MRN RM-3" in digest

    assert run_dispatch(committed_engine, settings=settings).sent == 0
    assert smtp_server.collector.count() == 3


def test_smtp_down_loses_nothing_and_each_message_arrives_once_when_it_is_back(
    committed_engine,
):
    server = SmtpServer()  # not listening yet: connections are refused
    settings = mail_settings(server.port)
    _queue(committed_engine, 5)
    start = utcnow()
    down = run_dispatch(committed_engine, settings=settings, clock=lambda: start)
    # A server that is down is asked once a run, not once per message.
    assert (down.sent, down.retrying, down.failed) == (0, 1, 0)
    tried, *untried = _rows(committed_engine)
    assert tried.status == "pending" and tried.attempts == 1
    assert tried.last_error.startswith("ConnectionRefusedError")
    # Its first retry after 2 minutes, give or take 20%.
    assert start + timedelta(seconds=96) <= tried.next_attempt_at <= start + timedelta(seconds=144)
    for row in untried:
        assert (row.status, row.attempts, row.claimed_by) == ("pending", 0, None)

    server.start()
    try:
        later = start + timedelta(minutes=3)
        back = run_dispatch(committed_engine, settings=settings, clock=lambda: later)
        assert back.sent == 5
        assert run_dispatch(committed_engine, settings=settings, clock=lambda: later).sent == 0
        copies = server.collector.copies_by_message_id()
        assert len(copies) == 5 and set(copies.values()) == {1}
        assert sorted(r.rcpt_tos[0] for r in server.collector.messages()) == [
            f"m{i}@example.org" for i in range(5)
        ]
        assert {r.status for r in _rows(committed_engine)} == {"sent"}
    finally:
        server.stop()


def test_retries_back_off_to_an_hour_and_stop_after_a_day(committed_engine):
    settings = mail_settings(free_port())  # nobody will ever answer
    _queue(committed_engine, 1)
    first = utcnow()
    now = first
    delays = []
    rng = random.Random(5)
    for _ in range(60):
        run_dispatch(committed_engine, settings=settings, clock=lambda at=now: at, rng=rng)
        (row,) = _rows(committed_engine)
        if row.status == "failed":
            break
        delays.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert row.status == "failed" and row.failed_at == now
    assert row.first_attempt_at == first
    assert now - first == timedelta(hours=24)  # the last try lands on the deadline
    assert [round(d / timedelta(minutes=1)) for d in delays[:3]] != [2, 4, 8]  # jittered
    assert timedelta(minutes=1.6) <= delays[0] <= timedelta(minutes=2.4)
    assert timedelta(minutes=6.4) <= delays[2] <= timedelta(minutes=9.6)
    assert max(delays) <= timedelta(minutes=72)
    assert row.attempts == len(delays) + 1


def test_a_refused_recipient_fails_at_once_and_the_rest_are_sent(committed_engine, smtp_server):
    smtp_server.collector.refuse.add("m1@example.org")
    _queue(committed_engine, 3)
    result = run_dispatch(committed_engine, settings=mail_settings(smtp_server.port))
    assert (result.sent, result.failed) == (2, 1)
    statuses = {r.to_address: (r.status, r.attempts) for r in _rows(committed_engine)}
    assert statuses["m1@example.org"] == ("failed", 1)
    assert smtp_server.collector.count() == 2


def test_a_dead_dispatchers_claim_is_taken_over_with_the_same_message_id(
    committed_engine, smtp_server
):
    settings = mail_settings(smtp_server.port)
    _queue(committed_engine, 2)
    claimed_at = utcnow()
    with session_scope(committed_engine) as session:
        claimed = outbox.claim_due(
            session,
            worker="dead-worker",
            now=claimed_at,
            limit=1,
            claim_timeout=timedelta(minutes=5),
            mail_from=settings.mail_from,
        )
    assert (
        run_dispatch(
            committed_engine, settings=settings, clock=lambda: claimed_at + timedelta(minutes=4)
        ).sent
        == 1
    )
    assert smtp_server.collector.count() == 1  # the claimed one is still someone's

    late = claimed_at + timedelta(minutes=5, seconds=1)
    assert run_dispatch(committed_engine, settings=settings, clock=lambda: late).sent == 1
    assert claimed[0].message_id in smtp_server.collector.copies_by_message_id()
    assert {r.status for r in _rows(committed_engine)} == {"sent"}


def test_a_reminder_for_a_course_cancelled_after_queueing_is_not_sent(
    committed_engine, smtp_server
):
    settings = mail_settings(smtp_server.port, pharmacy_email=None)
    with session_scope(committed_engine) as session:
        patient = add_patient(session, "X-1", regimen_from=D - timedelta(days=40))
        course = book(session, patient, D + timedelta(days=2))
        keep = add_patient(
            session, "X-2", email="x2@example.org", regimen_from=D - timedelta(days=40)
        )
        book(session, keep, D + timedelta(days=2), chair_code="C3")
    run_sweep(committed_engine, on=D, settings=settings)
    with session_scope(committed_engine) as session:
        session.get(Infusion, course.id).status = "cancelled"  # no sweep, no web hook
    result = run_dispatch(committed_engine, settings=settings)
    assert (result.sent, result.skipped) == (1, 1)
    assert [r.rcpt_tos for r in smtp_server.collector.messages()] == [("x2@example.org",)]
    assert {r.to_address: r.status for r in _rows(committed_engine)} == {
        "ann.lee@example.org": "withdrawn",
        "x2@example.org": "sent",
    }


def test_a_booking_notice_is_not_sent_once_the_patient_has_booked(committed_engine, smtp_server):
    settings = mail_settings(smtp_server.port, pharmacy_email=None)
    with session_scope(committed_engine) as session:
        patient = add_patient(session, "WB-1", regimen_from=D - timedelta(days=60))
        give(session, patient, D - timedelta(days=25))  # window opens on D
    assert run_sweep(committed_engine, on=D, settings=settings).queued[outbox.WINDOW_OPEN] == 1
    with session_scope(committed_engine) as session:
        book(session, patient, D + timedelta(days=3))  # they phoned before we sent it
    assert run_dispatch(committed_engine, settings=settings).skipped == 1
    assert smtp_server.collector.count() == 0
    assert [r.status for r in _rows(committed_engine)] == ["withdrawn"]
