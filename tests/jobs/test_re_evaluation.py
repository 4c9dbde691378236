"""A policy change queues every patient's re-evaluation; the scheduler (or a sweep) runs it."""

from datetime import date, timedelta

from sqlmodel import select

from tests.builders.rows import add_patient, give
from tests.builders.settings import mail_settings
from tracker.jobs.re_evaluation import run_queued_re_evaluation
from tracker.jobs.scheduler import POLICY_JOB, TrackerScheduler
from tracker.jobs.sweep import run_sweep
from tracker.services import policy as policy_service
from tracker.services.actors import SYSTEM
from tracker.services.evaluation import refresh_all
from tracker.store.models import PatientState, SitePolicyRow

D = date(2026, 6, 10)


def _state(session, patient_id: int) -> PatientState:
    session.expire_all()
    return session.exec(select(PatientState).where(PatientState.patient_id == patient_id)).one()


def _patient_given_on(session, mrn: str, day: date):
    patient = add_patient(session, mrn, regimen_from=day - timedelta(days=60))
    give(session, patient, day)
    return patient


def _change_tolerance(session, days: int):
    change = policy_service.update_policy(
        session, actor=SYSTEM, changes={"due_tolerance_days": days}
    )
    session.commit()
    return change


def test_a_policy_change_only_queues_and_the_job_re_evaluates_everyone(session, connection):
    patients = [_patient_given_on(session, f"Q-{n}", D - timedelta(days=20)) for n in range(3)]
    refresh_all(session, today=D)
    session.commit()
    before = _state(session, patients[0].id)
    assert before.window_end == D - timedelta(days=20) + timedelta(days=28 + 3)

    change = _change_tolerance(session, 7)
    assert change.re_evaluation.startswith("queued")
    # Nothing re-evaluated inside the change itself.
    assert _state(session, patients[0].id).window_end == before.window_end
    assert policy_service.queued_re_evaluation(session) is not None

    result = run_queued_re_evaluation(connection, on=D)
    assert (result.ran, result.patients) == (True, 3)
    for patient in patients:
        assert _state(session, patient.id).window_end == D - timedelta(days=20) + timedelta(
            days=28 + 7
        )
    session.expire_all()
    assert policy_service.queued_re_evaluation(session) is None
    # The next tick finds nothing waiting.
    assert run_queued_re_evaluation(connection, on=D).ran is False


def test_a_change_made_during_a_run_is_left_queued_for_the_next(session, connection):
    _patient_given_on(session, "L-1", D - timedelta(days=20))
    _change_tolerance(session, 5)
    first = policy_service.queued_re_evaluation(session)
    # A second change lands after the run read the marker: the run must not clear it.
    session.get(SitePolicyRow, 1).re_evaluation_queued_at = first + timedelta(seconds=5)
    session.commit()
    policy_service.clear_re_evaluation(session, seen=first)
    session.commit()
    session.expire_all()
    assert policy_service.queued_re_evaluation(session) == first + timedelta(seconds=5)


def test_a_display_only_change_queues_nothing(session):
    change = policy_service.update_policy(session, actor=SYSTEM, changes={"weight_unit": "lb"})
    assert change.re_evaluation.startswith("not needed")
    assert policy_service.queued_re_evaluation(session) is None


def test_the_sweep_honours_the_queue(session, connection):
    patient = _patient_given_on(session, "S-1", D - timedelta(days=20))
    session.commit()
    _change_tolerance(session, 6)
    run_sweep(connection, on=D, settings=mail_settings(mail_backend="log", pharmacy_email=None))
    assert _state(session, patient.id).window_end == D - timedelta(days=20) + timedelta(days=34)
    session.expire_all()
    assert policy_service.queued_re_evaluation(session) is None


def test_the_scheduler_runs_the_job_at_its_next_tick(session, connection):
    patient = _patient_given_on(session, "T-1", D - timedelta(days=20))
    session.commit()
    _change_tolerance(session, 7)

    class Leader:
        def ensure(self) -> bool:
            return True

    settings = mail_settings(mail_backend="log", pharmacy_email=None)
    service = TrackerScheduler(settings, connection, leadership=Leader())
    service.configure()
    assert service.scheduler.get_job(POLICY_JOB) is not None
    service.re_evaluate_after_policy_change()
    assert _state(session, patient.id).evaluated_on is not None
    assert _state(session, patient.id).window_end - (D - timedelta(days=20)) == timedelta(days=35)
    session.expire_all()
    assert policy_service.queued_re_evaluation(session) is None
