"""The sweep writes each e-mail once: reminders, window notices, alerts and the digest."""

import threading
from datetime import date, time, timedelta

import pytest
from sqlmodel import select

from tests.builders.rows import add_patient, book, give
from tests.builders.settings import PHARMACY, mail_settings
from tracker.jobs.sweep import run_sweep
from tracker.rules import Evaluation, Flag, Recommendation
from tracker.services import outbox
from tracker.services.actors import SYSTEM
from tracker.services.errors import Conflict
from tracker.services.reminders import Finding, queue_alerts, refresh_course_reminder
from tracker.store.engine import session_scope
from tracker.store.models import OutboxMessage, SitePolicyRow
from tracker.store.types import utcnow

D = date(2026, 6, 10)  # a Wednesday in British Summer Time
SETTINGS = mail_settings()


def _rows(session, kind: str | None = None) -> list[OutboxMessage]:
    session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(session.exec(query).all())


def _sweep(connection, day: date, settings=SETTINGS, **kwargs):
    return run_sweep(connection, on=day, settings=settings, **kwargs)


def test_reminder_is_written_from_three_days_before_and_only_once(session, connection):
    patient = add_patient(session, "R-1", regimen_from=D - timedelta(days=20))
    course = book(session, patient, D + timedelta(days=5))
    session.commit()

    _sweep(connection, D)  # five days ahead: too early
    assert _rows(session, outbox.REMINDER) == []
    _sweep(connection, D + timedelta(days=2))  # three days ahead
    _sweep(connection, D + timedelta(days=3))
    _sweep(connection, D + timedelta(days=4))
    (reminder,) = _rows(session, outbox.REMINDER)
    assert reminder.dedup_key == f"infusion-reminder:{course.id}:{course.scheduled_on}T09:30"
    assert reminder.to_address == "ann.lee@example.org"
    assert reminder.infusion_id == course.id and reminder.status == "pending"


def test_no_reminder_without_consent_address_or_activity(session, connection):
    for mrn, changes in [
        ("N-1", {"consent": False}),
        ("N-2", {"email": None}),
        ("N-3", {"status": "on_hold"}),
    ]:
        patient = add_patient(session, mrn, regimen_from=D - timedelta(days=20), **changes)
        book(session, patient, D + timedelta(days=2), chair_code=None)
    session.commit()
    _sweep(connection, D)
    assert _rows(session, outbox.REMINDER) == []


def test_moved_course_gets_a_fresh_reminder_and_the_old_one_is_withdrawn(session, connection):
    patient = add_patient(session, "M-1", regimen_from=D - timedelta(days=20))
    course = book(session, patient, D + timedelta(days=2))
    session.commit()
    _sweep(connection, D)
    course.scheduled_on = D + timedelta(days=3)
    session.commit()

    _sweep(connection, D)
    old, new = _rows(session, outbox.REMINDER)
    assert old.status == "withdrawn"
    assert new.status == "pending" and str(D + timedelta(days=3)) in new.dedup_key
    # The calendar entry keeps its UID and moves: a higher SEQUENCE.
    assert f"UID:infusion-{course.id}@hospital.example" in new.attachments[0]["content"]
    assert "SEQUENCE:1" in new.attachments[0]["content"]

    course.scheduled_on = D + timedelta(days=2)  # and back again: the first row returns
    session.commit()
    _sweep(connection, D)
    statuses = {r.dedup_key: r.status for r in _rows(session, outbox.REMINDER)}
    assert statuses == {old.dedup_key: "pending", new.dedup_key: "withdrawn"}


def test_cancelled_course_reminder_is_withdrawn_and_none_is_written(session, connection):
    patient = add_patient(session, "C-1", regimen_from=D - timedelta(days=20))
    course = book(session, patient, D + timedelta(days=2))
    session.commit()
    _sweep(connection, D)
    course.status = "cancelled"
    session.commit()
    _sweep(connection, D)
    _sweep(connection, D + timedelta(days=1))
    assert [r.status for r in _rows(session, outbox.REMINDER)] == ["withdrawn"]


def test_withdraw_reminders_leaves_sent_ones_alone(session, connection):
    patient = add_patient(session, "W-1", regimen_from=D - timedelta(days=20))
    course = book(session, patient, D + timedelta(days=2))
    session.commit()
    _sweep(connection, D)
    (pending,) = _rows(session, outbox.REMINDER)
    assert outbox.enqueue(
        session,
        dedup_key="infusion-reminder:old",
        kind=outbox.REMINDER,
        to_address="ann.lee@example.org",
        subject="s",
        body_text="b",
        infusion_id=course.id,
        patient_id=patient.id,
    )
    session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.dedup_key == "infusion-reminder:old")
        .values(status="sent")
    )
    assert outbox.withdraw_reminders(session, infusion_id=course.id) == 1
    statuses = {r.dedup_key: r.status for r in _rows(session, outbox.REMINDER)}
    assert statuses == {pending.dedup_key: "withdrawn", "infusion-reminder:old": "sent"}


def _window_opens_on_d(session, mrn: str, **changes):
    # Last course D-25 every 28 days: due D+3, window D to D+6.
    patient = add_patient(session, mrn, regimen_from=D - timedelta(days=60), **changes)
    give(session, patient, D - timedelta(days=25))
    return patient


def test_window_notice_once_per_window_and_the_policy_can_turn_it_off(session, connection):
    patient = _window_opens_on_d(
        session, "O-1", given="Beatrix", family="Quimby", email="bq@example.org"
    )
    session.commit()
    _sweep(connection, D - timedelta(days=1))  # the window is not open yet
    assert _rows(session, outbox.WINDOW_OPEN) == []
    _sweep(connection, D)
    _sweep(connection, D + timedelta(days=1))
    (notice,) = _rows(session, outbox.WINDOW_OPEN)
    assert notice.dedup_key == f"window-open:{patient.id}:{D}"
    assert notice.to_address == "bq@example.org"
    assert "Beatrix" in notice.body_text and "Quimby" not in notice.body_text

    _window_opens_on_d(session, "O-2", email="o2@example.org")
    session.add(SitePolicyRow(id=1, values={"notify_window_open": False}))
    session.commit()
    _sweep(connection, D + timedelta(days=2))
    assert len(_rows(session, outbox.WINDOW_OPEN)) == 1


def test_patient_emails_carry_no_diagnosis_dose_product_or_family_name(session, connection):
    _window_opens_on_d(session, "P-1", given="Beatrix", family="Quimby", email="bq@example.org")
    other = add_patient(
        session,
        "P-2",
        given="Cyril",
        family="Quimby",
        email="cq@example.org",
        regimen_from=D - timedelta(days=20),
    )
    book(session, other, D + timedelta(days=3), chair_code="C3")
    session.commit()
    _sweep(connection, D)
    mails = [r for r in _rows(session) if r.kind in outbox.PATIENT_KINDS]
    assert sorted(r.kind for r in mails) == [outbox.REMINDER, outbox.WINDOW_OPEN]
    for mail in mails:
        everything = " ".join(
            [mail.subject, mail.body_text, mail.body_html or ""]
            + [a["content"] for a in mail.attachments]
        ).lower()
        for word in (
            "mmn",
            "neuropathy",
            "immunoglobulin",
            "ivig",
            "g/kg",
            "dose",
            "privigen",
            "quimby",
            "p-1",
            "p-2",
            "70 g",
        ):
            assert word not in everything, (word, mail.subject)
        assert "0161 555 0100" in mail.body_text and "Northside Infusion Suite" in mail.body_text


def _evaluation(regimen_id: int, patterns=("end_of_dose",), action="shorten_interval"):
    return Evaluation(
        on=D,
        regimen_id=regimen_id,
        due_on=D,
        window_start=D,
        window_end=D,
        next_booking=None,
        flags=(Flag("waning_response", patterns, "grip fell 12 kPa"),) if patterns else (),
        recommendation=Recommendation(action, None, None, "because"),
        needs_booking_from=None,
        overdue_from=None,
        review_due_from=None,
        next_review_on=None,
        weight_stale_from=None,
    )


def test_alerts_are_written_once_per_regimen_and_pattern(session):
    patient = add_patient(session, "A-1")

    def alert(evaluation):
        finding = Finding(patient.id, "A-1", "Ann", None, False, evaluation)
        return [a.text for a in queue_alerts(session, finding=finding, settings=SETTINGS)]

    assert alert(_evaluation(7)) == ["waning response (end-of-dose)"]
    assert alert(_evaluation(7)) == []
    assert alert(_evaluation(7, ("end_of_dose", "progressive"))) == [
        "waning response (end-of-dose, progressive)"
    ]
    assert alert(_evaluation(8)) == ["waning response (end-of-dose)"]  # a new regimen
    assert alert(_evaluation(8, (), "max_dose_reached")) == ["maximum dose reached"]
    assert alert(_evaluation(8, (), "max_dose_reached")) == []
    rows = _rows(session, outbox.ALERT)
    assert {r.to_address for r in rows} == {PHARMACY}
    assert [r.dedup_key for r in rows] == [
        f"alert-waning:{patient.id}:7:end_of_dose",
        f"alert-waning:{patient.id}:7:end_of_dose+progressive",
        f"alert-waning:{patient.id}:8:end_of_dose",
        f"alert-max-dose:{patient.id}:8",
    ]
    assert f"https://tracker.hospital.example/patients/{patient.id}" in rows[0].body_text
    no_pharmacy = mail_settings(pharmacy_email=None)
    finding = Finding(patient.id, "A-1", "Ann", None, False, _evaluation(9))
    assert queue_alerts(session, finding=finding, settings=no_pharmacy) == []


def test_digest_lists_the_day_once_with_failed_mail_since_the_last_one(session, connection):
    overdue = add_patient(session, "DG-1", regimen_from=D - timedelta(days=80))
    give(session, overdue, D - timedelta(days=45))  # window closed D-14
    session.add(
        OutboxMessage(
            dedup_key="old-failure",
            kind=outbox.REMINDER,
            to_address="gone@example.org",
            subject="s",
            body_text="b",
            status="failed",
            failed_at=utcnow() - timedelta(hours=2),
            last_error="recipient refused: 550 No such user here",
        )
    )
    session.commit()

    _sweep(connection, D)
    _sweep(connection, D)
    (digest,) = _rows(session, outbox.DIGEST)
    assert digest.dedup_key == f"digest:{D}" and digest.to_address == PHARMACY
    assert "Overdue (1)" in digest.body_text and "Needs booking (1)" in digest.body_text
    assert f"https://tracker.hospital.example/patients/{overdue.id}" in digest.body_text
    assert "MRN DG-1" in digest.body_html
    assert "E-mails that could not be sent (1)" in digest.body_text
    assert "gone@example.org: recipient refused: 550" in digest.body_text

    _sweep(connection, D + timedelta(days=1))
    digests = _rows(session, outbox.DIGEST)
    assert len(digests) == 2
    assert "could not be sent" not in digests[1].body_text  # reported yesterday already


def test_nothing_for_the_pharmacy_without_its_address(session, connection):
    overdue = add_patient(session, "NP-1", regimen_from=D - timedelta(days=80))
    give(session, overdue, D - timedelta(days=45))
    session.commit()
    _sweep(connection, D, settings=mail_settings(pharmacy_email=None))
    assert _rows(session) == []


def test_scheduled_sweep_runs_once_per_day_and_the_command_whenever_asked(session, connection):
    add_patient(session, "S-1", regimen_from=D - timedelta(days=20))
    session.commit()
    assert not _sweep(connection, D, once_per_day=True).skipped
    assert _sweep(connection, D, once_per_day=True).skipped
    assert _sweep(connection, D - timedelta(days=1), once_per_day=True).skipped
    # `tracker sweep` always sweeps: the daily one finds the state evaluated for D still
    # current (it expires later), `--full` re-evaluates it anyway.
    again = _sweep(connection, D)
    assert not again.skipped and again.patients == 0
    assert _sweep(connection, D, full=True).patients == 1
    assert not _sweep(connection, D + timedelta(days=1), once_per_day=True).skipped


def test_two_sweeps_at_once_write_each_message_once(committed_engine):
    with session_scope(committed_engine) as session:
        for i in range(6):
            patient = add_patient(
                session, f"T-{i}", email=f"t{i}@example.org", regimen_from=D - timedelta(days=20)
            )
            book(
                session,
                patient,
                D + timedelta(days=2),
                chair_code=f"C{i % 4 + 1}",
                start=None if i < 4 else time(14, i),
            )
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def sweep() -> None:
        try:
            barrier.wait()
            run_sweep(committed_engine, on=D, settings=SETTINGS)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with session_scope(committed_engine, write=False) as session:
        keys = session.exec(
            select(OutboxMessage.dedup_key).where(OutboxMessage.kind == outbox.REMINDER)
        ).all()
    assert len(keys) == 6 == len(set(keys))


def test_booking_pages_can_queue_and_withdraw_a_reminder_at_once(session):
    patient = add_patient(session, "B-1", regimen_from=D - timedelta(days=20))
    course = book(session, patient, D + timedelta(days=9))
    assert not refresh_course_reminder(
        session, infusion_id=course.id, today=D, settings=SETTINGS
    )  # too far ahead
    course.scheduled_on = D + timedelta(days=1)
    assert refresh_course_reminder(session, infusion_id=course.id, today=D, settings=SETTINGS)
    course.start_time = time(13, 0)  # moved within the day: a fresh reminder
    assert refresh_course_reminder(session, infusion_id=course.id, today=D, settings=SETTINGS)
    course.status = "cancelled"
    assert not refresh_course_reminder(session, infusion_id=course.id, today=D, settings=SETTINGS)
    day = D + timedelta(days=1)
    assert [(r.dedup_key, r.status) for r in _rows(session)] == [
        (outbox.reminder_key(course.id, day, time(9, 30)), "withdrawn"),
        (outbox.reminder_key(course.id, day, time(13, 0)), "withdrawn"),
    ]


def test_the_sweep_clears_the_text_of_long_finished_mail_and_never_resends_it(session, connection):
    patient = add_patient(session, "K-1", regimen_from=D - timedelta(days=20))
    book(session, patient, D + timedelta(days=2))
    session.commit()
    _sweep(connection, D)
    (reminder,) = _rows(session, outbox.REMINDER)
    long_ago, lately = utcnow() - timedelta(days=91), utcnow() - timedelta(days=89)
    for key, status, when in (
        ("old-sent", "sent", long_ago),
        ("new-sent", "sent", lately),
        ("old-failed", "failed", long_ago),
        ("old-pending", "pending", long_ago),
    ):
        outbox.enqueue(
            session,
            dedup_key=key,
            kind=outbox.DIGEST,
            subject="s",
            to_address="pharmacy@example.org",
            body_text="Ann Lee, Friday",
        )
        session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.dedup_key == key)
            .values(status=status, sent_at=when, failed_at=when, created_at=when)
        )
    session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.id == reminder.id)
        .values(status="sent", sent_at=long_ago)
    )
    session.commit()

    result = _sweep(connection, D + timedelta(days=1))
    assert result.cleared == 3 and "cleared the text of 3" in result.describe()
    texts = {row.dedup_key: (row.status, row.body_text) for row in _rows(session)}
    assert texts["old-sent"] == ("sent", "") and texts["old-failed"] == ("failed", "")
    assert texts[reminder.dedup_key] == ("sent", "")
    assert texts["new-sent"][1] and texts["old-pending"][1]  # recent or still to go: kept
    # The same reminder is not written again: its key is still there.
    assert not outbox.enqueue(
        session,
        dedup_key=reminder.dedup_key,
        kind=outbox.REMINDER,
        to_address="a@b.c",
        subject="s",
        body_text="again",
    )
    with pytest.raises(Conflict, match="retention"):
        outbox.retry_failed(session, actor=SYSTEM, outbox_id=_by_key(session, "old-failed"))
    assert _sweep(connection, D + timedelta(days=2)).cleared == 0


def _by_key(session, key: str) -> int:
    return session.exec(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)).one()
