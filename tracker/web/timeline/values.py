"""The timeline's plain input values, shared by every module of the drawing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tracker.rules.vocabulary import CourseStatus

COURSE_STATUSES = (CourseStatus.GIVEN, CourseStatus.BOOKED)


@dataclass(frozen=True)
class TimelinePoint:
    """One score on one day."""

    day: date
    value: float
    # "trough" or "peak": a score the evaluation used as one; "plain": a score before or after
    # an infusion that it did not use (outside the trough window, not its cycle's best);
    # "clinic": a score taken in clinic, apart from any infusion.
    kind: str
    note: str = ""  # added to the tooltip, e.g. "before infusion"


@dataclass(frozen=True)
class TimelineSeries:
    """One measure (and side) over time; series with the same panel share a y axis."""

    key: str  # e.g. "grip_vigorimeter:right", "mrc_sum", "incat"
    label: str  # e.g. "Grip right (Vigorimeter)"
    unit: str  # "kPa", "kg", "points", "centile"
    higher_is_better: bool
    panel: str  # "grip", "mrc", "disability", "rods", "wear_off"
    points: tuple[TimelinePoint, ...]
    # Readings the patient took at home (clinical rules 10): their own series, drawn dotted
    # next to the clinic's.
    home: bool = False


@dataclass(frozen=True)
class TimelineCourse:
    """One infusion course, given or booked."""

    day: date
    dose_g: float | None
    status: str  # "given" or "booked"
    label: str = ""  # e.g. "70 g Privigen, lots P4711" (for the tooltip)


@dataclass(frozen=True)
class TimelineRegimen:
    """One regimen period, shaded behind the panels."""

    starts_on: date
    ends_on: date | None  # None = current
    label: str  # e.g. "1.0 g/kg (70 g) every 28 d"
    reason: str  # why it started, e.g. "Wear-off from day 18: interval shortened"


@dataclass(frozen=True)
class TimelineTreatment:
    """A treatment besides IVIG, drawn as a lane from its first to its last day."""

    starts_on: date
    ends_on: date | None  # its last day; None = ongoing (the lane runs to the right edge)
    label: str  # e.g. "Rituximab" or "Trial drug: ARGX-117"
    kind: str = ""  # "cyclophosphamide", "rituximab", "trial_drug", "other"
