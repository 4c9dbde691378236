"""The daily sweep: the patients whose stored state has expired re-evaluated for the day
(everyone with `full`, or after a policy change), and the day's e-mails queued."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Engine

from tracker.services import audit_checkpoint, job_runs, outbox
from tracker.services import policy as policy_service
from tracker.services.digest import queue_digest
from tracker.services.evaluation import refresh_all
from tracker.services.policy import load_policy
from tracker.services.reminders import queue_finding_mails, queue_reminders, stored_findings
from tracker.services.sc_reminders import queue_sc_reminders
from tracker.settings import Settings, get_settings
from tracker.store.engine import session_scope
from tracker.store.types import utcnow

JOB_NAME = "daily-sweep"


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did."""

    on: date
    patients: int
    queued: dict[str, int] = field(default_factory=dict)
    withdrawn: int = 0
    cleared: int = 0
    skipped: bool = False

    def describe(self) -> str:
        """One line for the log and the outbox page."""
        if self.skipped:
            return f"already swept for {self.on.isoformat()}"
        mails = ", ".join(f"{n} {kind}" for kind, n in sorted(self.queued.items()) if n)
        return (
            f"swept {self.patients} patients for {self.on.isoformat()}; "
            f"queued {mails or 'no e-mails'}; withdrew {self.withdrawn}; "
            f"cleared the text of {self.cleared} old e-mails"
        )


def run_sweep(
    engine: Engine | None = None,
    *,
    on: date,
    progress: Callable[[int], None] | None = None,
    settings: Settings | None = None,
    once_per_day: bool = False,
    full: bool = False,
) -> SweepResult:
    """Re-evaluate the patients whose state expired by day `on` (everyone when `full` or
    after a policy change) and queue the day's e-mails, in one transaction.

    Safe to repeat: every e-mail has a deduplication key. `once_per_day` (the scheduler's
    way) does nothing if a sweep for `on` or a later day has already been committed. The
    e-mails are read from every patient's stored state, not only from those evaluated.
    """
    settings = settings or get_settings()
    with session_scope(engine) as session:
        if not job_runs.begin_day(session, name=JOB_NAME, on=on, once=once_per_day):
            return SweepResult(on=on, patients=0, skipped=True)
        policy = load_policy(session)
        # A policy change queued everyone's re-evaluation: this sweep is then a full one.
        policy_change = policy_service.queued_re_evaluation(session)
        evaluated = refresh_all(
            session,
            today=on,
            progress=progress,
            expired_only=not full and policy_change is None,
            processes=settings.sweep_processes,
        )
        if policy_change is not None:
            policy_service.clear_re_evaluation(session, seen=policy_change)
        queued: Counter[str] = Counter()
        # Correctness never rests on the booking pages remembering to withdraw.
        withdrawn = outbox.withdraw_stale_reminders(session)
        queued[outbox.REMINDER] += queue_reminders(session, on=on, policy=policy, settings=settings)
        queued[outbox.SC_REMINDER] += queue_sc_reminders(session, on=on, settings=settings)
        notices, alerts = queue_finding_mails(
            session,
            findings=stored_findings(
                session, on=on, unmailed_only=True, alerts=bool(settings.pharmacy_email)
            ),
            on=on,
            policy=policy,
            settings=settings,
        )
        queued[outbox.WINDOW_OPEN] += notices
        queued[outbox.ALERT] += len(alerts)
        queued[outbox.DIGEST] += queue_digest(session, on=on, settings=settings, alerts=alerts)
        cleared = outbox.clear_old_bodies(
            session, before=utcnow() - timedelta(days=settings.outbox_keep_days)
        )
        result = SweepResult(
            on=on, patients=evaluated, queued=dict(queued), withdrawn=withdrawn, cleared=cleared
        )
        job_runs.finish(session, name=JOB_NAME, detail=result.describe())
    # The head as committed, kept outside the database: entries cut off the trail's end show.
    with session_scope(engine, write=False) as session:
        audit_checkpoint.write(session, settings)
    return result
