"""Holds: what stops treatment for a while, and the day a patient comes back (section 4)."""

from __future__ import annotations

from datetime import date

from tracker.rules.vocabulary import PatientStatus, ReviewOutcome


def status_after_review(outcome: str, status: str) -> str:
    """A review with outcome `stop` puts an active patient on hold; others change nothing."""
    if outcome == ReviewOutcome.STOP and status == PatientStatus.ACTIVE:
        return PatientStatus.ON_HOLD
    return status


def resumed_on_after(
    old_status: str, new_status: str, *, today: date, resumed_on: date | None
) -> date | None:
    """The day the patient last came back from hold, after a change of status.

    Coming back from hold to active is the day the next course falls due from (its L is
    that day less the interval), and the hold itself is not a cycle.
    """
    if old_status == PatientStatus.ON_HOLD and new_status == PatientStatus.ACTIVE:
        return today
    return resumed_on
