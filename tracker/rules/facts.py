"""Plain facts about one patient, as the rules read them (no database types)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

GIVEN = "given"
BOOKED = "booked"
PATIENT_STATUSES = ("active", "on_hold", "discharged")


@dataclass(frozen=True)
class RegimenFact:
    """A prescription: dose per course and interval, from a start day until the next one."""

    id: int
    starts_on: date
    dose_g_per_kg: float
    interval_days: int


@dataclass(frozen=True)
class CourseFact:
    """An infusion course by its first day; status "given" or "booked"."""

    id: int
    starts_on: date
    status: str


@dataclass(frozen=True)
class ScoreFact:
    """One recorded outcome score; timing is pre_infusion, post_infusion or clinic."""

    taken_on: date
    measure: str
    side: str | None
    value: float
    timing: str


@dataclass(frozen=True)
class PatientFacts:
    """Everything the rules need to know about one patient."""

    status: str = "active"
    regimens: tuple[RegimenFact, ...] = ()
    courses: tuple[CourseFact, ...] = ()
    scores: tuple[ScoreFact, ...] = ()
    review_dates: tuple[date, ...] = ()
    latest_weight_on: date | None = None
    min_interval_days: int | None = None
    max_interval_days: int | None = None
    dismissed: frozenset[tuple[int, str]] = frozenset()
