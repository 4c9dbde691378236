"""Whether each given course fell inside the window it was due in (for the review report)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from tracker.rules.facts import RegimenFact
from tracker.rules.policy import SitePolicy
from tracker.rules.window import DueWindow, current_regimen, due_window


@dataclass(frozen=True)
class CourseTiming:
    """A given course by its first day, and the window it was due in."""

    given_on: date
    window: DueWindow

    @property
    def in_window(self) -> bool:
        """True when the course was given on a day of its window."""
        return self.window.window_start <= self.given_on <= self.window.window_end

    @property
    def days_outside(self) -> int:
        """Days before the window (negative) or after it (positive); 0 inside it."""
        if self.given_on < self.window.window_start:
            return (self.given_on - self.window.window_start).days
        if self.given_on > self.window.window_end:
            return (self.given_on - self.window.window_end).days
        return 0


def course_timings(
    *, regimens: Sequence[RegimenFact], given_on: Iterable[date], policy: SitePolicy
) -> tuple[CourseTiming, ...]:
    """Each given course with the window it fell due in, oldest first.

    A course's window is the one the tracker showed while the course was awaited: the due
    window after the course before it, under the regimen current the day before the course
    (a regimen written on the day of a course, at that visit, governs the courses after it;
    the first course ever is due at its regimen's start). `policy` carries the patient's own
    interval bounds (SitePolicy.with_patient_bounds).
    """
    days = sorted(set(given_on))
    timings = []
    previous: date | None = None
    for day in days:
        regimen = current_regimen(regimens, day - timedelta(days=1))
        if regimen is not None:
            window = due_window(regimen=regimen, last_given_on=previous, policy=policy)
            timings.append(CourseTiming(given_on=day, window=window))
        previous = day
    return tuple(timings)


def count_in_window(timings: Iterable[CourseTiming], *, start: date, end: date) -> tuple[int, int]:
    """(courses given inside their window, courses given) among those given in [start, end]."""
    inside = [t for t in timings if start <= t.given_on <= end]
    return sum(t.in_window for t in inside), len(inside)
