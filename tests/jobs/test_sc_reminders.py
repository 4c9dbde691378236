"""Issue 19: the sweep reminds a self-infusing patient on the day their next SC course is
due (clinical rules 9), once, through the outbox, in one read of who is due."""

from datetime import date, timedelta

from sqlalchemy import delete, event
from sqlmodel import select

from tests.builders.rows import add_patient, book, give
from tests.builders.settings import mail_settings
from tracker.jobs.sweep import run_sweep
from tracker.services import diary, outbox, sc_reminders
from tracker.services.actors import SYSTEM
from tracker.services.evaluation import refresh_state
from tracker.store.models import OutboxMessage, Regimen

D = date(2026, 6, 10)
SETTINGS = mail_settings()


def _sc_patient(session, mrn: str, *, last_given: date = D - timedelta(days=7), **patient):
    """A patient on a weekly SC regimen (18 g) whose last course was given `last_given`."""
    p = add_patient(session, mrn, regimen_from=D - timedelta(days=60), interval_days=7, **patient)
    regimen = session.exec(select(Regimen).where(Regimen.patient_id == p.id)).one()
    regimen.route, regimen.dose_g, regimen.dose_g_per_kg = "sc", 18, 0.25
    give(session, p, last_given)
    session.flush()
    return p


def _sc_mails(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.kind == outbox.SC_REMINDER)
            .order_by(OutboxMessage.id)
        ).all()
    )


def test_a_self_infusing_patient_is_reminded_once_on_the_due_day(session, connection):
    patient = _sc_patient(session, "SC-1", given="Beatrix", family="Quimby")
    session.commit()
    run_sweep(connection, on=D - timedelta(days=1), settings=SETTINGS)
    assert _sc_mails(session) == []
    for _ in range(2):
        result = run_sweep(connection, on=D, settings=SETTINGS)
    (mail,) = _sc_mails(session)
    assert mail.dedup_key == f"sc-reminder:{patient.id}:{D.isoformat()}"
    assert (mail.patient_id, mail.to_address, mail.status) == (
        patient.id,
        "ann.lee@example.org",
        "pending",
    )
    assert "10 June 2026" in mail.subject and "Dear Beatrix" in mail.body_text
    # The least health information: no product, dose or family name.
    everything = f"{mail.subject} {mail.body_text} {mail.body_html}".lower()
    for word in ("g/kg", "dose", "18 g", "immunoglobulin", "quimby", "sc-1", "mmn"):
        assert word not in everything, word
    assert "let your infusion team know" in mail.body_text
    assert result.describe().startswith("swept")
    # The next week's day is a new reminder (the course recorded as the services record it:
    # the write re-evaluates the patient, so the incremental sweep need not).
    give(session, patient, D)
    refresh_state(session, patient_id=patient.id, today=D)
    session.commit()
    run_sweep(connection, on=D + timedelta(days=7), settings=SETTINGS)
    assert [m.dedup_key for m in _sc_mails(session)][-1].endswith((D + timedelta(7)).isoformat())


def test_a_patient_with_a_diary_link_is_told_to_record_it_there(session, connection):
    patient = _sc_patient(session, "SC-D")
    diary.issue_link(session, actor=SYSTEM, patient_id=patient.id, today=D - timedelta(days=3))
    session.commit()
    run_sweep(connection, on=D, settings=SETTINGS)
    (mail,) = _sc_mails(session)
    assert "open the diary link your infusion team gave you" in mail.body_text
    assert "diary link" in (mail.body_html or "")
    # The link itself is never in a mail: only its digest is kept.
    assert "/diary/" not in mail.body_text


def test_no_reminder_unless_sc_due_today_consenting_active_and_not_booked(session, connection):
    _sc_patient(session, "N-CONSENT", consent=False)
    _sc_patient(session, "N-EMAIL", email=None)
    _sc_patient(session, "N-HOLD", status="on_hold")
    _sc_patient(session, "N-NOT-DUE", last_given=D - timedelta(days=3))
    booked = _sc_patient(session, "N-CHAIR")
    book(session, booked, D)  # in the centre: the appointment reminder covers it
    iv = add_patient(session, "N-IV", regimen_from=D - timedelta(days=60), interval_days=28)
    give(session, iv, D - timedelta(days=28))
    session.commit()
    run_sweep(connection, on=D, settings=SETTINGS)
    assert _sc_mails(session) == []


def test_the_reminders_are_queued_in_three_statements_whatever_the_number_of_patients(
    session, connection, monkeypatch
):
    for n in range(6):
        _sc_patient(session, f"SC-BULK-{n}")
    session.commit()
    run_sweep(connection, on=D, settings=SETTINGS)  # the states for D, and their mails
    assert len(_sc_mails(session)) == 6
    written_before = {m.dedup_key for m in _sc_mails(session)}
    # The six deleted, then two written again first, as if a sweep had stopped after them.
    session.exec(delete(OutboxMessage).where(OutboxMessage.kind == outbox.SC_REMINDER))
    session.flush()
    due = sc_reminders.due_sc_days
    with monkeypatch.context() as patch:
        patch.setattr(sc_reminders, "due_sc_days", lambda session, on: due(session, on=on)[:2])
        assert queue_sc_reminders_counted(session, connection) == (
            2,
            ["SELECT", "SELECT", "INSERT"],
        )
    # The rest: who is due, the keys already there, one insert of the four new rows.
    assert queue_sc_reminders_counted(session, connection) == (4, ["SELECT", "SELECT", "INSERT"])
    assert {m.dedup_key for m in _sc_mails(session)} == written_before
    # Nothing new: the two reads, no insert.
    assert queue_sc_reminders_counted(session, connection) == (0, ["SELECT", "SELECT"])
    assert len(_sc_mails(session)) == 6


def queue_sc_reminders_counted(session, connection):
    """queue_sc_reminders for D: how many it wrote, and the first word of each statement it
    sent."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(connection, "before_cursor_execute", count)
    try:
        written = sc_reminders.queue_sc_reminders(session, on=D, settings=SETTINGS)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    return written, statements
