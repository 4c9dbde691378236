"""The daily sweep re-evaluates only expired states, and that is as good as a full one."""

from datetime import date, timedelta

from sqlmodel import select
from typer.testing import CliRunner

from tests.builders.rows import add_patient, book
from tests.builders.settings import mail_settings
from tracker.demo import load_demo
from tracker.jobs.sweep import run_sweep
from tracker.services import outbox
from tracker.services.evaluation import refresh_state
from tracker.services.reminders import stored_findings
from tracker.services.state_check import check_states
from tracker.store.engine import session_scope
from tracker.store.models import Infusion, OutboxMessage, PatientState

TODAY = date(2026, 3, 2)
SETTINGS = mail_settings()
DAYS = 40


def _keys(session) -> list[tuple[str, str]]:
    session.expire_all()
    return sorted(
        (row.dedup_key, row.status)
        for row in session.exec(select(OutboxMessage).where(OutboxMessage.kind != outbox.DIGEST))
    )


def _simulate(connection, session, *, full: bool) -> tuple[list[int], list[tuple[str, str]]]:
    """A sweep a day for DAYS days (after a first full one); each day's evaluated count,
    checking every state against the full evaluation after each sweep."""
    counts = []
    for n in range(DAYS):
        day = TODAY + timedelta(days=n)
        if n == 12:
            # A write in the middle: a booking cancelled inside its window, as the pages do
            # (the state refreshed at once, no e-mail until the sweep reads the states).
            course = session.exec(
                select(Infusion).where(Infusion.status == "booked", Infusion.scheduled_on > day)
            ).first()
            assert course is not None
            course.status = "cancelled"
            session.flush()
            refresh_state(session, patient_id=course.patient_id, today=day)
            session.commit()
        result = run_sweep(connection, on=day, settings=SETTINGS, full=full or n == 0)
        counts.append(result.patients)
        check = check_states(session, on=day, sample=None)
        assert check.differences == [], (day, check.describe())
    return counts, _keys(session)


def test_a_daily_sweep_keeps_every_state_as_the_full_evaluation_says(connection, session):
    summary = load_demo(session, patients=60, seed=11, today=TODAY, zone="UTC")
    session.commit()
    patients = len(session.exec(select(PatientState.patient_id)).all()) or summary.patients
    session.commit()  # the session holds no savepoint across the one below
    start = connection.begin_nested()
    daily, daily_mail = _simulate(connection, session, full=False)
    session.commit()
    start.rollback()  # back to the day the cohort was loaded, for the full sweeps
    session.expire_all()
    everyone, full_mail = _simulate(connection, session, full=True)
    # Same states every day (checked inside), the same e-mails, far fewer evaluations.
    assert daily_mail == full_mail
    assert any(k.startswith("window-open:") for k, _ in full_mail)
    assert any(k.startswith("infusion-reminder:") for k, _ in full_mail)
    assert everyone == [everyone[0]] * DAYS and everyone[0] >= patients
    assert daily[0] == everyone[0]
    assert sum(daily[1:]) < sum(everyone[1:]) / 3, daily


def test_verify_reports_nothing_then_a_planted_difference(connection, session):
    load_demo(session, patients=20, seed=4, today=TODAY, zone="UTC")
    session.commit()
    run_sweep(connection, on=TODAY, settings=SETTINGS, full=True)
    assert check_states(session, on=TODAY, sample=None).differences == []
    assert check_states(session, on=TODAY, sample=5, seed=1).checked == 5
    state = session.exec(select(PatientState).order_by(PatientState.patient_id)).first()
    assert state is not None
    state.due_on = (state.due_on or TODAY) + timedelta(days=1)
    state.recommendation_reason = "planted"
    session.commit()
    check = check_states(session, on=TODAY, sample=None)
    (difference,) = check.differences
    assert difference.patient_id == state.patient_id
    assert {"due_on", "recommendation_reason"} <= set(difference.fields)
    assert f"patient {state.patient_id}: due_on" in check.describe()
    # A state kept past its expiry is a difference too, even when its values still hold.
    other = session.exec(select(PatientState).order_by(PatientState.patient_id.desc())).first()
    assert other is not None
    other.expires_on = TODAY
    session.commit()
    assert len(check_states(session, on=TODAY, sample=None).differences) == 2


def test_the_command_verifies_and_fails_on_a_difference(committed_engine, monkeypatch):
    from tracker.cli.main import app

    with session_scope(committed_engine) as session:
        patient = add_patient(session, "V-1", regimen_from=TODAY - timedelta(days=20))
        book(session, patient, TODAY + timedelta(days=2))
    runner = CliRunner()
    monkeypatch.setattr("tracker.store.engine.get_engine", lambda: committed_engine)
    run_sweep(committed_engine, on=TODAY, settings=SETTINGS)
    ok = runner.invoke(app, ["sweep", "--verify", "--all", "--on", TODAY.isoformat()])
    assert ok.exit_code == 0, ok.output
    assert "checked 1 patients" in ok.output and "0 differ" in ok.output
    with session_scope(committed_engine) as session:
        state = session.get(PatientState, patient.id)
        assert state is not None
        state.next_booking_on = None
    bad = runner.invoke(app, ["sweep", "--verify", "--on", TODAY.isoformat()])
    assert bad.exit_code == 1 and f"patient {patient.id}: next_booking_on" in bad.output


def test_full_and_daily_counts(connection, session):
    for i in range(5):
        add_patient(session, f"C-{i}", regimen_from=TODAY - timedelta(days=20))
    session.commit()
    assert run_sweep(connection, on=TODAY, settings=SETTINGS).patients == 5  # no states yet
    assert run_sweep(connection, on=TODAY, settings=SETTINGS).patients == 0
    assert run_sweep(connection, on=TODAY, settings=SETTINGS, full=True).patients == 5
    add_patient(session, "C-new", regimen_from=TODAY)
    session.commit()
    assert run_sweep(connection, on=TODAY + timedelta(days=1), settings=SETTINGS).patients == 1
    # Every state is kept at most four weeks, whatever the calendar says.
    assert run_sweep(connection, on=TODAY + timedelta(days=29), settings=SETTINGS).patients == 6


def test_bulk_reminders_are_written_exactly_once(connection, session):
    courses = []
    for i in range(7):
        patient = add_patient(
            session, f"B-{i}", email=f"b{i}@example.org", regimen_from=TODAY - timedelta(days=20)
        )
        courses.append(book(session, patient, TODAY + timedelta(days=1 + i % 3), chair_code=None))
    session.commit()
    for n in range(3):
        run_sweep(connection, on=TODAY + timedelta(days=n), settings=SETTINGS)
    run_sweep(connection, on=TODAY, settings=SETTINGS, full=True)
    keys = [k for k, _ in _keys(session) if k.startswith("infusion-reminder:")]
    assert len(keys) == len(set(keys)) == 7
    assert {int(k.split(":")[1]) for k in keys} == {c.id for c in courses}


def test_findings_are_read_a_page_at_a_time_and_none_is_lost(connection, session):
    load_demo(session, patients=20, seed=4, today=TODAY, zone="UTC")
    session.commit()
    run_sweep(connection, on=TODAY, settings=SETTINGS, full=True)
    whole = [f.patient_id for f in stored_findings(session, on=TODAY)]
    assert len(whole) > 3
    assert [f.patient_id for f in stored_findings(session, on=TODAY, page=2)] == whole
    assert [f.patient_id for f in stored_findings(session, on=TODAY, page=len(whole))] == whole
    # Once the sweep has mailed, only the findings with an e-mail not yet written are read
    # (here: patients who cannot be reached, whose window notice is never written).
    written = {k for k, _ in _keys(session)}

    def unwritten(found) -> bool:
        ev = found.evaluation
        keys = []
        if ev.has_flag("needs_booking") and ev.window_start <= TODAY <= ev.window_end:
            keys.append(outbox.window_open_key(found.patient_id, ev.window_start))
        waning = next((f for f in ev.flags if f.code == "waning_response"), None)
        if waning is not None:
            keys.append(outbox.waning_alert_key(found.patient_id, ev.regimen_id, waning.patterns))
        if ev.recommendation is not None and ev.recommendation.action == "max_dose_reached":
            keys.append(outbox.max_dose_alert_key(found.patient_id, ev.regimen_id))
        return any(k not in written for k in keys)

    expected = [f.patient_id for f in stored_findings(session, on=TODAY) if unwritten(f)]
    assert len(expected) < len(whole)
    unmailed = stored_findings(session, on=TODAY, page=3, unmailed_only=True)
    assert [f.patient_id for f in unmailed] == expected
