"""Course dates as a clinic produces them: on interval, with jitter, the odd missed booking."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from random import Random

from tracker.demo.archetypes import MAX_INTERVAL, RegSpec
from tracker.demo.calendar import DAY, days, fit_day, fits, next_fit

DISRUPTION_CHANCE = 0.04
LATE_CHANCE = 0.03
CANCEL_REASONS = (
    "Patient unwell: chest infection",
    "Patient request: family holiday",
    "Product not delivered in time",
    "Chair unavailable (staff sickness)",
    "Patient unwell: gastroenteritis",
)


@dataclass(frozen=True)
class Course:
    """One booking as it turned out: given, cancelled or missed."""

    day: date
    regimen: int  # index into the story's regimens
    status: str
    note: str | None = None  # the cancellation reason, or why it was missed


@dataclass(frozen=True)
class Timeline:
    """A patient's courses before the cut-off day, and what comes next."""

    courses: list[Course]
    starts: list[date]  # each regimen's first day
    next_day: date  # when the next course falls, on schedule


def jitter(rng: Random) -> int:
    """Days a course lands off its due date: mostly on time, -2..+3, now and then late."""
    shift = rng.choices((-2, -1, 0, 1, 2, 3), weights=(1, 2, 6, 2, 2, 1))[0]
    if rng.random() < LATE_CHANCE:
        shift += rng.randint(4, 9)
    return shift


def simulate(
    rng: Random,
    regimens: Sequence[RegSpec],
    first: date,
    until: date,
    *,
    disruptions: bool = True,
    on_time_from: date | None = None,
) -> Timeline:
    """Lay out courses from `first` (which must fit the week) to the day before `until`.

    From `on_time_from` on, every course is given within the booking tolerance of its due
    date (no late course, no cancellation): the rules evaluate no late cycle (section 5),
    and the flags of some stories rest on each of their last cycles.
    """
    # A change of regimen takes effect at the first course on or after the day it was
    # decided: that course is the regimen's start, so that its cycles count from there.
    starts: list[date | None] = [None] * len(regimens)
    starts[0] = first
    courses: list[Course] = []
    day, index = first, 0
    planned = first
    while day < until:
        while index + 1 < len(regimens) and regimens[index + 1].target <= day:
            index += 1
            if not fits(day, regimens[index].days_per_course):
                day = next_fit(day, regimens[index].days_per_course)
            starts[index] = day
        if day >= until:
            planned = day
            break
        courses.append(Course(day, index, "given"))
        regimen = regimens[index]
        length = regimen.days_per_course
        due = day + days(regimen.interval_days)
        on_time = on_time_from is not None and day >= on_time_from
        planned = fit_day(due + days(jitter(rng)), length, not_before=day + DAY)
        if on_time and planned > due + days(3):
            planned = fit_day(due, length, not_before=day + DAY)
        if planned >= until and min(due + days(3), day + days(MAX_INTERVAL)) < until:
            # A late course would leave the patient overdue on the cut-off day by accident:
            # only the stories that ask for it (a cut-off before the window) end overdue.
            planned = fit_day(due, length, not_before=day + DAY)
        if disruptions and not on_time and rng.random() < DISRUPTION_CHANCE:
            rebooked = next_fit(planned + days(rng.randint(2, 6)), length)
            if rebooked < until:
                if rng.random() < 0.7:
                    courses.append(Course(planned, index, "cancelled", rng.choice(CANCEL_REASONS)))
                else:
                    courses.append(Course(planned, index, "missed", "Did not attend; rebooked"))
                planned = rebooked
        day = planned
    # A change decided after the last course starts with the next one.
    resolved = [
        start if start is not None else next_fit(max(spec.target, planned), spec.days_per_course)
        for start, spec in zip(starts, regimens, strict=True)
    ]
    return Timeline(courses, resolved, planned)
