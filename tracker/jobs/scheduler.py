"""The scheduler: the daily sweep at a local time, the outbox dispatcher every minute, and
the re-evaluation a policy change queued, at the next tick.

One APScheduler 3 process (`tracker scheduler`, or inside `tracker serve` on SQLite). Jobs
have fixed ids, replace_existing, coalesce and a generous misfire grace time, and each one
acts only while this process holds the scheduler lock (see leader.py).
"""

import asyncio
import logging
import threading
from contextlib import asynccontextmanager
from datetime import datetime, time, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from tracker.jobs.dispatch import run_dispatch, worker_name
from tracker.jobs.leader import Leadership, leadership_for
from tracker.jobs.re_evaluation import run_queued_re_evaluation
from tracker.jobs.sweep import JOB_NAME as SWEEP_RUN_NAME
from tracker.jobs.sweep import SweepResult, run_sweep
from tracker.mail.sender import make_sender
from tracker.services import job_runs
from tracker.settings import Settings
from tracker.store.engine import session_scope

log = logging.getLogger("tracker.jobs.scheduler")

SWEEP_JOB = "daily-sweep"
DISPATCH_JOB = "outbox-dispatch"
LEASE_JOB = "scheduler-lease"
POLICY_JOB = "policy-re-evaluation"
# The daily sweep re-evaluates only expired states (rules.expiry); once a week it
# re-evaluates everyone. At 100,000 patients that costs about 36 s once a week (PostgreSQL,
# 2 cores, docs/benchmarks.md), and it bounds the life of a state that a missed calendar
# dependence would leave wrong to a week (states are otherwise kept at most 21 to 28 days:
# services.patient_states.latest_expiry).
FULL_SWEEP_WEEKDAY = 6  # Sunday, when the chairs are quietest
# A sweep held up (a suspended host, a long previous job) still runs the same day.
SWEEP_MISFIRE_GRACE_SECONDS = 12 * 3600


def sweep_clock(settings: Settings) -> time:
    """The daily sweep's local time of day."""
    hours, _, minutes = settings.sweep_time.partition(":")
    return time(int(hours), int(minutes))


def daily_sweep_trigger(settings: Settings) -> CronTrigger:
    """Every day at the sweep time on the site's wall clock (shifts with daylight saving)."""
    at = sweep_clock(settings)
    return CronTrigger(hour=at.hour, minute=at.minute, timezone=settings.zone)


class TrackerScheduler:
    """The scheduler's jobs around one APScheduler instance and one leadership lock."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        scheduler: BaseScheduler | None = None,
        leadership: Leadership | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.worker = worker_name()
        self.leadership = leadership or leadership_for(
            engine, self.worker, settings.scheduler_lease_seconds
        )
        self.scheduler = scheduler or BackgroundScheduler(
            timezone=settings.zone, executors={"default": ThreadPoolExecutor(4)}
        )
        self.sweeps: list[SweepResult] = []
        self._stopping = threading.Event()

    def configure(self) -> None:
        """Add the four jobs (again, replacing any with the same id)."""
        s = self.settings
        now = datetime.now(s.zone)
        common = {"replace_existing": True, "coalesce": True, "max_instances": 1}
        self.scheduler.add_job(
            self.renew_lease,
            IntervalTrigger(seconds=max(1, s.scheduler_lease_seconds // 3)),
            id=LEASE_JOB,
            name="keep the scheduler lock; catch up a missed sweep",
            next_run_time=now,
            misfire_grace_time=None,
            **common,
        )
        self.scheduler.add_job(
            self.daily_sweep,
            daily_sweep_trigger(s),
            id=SWEEP_JOB,
            name="daily sweep",
            misfire_grace_time=SWEEP_MISFIRE_GRACE_SECONDS,
            **common,
        )
        self.scheduler.add_job(
            self.dispatch_outbox,
            IntervalTrigger(seconds=s.dispatch_interval_seconds),
            id=DISPATCH_JOB,
            name="send the e-mail outbox",
            next_run_time=now,
            misfire_grace_time=None,
            **common,
        )
        self.scheduler.add_job(
            self.re_evaluate_after_policy_change,
            IntervalTrigger(seconds=s.dispatch_interval_seconds),
            id=POLICY_JOB,
            name="re-evaluate every patient after a policy change",
            next_run_time=now,
            misfire_grace_time=None,
            **common,
        )

    def start(self) -> None:
        """Configure and start the scheduler's thread."""
        self.configure()
        self.scheduler.start()
        log.info(
            "scheduler started: sweep daily at %s %s, outbox every %ss (%s)",
            self.settings.sweep_time,
            self.settings.timezone,
            self.settings.dispatch_interval_seconds,
            self.worker,
        )

    def stop(self) -> None:
        """Stop taking new work, let running jobs finish, and hand the lock on."""
        self._stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.leadership.release()
        log.info("scheduler stopped (%s)", self.worker)

    # The jobs.

    def renew_lease(self) -> None:
        """Keep (or take) the lock; as the holder, run today's sweep now if it was missed.

        The missed cases: this process started after the sweep time, it took over from a
        scheduler that died, or the local sweep time did not exist today (daylight saving).
        """
        if not self.leadership.ensure() or self._stopping.is_set():
            return
        if self._sweep_missed():
            log.info("today's sweep has not run yet: running it now")
            self.scheduler.modify_job(SWEEP_JOB, next_run_time=datetime.now(self.settings.zone))

    def _sweep_missed(self) -> bool:
        local = datetime.now(self.settings.zone)
        if local.time().replace(tzinfo=None) < sweep_clock(self.settings):
            return False
        with session_scope(self.engine, write=False) as session:
            last = job_runs.last_day(session, name=SWEEP_RUN_NAME)
        return last is None or last < local.date()

    def daily_sweep(self) -> None:
        """The sweep for today's site date, once per local day however often it fires."""
        if not self.leadership.ensure():
            return
        today = datetime.now(self.settings.zone).date()
        result = run_sweep(
            self.engine,
            on=today,
            settings=self.settings,
            once_per_day=True,
            full=today.weekday() == FULL_SWEEP_WEEKDAY,
        )
        if not result.skipped:
            self.sweeps.append(result)
        log.info("daily sweep: %s", result.describe())

    def re_evaluate_after_policy_change(self) -> None:
        """Re-evaluate every patient for today if a policy change queued it since the last run."""
        if self._stopping.is_set() or not self.leadership.ensure():
            return
        result = run_queued_re_evaluation(self.engine, on=datetime.now(self.settings.zone).date())
        if result.ran:
            log.info("policy change: %s", result.describe())

    def dispatch_outbox(self) -> None:
        """Send what is due, stopping between messages if we lose the lock or shut down."""
        if self._stopping.is_set() or not self.leadership.ensure():
            return
        run_dispatch(
            self.engine,
            settings=self.settings,
            sender=make_sender(self.settings),
            worker=self.worker,
            keep_going=lambda: not self._stopping.is_set() and self.leadership.held(),
        )


def run_until_stopped(settings: Settings, engine: Engine, stop: threading.Event) -> None:
    """`tracker scheduler`: run the jobs until `stop` is set (by SIGTERM or Ctrl-C)."""
    service = TrackerScheduler(settings, engine)
    service.start()
    try:
        while not stop.wait(timeout=timedelta(hours=1).total_seconds()):
            pass
    finally:
        service.stop()


def scheduler_lifespan(settings: Settings):
    """A lifespan for create_app that runs the scheduler inside the web process."""

    @asynccontextmanager
    async def lifespan(app):
        """Start the scheduler with the app; stop it (and free the lock) when the app stops."""
        service = TrackerScheduler(settings, app.state.engine)
        service.start()
        try:
            yield
        finally:
            await asyncio.to_thread(service.stop)

    return lifespan
