"""The daily sweep: every patient re-evaluated for the day."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from tracker.services.evaluation import refresh_all
from tracker.store.engine import session_scope


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did."""

    on: date
    patients: int


def run_sweep(
    engine: Engine | None = None, *, on: date, progress: Callable[[int], None] | None = None
) -> SweepResult:
    """Re-evaluate every patient for day `on` in one transaction."""
    with session_scope(engine) as session:
        evaluated = refresh_all(session, today=on, progress=progress)
    return SweepResult(on=on, patients=evaluated)
