"""Every patient re-evaluated after a policy change: queued by the change, run here.

A policy change at 100,000 patients would hold its request for a minute if it re-evaluated
everyone itself; it sets a marker instead, and the scheduler's next tick (or a sweep) runs
the re-evaluation and clears the marker, unless a later change set it again meanwhile.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine

from tracker.services import policy as policy_service
from tracker.services.evaluation import refresh_all
from tracker.settings import get_settings
from tracker.store.engine import session_scope

JOB_NAME = "policy-re-evaluation"


@dataclass(frozen=True)
class ReEvaluation:
    """What one run did: nothing when no change was waiting."""

    on: date
    patients: int = 0
    ran: bool = False

    def describe(self) -> str:
        """One line for the log."""
        if not self.ran:
            return "no policy change waiting"
        return (
            f"re-evaluated {self.patients} patients for {self.on.isoformat()} after a policy change"
        )


def run_queued_re_evaluation(
    engine: Engine | Connection | None = None,
    *,
    on: date,
    progress: Callable[[int], None] | None = None,
) -> ReEvaluation:
    """Re-evaluate every patient for day `on` if a policy change queued it, in one transaction."""
    with session_scope(engine) as session:
        seen = policy_service.queued_re_evaluation(session)
        if seen is None:
            return ReEvaluation(on=on)
        evaluated = refresh_all(
            session, today=on, progress=progress, processes=get_settings().sweep_processes
        )
        policy_service.clear_re_evaluation(session, seen=seen)
    return ReEvaluation(on=on, patients=evaluated, ran=True)
