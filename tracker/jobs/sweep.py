"""The daily sweep: every patient re-evaluated for the day, and the day's e-mails queued."""

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
from tracker.services.reminders import (
    Finding,
    finding_for,
    queue_alerts,
    queue_reminders,
    queue_window_open,
)
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
) -> SweepResult:
    """Re-evaluate every patient for day `on` and queue its e-mails, in one transaction.

    Safe to repeat: every e-mail has a deduplication key. `once_per_day` (the scheduler's
    way) does nothing if a sweep for `on` or a later day has already been committed.
    """
    settings = settings or get_settings()
    with session_scope(engine) as session:
        if not job_runs.begin_day(session, name=JOB_NAME, on=on, once=once_per_day):
            return SweepResult(on=on, patients=0, skipped=True)
        policy = load_policy(session)
        # Every patient is re-evaluated below: that is the run a policy change queued.
        policy_change = policy_service.queued_re_evaluation(session)
        findings: list[Finding] = []

        def collect(patient, evaluation) -> None:
            found = finding_for(patient, evaluation)
            if found is not None:
                findings.append(found)

        evaluated = refresh_all(session, today=on, progress=progress, on_evaluated=collect)
        if policy_change is not None:
            policy_service.clear_re_evaluation(session, seen=policy_change)
        queued: Counter[str] = Counter()
        # Correctness never rests on the booking pages remembering to withdraw.
        withdrawn = outbox.withdraw_stale_reminders(session)
        queued[outbox.REMINDER] += queue_reminders(session, on=on, policy=policy, settings=settings)
        queued[outbox.SC_REMINDER] += queue_sc_reminders(session, on=on, settings=settings)
        alerts = []
        for found in findings:
            queued[outbox.WINDOW_OPEN] += queue_window_open(
                session, finding=found, on=on, policy=policy, settings=settings
            )
            written = queue_alerts(session, finding=found, settings=settings)
            queued[outbox.ALERT] += len(written)
            alerts.extend(written)
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
