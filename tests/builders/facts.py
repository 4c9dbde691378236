"""Plain facts for the rules tests (no database): courses, regimens, scores."""

from __future__ import annotations

from datetime import date, timedelta

from tracker.rules import CourseFact, PatientFacts, RegimenFact, ScoreFact

START = date(2026, 1, 5)


def day(n: int, start: date = START) -> date:
    """The day `n` days after `start`."""
    return start + timedelta(days=n)


def course_days(first: date, interval_days: int, count: int) -> list[date]:
    """`count` course days `interval_days` apart from `first`."""
    return [first + timedelta(days=interval_days * i) for i in range(count)]


def given(days: list[date], first_id: int = 1) -> tuple[CourseFact, ...]:
    """Given courses on these days."""
    return tuple(CourseFact(first_id + i, d, "given") for i, d in enumerate(days))


def booked(d: date, course_id: int = 900) -> CourseFact:
    """One booked course."""
    return CourseFact(course_id, d, "booked")


def regimen(
    starts_on: date = START, dose: float = 1.0, interval: int = 28, regimen_id: int = 1
) -> RegimenFact:
    """A regimen with plain defaults: 1 g/kg every 28 days from START."""
    return RegimenFact(regimen_id, starts_on, dose, interval)


def swings(
    days: list[date],
    peak: float,
    trough: float,
    measure: str = "grip_vigorimeter",
    side: str | None = "right",
) -> tuple[ScoreFact, ...]:
    """A post-infusion peak the day after each course (a score on the course day is no
    peak) and a pre-infusion trough on each next course day."""
    scores = []
    for k, d in enumerate(days):
        if k:
            scores.append(ScoreFact(d, measure, side, trough, "pre_infusion"))
        if k < len(days) - 1:
            scores.append(ScoreFact(d + timedelta(days=1), measure, side, peak, "post_infusion"))
    return tuple(scores)


def troughs(
    pairs: list[tuple[date, float]], measure: str = "mrc_sum", side: str | None = None
) -> tuple[ScoreFact, ...]:
    """Pre-infusion scores on these course days."""
    return tuple(ScoreFact(d, measure, side, v, "pre_infusion") for d, v in pairs)


def reports(pairs: list[tuple[date, int]]) -> tuple[ScoreFact, ...]:
    """Patient-reported wear-off days, recorded on these days."""
    return tuple(ScoreFact(d, "wear_off_day", None, v, "pre_infusion") for d, v in pairs)


def facts(**kwargs: object) -> PatientFacts:
    """PatientFacts with a fresh weight unless told otherwise."""
    kwargs.setdefault("weight_dates", (START,))
    return PatientFacts(**kwargs)  # type: ignore[arg-type]
