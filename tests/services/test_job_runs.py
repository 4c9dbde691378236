"""Which site day a daily job last ran for (services/job_runs.py)."""

from datetime import date, timedelta

from tracker.services import job_runs

DAY = date(2026, 3, 1)


def test_a_job_runs_once_a_day_and_its_day_only_moves_forward(session):
    assert job_runs.last_day(session, name="sweep") is None
    assert job_runs.begin_day(session, name="sweep", on=DAY, once=True)
    assert job_runs.last_day(session, name="sweep") == DAY
    assert not job_runs.begin_day(session, name="sweep", on=DAY, once=True)
    assert not job_runs.begin_day(session, name="sweep", on=DAY - timedelta(1), once=True)
    assert job_runs.begin_day(session, name="sweep", on=DAY + timedelta(1), once=True)
    assert job_runs.last_day(session, name="sweep") == DAY + timedelta(1)


def test_a_forced_run_goes_ahead_without_moving_the_day_back(session):
    job_runs.begin_day(session, name="sweep", on=DAY, once=True)
    assert job_runs.begin_day(session, name="sweep", on=DAY, once=False)
    assert job_runs.begin_day(session, name="sweep", on=DAY - timedelta(3), once=False)
    assert job_runs.last_day(session, name="sweep") == DAY


def test_jobs_are_counted_apart_and_finish_notes_what_the_run_did(session):
    job_runs.begin_day(session, name="sweep", on=DAY, once=True)
    assert job_runs.begin_day(session, name="purge", on=DAY, once=True)
    job_runs.finish(session, name="sweep", detail="x" * 300)
    session.expire_all()
    run = job_runs.last_run(session, name="sweep")
    assert run is not None and run.detail == "x" * 200 and run.last_on == DAY
    assert job_runs.last_run(session, name="purge").detail == ""
    assert job_runs.last_run(session, name="never") is None
